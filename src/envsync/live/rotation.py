"""Change the running database first, then the files: ``envsync set`` and ``envsync rotate``.

The postgres image applies ``POSTGRES_*`` only when a volume is first initialised, so a new
password written to the files alone locks the application out of the data it already has. When
this project's database runs, the new values go there first (``ALTER ROLE``, renames, the
embedded server's port), a login with the new password proves them, and only then does the
caller write the files. The ways in, in order: the embedded server's local socket (trusted, no
password needed), the compose container's local socket through ``docker compose exec`` (trusted
too inside the official image), and last a TCP login with the current password.

Nothing here prints or exits: the outcome (or a :class:`LiveChangeError`) goes to the caller.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from envsync.answers import Answers
from envsync.errors import AnswersError, LiveChangeError, NoComposeService
from envsync.facts import load_answers
from envsync.live import compose, driver, postmaster, probe, project_database, server
from envsync.live.project_database import VOLUMES_DIR
from envsync.sql_text import identifier, literal

__all__ = ["LiveOutcome", "change_live", "change_sql", "current", "maintenance_database"]

_EXEC_TIMEOUT = 60
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_VOLUME_NOTE = "an existing volume keeps its first password; `envsync doctor` tells how"

#: Runs statements as a role, in one transaction, on the maintenance database.
Execute = Callable[[str, Sequence[str]], None]


@dataclass(frozen=True)
class LiveOutcome:
    """What happened to the running database; ``message`` is one line for people (or empty)."""

    changed: bool
    message: str


def current(project_dir: Path) -> Answers | None:
    """The answers before the change, or ``None`` when they are invalid (``set`` repairs them)."""
    try:
        return load_answers(project_dir)
    except AnswersError:
        return None


def change_live(
    project_dir: Path, old: Answers | None, new: Answers, *, files_only: bool
) -> LiveOutcome:
    """Give this project's running database the ``new`` values, proven by a login.

    Raises :class:`LiveChangeError` when a database of this project runs but could not take
    them; the caller then writes nothing.
    """
    if files_only:
        return _files_only("--files-only: the database was not changed", old, new)
    if old is None:
        return _files_only(
            "the current answers are invalid: the database was not changed", old, new
        )
    data_dir = project_dir.absolute() / VOLUMES_DIR / old.db_service
    embedded = server.status(data_dir)
    if embedded is not None:
        return _embedded(data_dir, embedded, old, new)
    database = _service(project_dir, old.db_service)
    files = database.project if database is not None else ()
    container = compose.running_container(project_dir, old.db_service, files)
    if container is not None:
        return _compose(project_dir, container, old, new)
    port = database.published if database is not None else old.db_port
    if port is None:
        return _files_only(
            f"no database of this project runs (service {old.db_service} publishes no port and "
            "no container of it runs): only the files change",
            old,
            new,
        )
    if not probe.answers(old.db_host, port):
        return _files_only("no database of this project runs: only the files change", old, new)
    other = postmaster.other_server_on(port)
    if other is not None:
        # Ours is not running (checked above): another checkout's or project's embedded server.
        return _not_ours(f"another envsync database (data directory {other})", port, old, new)
    return _tcp(port, old, new)


def _files_only(reason: str, old: Answers | None, new: Answers) -> LiveOutcome:
    """The database was not changed: what a volume keeps matters only to a new password."""
    if old is None or old.db_password != new.db_password:
        return LiveOutcome(False, f"{reason}; {_VOLUME_NOTE}")
    return LiveOutcome(False, reason)


def _service(project_dir: Path, service: str) -> project_database.ComposeService | None:
    """The database service the map describes (its compose files, the host port it publishes:
    the only one probed); ``None`` for a map that names no compose service: the answers' port
    then. Any other error (a compose file whose port cannot be read) stops the change: a
    guessed port may be another server's."""
    try:
        return project_database.compose_service(project_dir, service)
    except NoComposeService:
        return None


def _credentials(values: Answers) -> tuple[str, str, str]:
    return values.db_user, values.db_password, values.db_name


def _not_ours(what: str, port: int, old: Answers, new: Answers) -> LiveOutcome:
    """A server that is not this project's answers on its port: never change it."""
    where = f"{old.db_host}:{port}"
    if _credentials(old) == _credentials(new):
        # A port (or host) change with no server of this project running touches files only.
        return LiveOutcome(
            False, f"{what} answers on {where}, not this project's database: only the files change"
        )
    raise LiveChangeError(
        f"{what} answers on {where}; it is not this project's database, so nothing was changed "
        f"and nothing written: stop it, move this project (`envsync set db_port={port + 1}`), or "
        "add --files-only to change only the files"
    )


def change_sql(old: Answers, new: Answers) -> list[str]:
    """The statements that move a server from ``old`` to ``new`` (renames first, then the password:
    a rename clears an MD5 password, and the role keeps its name for the last statement)."""
    statements = []
    if new.db_user != old.db_user:
        statements.append(
            f"ALTER ROLE {identifier(old.db_user)} RENAME TO {identifier(new.db_user)}"
        )
    if new.db_name != old.db_name:
        statements.append(
            f"ALTER DATABASE {identifier(old.db_name)} RENAME TO {identifier(new.db_name)}"
        )
    password = literal(new.db_password)
    statements.append(f"ALTER ROLE {identifier(new.db_user)} WITH PASSWORD {password}")
    return statements


def maintenance_database(old: Answers) -> str:
    """The database to connect to: never the one being renamed (PostgreSQL refuses that)."""
    return "template1" if old.db_name == "postgres" else "postgres"


# --------------------------------------------------------------------------------------------
# the three ways in
# --------------------------------------------------------------------------------------------


def _embedded(
    data_dir: Path, status: server.ServerStatus, old: Answers, new: Answers
) -> LiveOutcome:
    if status.socket_dir is None:
        raise LiveChangeError(
            f"the embedded database on {data_dir} has no local socket to change it through; "
            "restart it (`envsync db down && envsync db up`) and retry"
        )
    moves = new.db_port != status.port
    same = _credentials(old) == _credentials(new)
    if same and not moves and driver.logs_in(_login("127.0.0.1", status.port, new)):
        return LiveOutcome(False, "")
    if moves:
        server.check_port_free(new.db_port)  # before touching anything, so nothing is half done
    execute = _socket_execute(str(status.socket_dir), status.port, maintenance_database(old))
    changed = _changes(old, new, status.port)
    _through_socket(execute, old, new)
    if moves:
        server.stop(data_dir)
        status = server.start(
            server.ServerSpec(new.db_user, new.db_password, new.db_name, new.db_port, data_dir)
        )
        if status.socket_dir is not None:  # a restart makes a new socket directory
            execute = _socket_execute(
                str(status.socket_dir), status.port, maintenance_database(new)
            )
    port = status.port
    _prove_or_revert(lambda values: _prove("127.0.0.1", port, values), execute, old, new)
    where = f"the embedded database ({VOLUMES_DIR / old.db_service}), now on 127.0.0.1:{port}"
    return LiveOutcome(True, f"changed {changed} in {where}; logged in with the new values")


def _changes(old: Answers, new: Answers, port: int) -> str:
    """What a change does to the server, in words (no secret)."""
    done = []
    if new.db_user != old.db_user:
        done.append(f"role {old.db_user} renamed to {new.db_user}")
    if new.db_name != old.db_name:
        done.append(f"database {old.db_name} renamed to {new.db_name}")
    done.append(f"the password of role {new.db_user}")
    if new.db_port != port:
        done.append(f"port {port} to {new.db_port}")
    return ", ".join(done)


def _compose(
    project_dir: Path, container: compose.Container, old: Answers, new: Answers
) -> LiveOutcome:
    execute = _compose_execute(project_dir, container, maintenance_database(old))
    _through_socket(execute, old, new)

    def prove(values: Answers) -> None:
        problem = compose.login_problem(
            project_dir, container, values.db_user, values.db_password, values.db_name
        )
        if problem is not None:
            raise LiveChangeError(
                f"the database took the change but a login as {values.db_user} to "
                f"{values.db_name} on container {container.name}'s network address then failed "
                f"({problem}); nothing was written"
            )

    _prove_or_revert(prove, execute, old, new)
    # The volume keeps the new values; the containers still carry the old POSTGRES_*, URLs
    # and published port until compose recreates them from the files.
    return LiveOutcome(
        True,
        f"changed the database in container {container.name}; logged in with the new values "
        "over its network address; `docker compose up -d` recreates the containers with "
        "the new values (the volume keeps its data)",
    )


def _tcp(port: int, old: Answers, new: Answers) -> LiveOutcome:
    """A server on the published port is this project's only if it takes the current login."""
    where = f"{old.db_host}:{port}"
    if driver.logs_in(_login(old.db_host, port, new)):
        if _credentials(old) == _credentials(new):
            return LiveOutcome(False, "")
        return LiveOutcome(False, f"the database on {where} already takes the new values")
    if not driver.logs_in(_login(old.db_host, port, old)):
        if _credentials(old) == _credentials(new):
            return _not_ours("a server that refuses this project's login", port, old, new)
        # On this machine, a container may be what answers: name it.
        owner = compose.publisher(port) if old.db_host in _LOCAL_HOSTS else None
        where += f" ({owner})" if owner else ""
        raise LiveChangeError(
            f"a server answers on {where} but refuses the current login of user {old.db_user}: "
            "it may be another project's server or a volume initialised with other values; "
            "nothing was written: run `envsync doctor`, stop that server or move this project "
            f"(`envsync set db_port={port + 1}`), or add --files-only to change only the files"
        )
    if new.db_user != old.db_user or new.db_name != old.db_name:
        raise LiveChangeError(_rename_refusal(where, old, new))
    try:
        # A role may change its own password; that is all a TCP login can be trusted with.
        driver.run_statements(_login(old.db_host, port, old), change_sql(old, new))
    except driver.Refused as error:
        raise LiveChangeError(
            f"{where} refused the change ({error.reason}); nothing was written"
        ) from None
    # No way back if this fails: neither password logs in any more, hence the error says so.
    _prove(old.db_host, port, new)
    message = f"changed the password of role {new.db_user} on {where} over TCP; logged in with it"
    if new.db_port != port:
        message += f"; restart that server on port {new.db_port}"
    return LiveOutcome(True, message)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _through_socket(execute: Execute, old: Answers, new: Answers) -> None:
    """Apply :func:`change_sql` over a trusted local socket, where any role may log in.

    PostgreSQL refuses to rename the session user, and the project's role is usually the only
    one; a short-lived helper superuser does the rename. It has no password, so it can only log
    in over that same trusted socket, and it is dropped before returning.
    """
    statements = change_sql(old, new)
    if new.db_user == old.db_user:
        execute(old.db_user, statements)
        return
    helper = f"envsync_rename_{secrets.token_hex(4)}"
    execute(old.db_user, [f"CREATE ROLE {identifier(helper)} SUPERUSER LOGIN"])
    renamed = False
    try:
        execute(helper, statements)
        renamed = True
    finally:
        execute(new.db_user if renamed else old.db_user, [f"DROP ROLE {identifier(helper)}"])


def _socket_execute(socket_dir: str, port: int, database: str) -> Execute:
    def execute(role: str, statements: Sequence[str]) -> None:
        try:
            driver.run_statements(driver.Login(socket_dir, port, role, database), statements)
        except driver.Refused as error:
            what = f"a local login as {role}" if error.at_login else "the change"
            raise LiveChangeError(
                f"the embedded database refused {what} ({error.reason}); nothing was written "
                "(add --files-only to change only the files)"
            ) from None

    return execute


def _compose_execute(project_dir: Path, container: compose.Container, database: str) -> Execute:
    service = container.service

    def execute(role: str, statements: Sequence[str]) -> None:
        result = compose.run(
            compose.exec_psql_argv(service, role, database, container.files),
            project_dir,
            timeout=_EXEC_TIMEOUT,
            stdin=compose.psql_script(statements),
        )
        if result is None:
            raise LiveChangeError(
                f"docker compose exec {service} psql did not finish; nothing was written"
            )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise LiveChangeError(
                f"the database in compose service {service} refused the change ({lines[-1]}); "
                "nothing was written"
            )

    return execute


def _prove_or_revert(
    prove: Callable[[Answers], None], execute: Execute, old: Answers, new: Answers
) -> None:
    """Log in with the new values; if that fails, put the old ones back before raising."""
    try:
        prove(new)
    except LiveChangeError:
        # The first error is the one to report; it already says nothing was written.
        with contextlib.suppress(LiveChangeError):
            _through_socket(execute, new, old)
        raise


def _prove(host: str, port: int, new: Answers) -> None:
    try:
        driver.connect(_login(host, port, new)).close()
    except driver.Refused as error:
        raise LiveChangeError(
            f"the database took the change but a login as {new.db_user} to {new.db_name} on "
            f"{host}:{port} then failed ({error.reason}); nothing was written"
        ) from None


def _login(host: str, port: int, values: Answers) -> driver.Login:
    return driver.Login(host, port, values.db_user, values.db_name, values.db_password)


def _rename_refusal(where: str, old: Answers, new: Answers) -> str:
    sql = [s for s in change_sql(old, new) if "PASSWORD" not in s]
    return (
        f"a server answers on {where}, but only over TCP as {old.db_user}, and PostgreSQL "
        "refuses to rename the logged-in role or its connected database; as another superuser "
        f"run: {'; '.join(sql)}; \\password {identifier(new.db_user)}; then `envsync set "
        f"--files-only db_user={new.db_user} db_name={new.db_name}`; nothing was written"
    )
