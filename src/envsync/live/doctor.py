"""``envsync doctor``: why does the database refuse? Live checks, in the order a person would run
them by hand (the incident's routine): do the files agree, does the container hold what the files
say, is the server there, do the credentials authenticate, is the database, pgvector and Alembic's
head there."""

from __future__ import annotations

import shlex
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envsync import local_secret, plan
from envsync.answers import Answers
from envsync.database_url import DatabaseUrl
from envsync.live import (
    binaries,
    compose,
    container_check,
    driver,
    interrupted,
    project_database,
    server,
)
from envsync.live.container_check import Inspected
from envsync.live.project_database import ProjectDatabase
from envsync.live.schema import Check, Status, alembic_check, vector_check
from envsync.sql_text import identifier, literal

if TYPE_CHECKING:
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

__all__ = ["Check", "Status", "diagnose"]


@dataclass(frozen=True)
class _Context:
    database: ProjectDatabase
    #: What the application and Alembic connect with (the map's host-view URL).
    url: DatabaseUrl
    files_agree: bool
    show_secrets: bool
    #: This project's running container, and what ``docker inspect`` said of it.
    container: compose.Container | None = None
    inspected: Inspected | None = None

    @property
    def project_dir(self) -> Path:
        return self.database.project_dir

    @property
    def answers(self) -> Answers:
        return self.database.answers


def diagnose(
    project_dir: Path, *, show_secrets: bool = False, service: str | None = None
) -> Iterator[Check]:
    """Each check as it completes; stops at the first failure the later checks depend on.
    ``service``: a second database of the map instead of the project's own."""
    database = project_database.load(project_dir, service)
    findings = plan.load_plan(project_dir).findings
    unfinished = interrupted.pending(project_dir)
    if unfinished is not None:
        yield Check("files agree", Status.PROBLEM, interrupted.advice(unfinished))
    elif findings:
        first = findings[0]
        yield Check(
            "files agree",
            Status.PROBLEM,
            f"{len(findings)} value(s) drifted from the facts, first "
            f"{first.path}: {first.key}; run `envsync check`, then `envsync render`",
        )
    else:
        yield Check("files agree", Status.OK, "every place of the map agrees with the facts")
    answers = database.answers
    running = compose.running_container(project_dir, database.service, database.compose_project)
    container, inspected = container_check.check(
        project_dir, answers, running, database.compose_project
    )
    yield container
    if database.app is None:
        if running is None:
            yield Check(
                "server reachable",
                Status.SKIPPED,
                f"service {database.service} "
                + ("publishes no port" if database.published is None else "has no app URL here")
                + f" and no container of it runs: start it (`{_up(database)}`)",
            )
            return
        url = DatabaseUrl(
            "postgresql", answers.db_user, answers.db_password, database.service, 5432,
            answers.db_name,
        )  # fmt: skip
        inside = _Context(database, url, not findings, show_secrets, running, inspected)
        yield from _through_container(inside, running)
        return
    context = _Context(database, database.app.url, not findings, show_secrets, running, inspected)
    reachable = _reachable_check(context)
    yield reachable
    if reachable.status is not Status.OK:
        return
    connection, login = _login(context)
    yield login
    if connection is None:
        return
    ini = database.alembic_files[0] if database.alembic_files else None
    with connection:
        if context.answers.use_pgvector:
            yield vector_check(project_dir, ini, connection)
        yield alembic_check(project_dir, ini, connection)


def _through_container(context: _Context, container: compose.Container) -> Iterator[Check]:
    """A database that publishes no port: the login goes where the application's goes, from
    inside the container to its network address."""
    owner = _Owner(f"this project's container {container.name}", container=container)
    yield Check(
        "server reachable",
        Status.OK,
        f"{owner.description} runs (no port published: reached through the container)",
    )
    answers = context.answers
    problem = compose.login_problem(
        context.project_dir, container, answers.db_user, answers.db_password, answers.db_name
    )
    name = "authentication"
    if problem is None:
        where = f"on {container.name}'s network address"
        yield Check(name, Status.OK, f"user {answers.db_user} logs in to {answers.db_name} {where}")
    elif "password authentication failed" in problem:
        yield Check(name, Status.PROBLEM, _refused_message(context, owner))
    elif "database" in problem and "does not exist" in problem:
        yield Check(name, Status.PROBLEM, _missing_database_message(context))
    else:
        yield Check(name, Status.PROBLEM, f"a login in container {container.name}: {problem}")


def _reachable_check(context: _Context) -> Check:
    host, port = context.url.host or "", context.url.port or 5432
    try:
        with socket.create_connection((host, port), timeout=driver.CONNECT_TIMEOUT):
            pass
    except OSError as error:
        return Check(
            "server reachable",
            Status.PROBLEM,
            f"nothing answers on {host}:{port} ({error.strerror or error}): is "
            f"`{_up(context.database)}` or `envsync db up` running?",
        )
    owner = _owner(context)
    who = f"{owner.description} answers" if owner else "a server answers"
    return Check("server reachable", Status.OK, f"{who} on {host}:{port}")


@dataclass(frozen=True)
class _Owner:
    """Evidence that the server answering on the URL's port is this project's database."""

    description: str
    embedded: server.ServerStatus | None = None
    container: compose.Container | None = None


def _owner(context: _Context) -> _Owner | None:
    """This project's embedded server or compose container on the URL's port, else ``None``."""
    port = context.url.port or 5432
    embedded = server.status(context.database.spec.data_dir)
    if embedded is not None and embedded.port == port:
        return _Owner("this project's embedded database (envsync db up)", embedded=embedded)
    container = context.container
    if container is not None and port in container.published:
        return _Owner(f"this project's container {container.name}", container=container)
    return None


def _app_login(context: _Context) -> driver.Login:
    url = context.url
    database = url.database or url.user or ""
    return driver.Login(url.host or "", url.port or 5432, url.user or "", database, url.password)


def _login(context: _Context) -> tuple[Connection | None, Check]:
    """(connection or None, the authentication check)."""
    url = context.url
    name = "authentication"
    try:
        return driver.connect(_app_login(context)), Check(
            name, Status.OK, f"user {url.user} logs in to database {url.database}"
        )
    except driver.Refused as error:
        refused = error
    if refused.bad_password:
        return None, Check(name, Status.PROBLEM, _refused_message(context))
    if refused.missing_database:
        return None, Check(name, Status.PROBLEM, _missing_database_message(context))
    return None, Check(name, Status.PROBLEM, f"connection refused by the server: {refused.reason}")


def _other_address_answers(context: _Context) -> str | None:
    """When the host name resolves to several addresses, the one where these credentials work.

    libpq stops at the first address that answers, even if the login then fails: a native
    PostgreSQL on ``::1`` hides the container on ``127.0.0.1`` behind ``localhost``.
    """
    url = context.url
    try:
        infos = socket.getaddrinfo(url.host, url.port or 5432, type=socket.SOCK_STREAM)
    except OSError:
        return None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses[1:]:
        try:
            driver.connect(_app_login(context), hostaddr=address).close()
        except driver.Refused:
            continue
        return f"{addresses[0]} (where a different server answered) and {address}"
    return None


def _refused_message(context: _Context, known: _Owner | None = None) -> str:
    url, answers = context.url, context.answers
    if not context.files_agree:
        return (
            f"password authentication failed for user {url.user}: the files disagree "
            "with each other; run `envsync check`, then `envsync render`"
        )
    other = None
    if known is None and url.host and not _is_ip(url.host):
        other = _other_address_answers(context)
    if other:
        return (
            f"{url.host} resolves to {other}: the login works on the second address only; "
            f"use an address: envsync set db_host=127.0.0.1"
        )
    owner = known or _owner(context)
    if owner is None:
        port = url.port or 5432
        publisher = compose.publisher(port)
        who = f" ({publisher})" if publisher else ""
        return (
            f"another server{who} answers on {url.host}:{port}; this project's database "
            f"is not running: start it (`envsync db up` or `{_up(context.database)}`) or move it "
            "to a free port (`envsync set db_port=...`)"
        )
    if _role_missing(context, owner):
        return (
            f"role {answers.db_user} does not exist on {owner.description}: its volume was "
            "initialised with another POSTGRES_USER; put that user in the files (`envsync set "
            "--files-only db_user=...`), or `envsync set db_user=...` from it to rename it"
        )
    if context.show_secrets:
        sql = (
            f"ALTER ROLE {identifier(answers.db_user)} WITH PASSWORD {literal(answers.db_password)}"
        )
    else:
        # A masked password in a pasted command would become the password: psql asks for it.
        sql = f"\\password {identifier(answers.db_user)}"
    service = answers.db_service
    docker = _psql_command([*_compose(context.database), "exec", service, "psql"], answers, sql)
    lines = [
        f"the files agree, but the server refuses their password for user {url.user}: the "
        f"database volume was initialised with an older password{_volume_named(context)} (the "
        "image applies POSTGRES_* only on a volume's first start). Either keep the data and set "
        "the new password over the container's local socket:",
        f"    {docker}",
    ]
    embedded = owner.embedded
    if embedded is not None and embedded.socket_dir is not None:
        psql = [str(binaries.psql_binary()), "-h", str(embedded.socket_dir)]
        local = _psql_command([*psql, "-p", str(embedded.port)], answers, sql)
        lines.append(f"    {local}    # the embedded database (envsync db up)")
    lines += [
        "or recreate the volume, which DESTROYS its data:",
        f"    {shlex.join(_compose(context.database))} down -v && {_up(context.database)}",
        f"    envsync db down && rm -rf {context.database.volume} && envsync db up"
        "    # the embedded database",
    ]
    if not context.show_secrets:
        kept_in = ".env" if answers.secret_storage == local_secret.LOCAL else ".copier-answers.yml"
        lines.append(
            f"(psql asks for the new password: the one in {kept_in}; "
            "--show-secrets prints an ALTER ROLE with it instead)"
        )
    return "\n".join(lines)


def _volume_named(context: _Context) -> str:
    if context.container is None or context.inspected is None or not context.inspected.volumes:
        return ""
    return f" (docker volume {', '.join(context.inspected.volumes)})"


def _role_missing(context: _Context, owner: _Owner) -> bool:
    """Whether the role is absent, asked over the local socket where every role may log in.

    Over TCP PostgreSQL answers "password authentication failed" for a missing role too, so
    only the embedded server's socket or ``docker compose exec`` can tell the two apart.
    """
    user = context.answers.db_user
    embedded = owner.embedded
    if embedded is not None and embedded.socket_dir is not None:
        try:
            socket = driver.Login(str(embedded.socket_dir), embedded.port, user, "postgres")
            driver.connect(socket).close()
        except driver.Refused as error:
            return error.missing_role
        return False
    if owner.container is not None:
        argv = compose.exec_psql_argv(
            context.answers.db_service, user, "postgres", owner.container.files
        )
        result = compose.run(argv, context.project_dir, timeout=30, stdin="SELECT 1;\n")
        if result is None:
            return False
        return "role" in result.stderr and "does not exist" in result.stderr
    return False


def _missing_database_message(context: _Context) -> str:
    answers = context.answers
    create = f"CREATE DATABASE {identifier(answers.db_name)}"
    docker = _psql_command(
        [*_compose(context.database), "exec", answers.db_service, "psql"], answers, create
    )
    return (
        f"database {answers.db_name} does not exist on the server (the volume was initialised "
        f"with another POSTGRES_DB); create it:\n    {docker}"
    )


def _compose(database: ProjectDatabase) -> list[str]:
    """``docker compose`` as a person runs it for this project: with the map's files."""
    return compose.compose_argv(database.compose_project)


def _up(database: ProjectDatabase) -> str:
    return shlex.join([*_compose(database), "up", "-d", database.service])


def _psql_command(psql: list[str], answers: Answers, sql: str) -> str:
    """A shell command running ``sql`` as the project's user through the server's local socket,
    where the image trusts every local login, so a forgotten password does not matter."""
    return shlex.join([*psql, "-U", answers.db_user, "-d", "postgres", "-c", sql])


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True
