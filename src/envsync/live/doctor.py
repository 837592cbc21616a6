"""``envsync doctor``: why does the database refuse? Live checks, in the order a person would run
them by hand (the incident's routine): do the files agree, does the container hold what the files
say, is the server there, do the credentials authenticate, is the database, pgvector and Alembic's
head there."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envsync import database_url, file_io, local_secret, plan
from envsync.answers import Answers
from envsync.database_url import DatabaseUrl
from envsync.drift import MASK
from envsync.errors import FormatError
from envsync.facts import load_answers
from envsync.formats import dotenv_file
from envsync.live import binaries, compose, driver, server
from envsync.live.local_database import VOLUMES_DIR
from envsync.sql_text import identifier, literal

if TYPE_CHECKING:
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

# A migration that creates pgvector: op.execute("CREATE EXTENSION IF NOT EXISTS vector") and kin.
_CREATES_VECTOR = re.compile(r"create\s+extension\s+(if\s+not\s+exists\s+)?\W?vector\b", re.I)


class Status(Enum):
    OK = "ok"
    PROBLEM = "problem"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str


@dataclass(frozen=True)
class _Context:
    project_dir: Path
    answers: Answers
    url: DatabaseUrl
    files_agree: bool
    show_secrets: bool

    def secret(self, value: str) -> str:
        return value if self.show_secrets else MASK


def _app_url(project_dir: Path, answers: Answers) -> DatabaseUrl:
    """DATABASE_URL from backend/.env: what the application and Alembic connect with."""
    shown = f"{answers.backend_dir}/.env"
    found = file_io.read(project_dir, shown)
    if found is None:
        raise FormatError(path=shown, message="not found; run `envsync render` to create it")
    raw = dotenv_file.values(found.text).get(dotenv_file.URL_KEY)
    parsed = database_url.parse(raw or "")
    if parsed is None or not parsed.user or parsed.password is None or not parsed.host:
        raise FormatError(
            path=shown,
            message="DATABASE_URL is missing or is not a postgresql URL with user, password, host",
        )
    return parsed


def diagnose(project_dir: Path, *, show_secrets: bool = False) -> Iterator[Check]:
    """Each check as it completes; stops at the first failure the later checks depend on."""
    answers = load_answers(project_dir)
    url = _app_url(project_dir, answers)
    findings = plan.load_plan(project_dir).findings
    context = _Context(project_dir, answers, url, not findings, show_secrets)
    if findings:
        first = findings[0]
        yield Check(
            "files agree",
            Status.PROBLEM,
            f"{len(findings)} value(s) drifted from .copier-answers.yml, first "
            f"{first.path}: {first.key}; run `envsync check`, then `envsync render`",
        )
    else:
        yield Check("files agree", Status.OK, "every file agrees with .copier-answers.yml")
    yield _container_check(context)
    reachable = _reachable_check(context)
    yield reachable
    if reachable.status is not Status.OK:
        return
    connection, login = _login(context)
    yield login
    if connection is None:
        return
    with connection:
        if answers.use_pgvector:
            yield _vector_check(context, connection)
        yield _alembic_check(context, connection)


def _container_check(context: _Context) -> Check:
    """The incident's ``docker inspect`` step: what the running container was really given."""
    name = "container environment"
    container = context.answers.db_container
    if shutil.which("docker") is None:
        return Check(name, Status.SKIPPED, "docker is not on PATH: container not inspected")
    engine = compose.engine_problem()
    if engine is not None:
        return Check(name, Status.SKIPPED, engine)
    try:
        result = subprocess.run(
            ["docker", "inspect", "--format", "{{json .Config.Env}}", container],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check(name, Status.SKIPPED, f"docker inspect {container} failed: {error}")
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return Check(name, Status.SKIPPED, f"docker inspect {container}: {reason}")
    environment = dict(item.partition("=")[::2] for item in json.loads(result.stdout) or [])
    wanted = {
        "POSTGRES_USER": context.answers.db_user,
        "POSTGRES_PASSWORD": context.answers.db_password,
        "POSTGRES_DB": context.answers.db_name,
    }
    differ = [key for key, value in wanted.items() if environment.get(key) != value]
    if differ:
        return Check(
            name,
            Status.PROBLEM,
            f"container {container} runs with other {', '.join(differ)} than the files; "
            f"recreate it: docker compose up -d --force-recreate {context.answers.db_service}",
        )
    return Check(name, Status.OK, f"container {container} runs with the files' POSTGRES_*")


def _reachable_check(context: _Context) -> Check:
    host, port = context.url.host or "", context.url.port or 5432
    try:
        with socket.create_connection((host, port), timeout=driver.CONNECT_TIMEOUT):
            pass
    except OSError as error:
        service = context.answers.db_service
        return Check(
            "server reachable",
            Status.PROBLEM,
            f"nothing answers on {host}:{port} ({error.strerror or error}): is "
            f"`docker compose up -d {service}` or `envsync db up` running?",
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
    embedded = server.status(_volume(context))
    if embedded is not None and embedded.port == port:
        return _Owner("this project's embedded database (envsync db up)", embedded=embedded)
    container = compose.running_container(context.project_dir, context.answers.db_service)
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


def _refused_message(context: _Context) -> str:
    url, answers = context.url, context.answers
    if not context.files_agree:
        return (
            f"password authentication failed for user {url.user}: the files disagree "
            "with each other; run `envsync check`, then `envsync render`"
        )
    other = _other_address_answers(context) if url.host and not _is_ip(url.host) else None
    if other:
        return (
            f"{url.host} resolves to {other}: the login works on the second address only; "
            f"use an address: envsync set db_host=127.0.0.1"
        )
    owner = _owner(context)
    if owner is None:
        return (
            f"another server answers on {url.host}:{url.port or 5432}; this project's database "
            f"is not running: start it (`envsync db up` or `docker compose up -d "
            f"{answers.db_service}`) or move it to a free port (`envsync set db_port=...`)"
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
    docker = _psql_command(["docker", "compose", "exec", service, "psql"], answers, sql)
    lines = [
        f"the files agree, but the server refuses their password for user {url.user}: the "
        "database volume was initialised with an older password (the image applies POSTGRES_* "
        "only on a volume's first start). Either keep the data and set the new password over "
        "the container's local socket:",
        f"    {docker}",
    ]
    embedded = owner.embedded
    if embedded is not None and embedded.socket_dir is not None:
        psql = [str(binaries.psql_binary()), "-h", str(embedded.socket_dir)]
        local = _psql_command([*psql, "-p", str(embedded.port)], answers, sql)
        lines.append(f"    {local}    # the embedded database (envsync db up)")
    lines += [
        "or recreate the volume, which DESTROYS its data:",
        f"    docker compose down -v && docker compose up -d {service}",
        f"    envsync db down && rm -rf {VOLUMES_DIR / service} && envsync db up"
        "    # the embedded database",
    ]
    if not context.show_secrets:
        kept_in = ".env" if answers.secret_storage == local_secret.LOCAL else ".copier-answers.yml"
        lines.append(
            f"(psql asks for the new password: the one in {kept_in}; "
            "--show-secrets prints an ALTER ROLE with it instead)"
        )
    return "\n".join(lines)


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
        argv = compose.exec_psql_argv(context.answers.db_service, user, "postgres")
        try:
            result = subprocess.run(
                argv,
                cwd=context.project_dir,
                input="SELECT 1;\n",
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return "role" in result.stderr and "does not exist" in result.stderr
    return False


def _missing_database_message(context: _Context) -> str:
    answers = context.answers
    create = f"CREATE DATABASE {identifier(answers.db_name)}"
    docker = _psql_command(
        ["docker", "compose", "exec", answers.db_service, "psql"], answers, create
    )
    return (
        f"database {answers.db_name} does not exist on the server (the volume was initialised "
        f"with another POSTGRES_DB); create it:\n    {docker}"
    )


def _psql_command(psql: list[str], answers: Answers, sql: str) -> str:
    """A shell command running ``sql`` as the project's user through the server's local socket,
    where the image trusts every local login, so a forgotten password does not matter."""
    return shlex.join([*psql, "-U", answers.db_user, "-d", "postgres", "-c", sql])


def _volume(context: _Context) -> Path:
    return context.project_dir.absolute() / VOLUMES_DIR / context.answers.db_service


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _vector_check(context: _Context, connection: Connection) -> Check:
    row = connection.execute(
        "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
    ).fetchone()
    if row is None:
        missing = f"the vector extension is not installed in {context.url.database}"
        if _migrations_create_vector(context):
            advice = (
                f"run `cd {context.answers.backend_dir} && alembic upgrade head` "
                "(a migration creates it)"
            )
        else:
            advice = (
                "no migration creates it: add one that runs `CREATE EXTENSION IF NOT EXISTS vector`"
            )
        return Check("pgvector", Status.PROBLEM, f"{missing}: {advice}")
    return Check("pgvector", Status.OK, f"vector {row[0]} is installed")


def _alembic_check(context: _Context, connection: Connection) -> Check:
    name = "alembic"
    backend = context.answers.backend_dir
    try:
        import alembic  # noqa: F401  (only whether it is installed)
    except ImportError:
        return Check(name, Status.SKIPPED, "alembic is not installed here: head not compared")
    ini = context.project_dir / backend / "alembic.ini"
    if not ini.is_file():
        return Check(name, Status.SKIPPED, f"{backend}/alembic.ini not found")
    try:
        heads = set(_script_directory(ini).get_heads())
    # Alembic runs the project's own env and revision files: any error there is a finding about
    # the project, reported as one line, never a traceback.
    except Exception as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[-1]
        return Check(name, Status.PROBLEM, f"alembic cannot read {backend}/alembic.ini: {reason}")
    row = connection.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
    exists = row is not None and row[0]
    current = (
        {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
        if exists
        else set()
    )
    if current == heads:
        return Check(name, Status.OK, f"at head ({', '.join(sorted(heads)) or 'no revisions'})")
    return Check(
        name,
        Status.PROBLEM,
        f"the database is at {', '.join(sorted(current)) or 'no revision'}, head is "
        f"{', '.join(sorted(heads))}: run `cd {backend} && alembic upgrade head`",
    )


def _script_directory(ini: Path):  # type: ignore[no-untyped-def]
    """Alembic's view of the migrations, as ``alembic`` run from the ini's directory sees them.

    Alembic resolves a relative ``script_location`` against the working directory, and users run
    it from the ini's directory (``cd backend && alembic upgrade head``); doctor runs elsewhere.
    A ``package:path`` location is left to Alembic.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ini))
    location = config.get_main_option("script_location")
    if location and not os.path.isabs(location) and ":" not in location:
        # set_main_option interpolates: a literal % must be doubled.
        config.set_main_option("script_location", str(ini.parent / location).replace("%", "%%"))
    return ScriptDirectory.from_config(config)


def _migrations_create_vector(context: _Context) -> bool:
    """Whether a migration of the project creates pgvector (so upgrading is the right advice)."""
    ini = context.project_dir / context.answers.backend_dir / "alembic.ini"
    try:
        directory = Path(_script_directory(ini).dir)
    except Exception:  # an unreadable Alembic setup is the alembic check's finding, not this one
        return False
    for path in directory.rglob("*.py"):
        try:
            if _CREATES_VECTOR.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False
