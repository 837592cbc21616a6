"""Credentials read back from each file by the parser that really consumes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml
from alembic.config import Config
from dotenv import dotenv_values
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    database: str
    port: int


def _compose_literal(value: object) -> str:
    # Compose reads `$$` as `$`; the generated files use no other interpolation.
    assert isinstance(value, str), value
    assert re.search(r"(?<!\$)\$(?!\$)", value.replace("$$", "")) is None, value
    return value.replace("$$", "$")


def from_compose(project: Path, service: str = "db") -> Credentials:
    data = yaml.safe_load((project / "docker-compose.yml").read_text())
    db = data["services"][service]
    env = db["environment"]
    (port_mapping,) = db["ports"]
    host_port, container_port = _compose_literal(port_mapping).split(":")[-2:]
    assert container_port == "5432"
    return Credentials(
        user=_compose_literal(env["POSTGRES_USER"]),
        password=_compose_literal(env["POSTGRES_PASSWORD"]),
        database=_compose_literal(env["POSTGRES_DB"]),
        port=int(host_port),
    )


def from_url(url: str) -> Credentials:
    parsed = make_url(url)
    assert parsed.username is not None and parsed.password is not None
    assert parsed.database is not None and parsed.port is not None
    return Credentials(parsed.username, parsed.password, parsed.database, parsed.port)


def env_url(project: Path, backend: str = "backend", name: str = ".env") -> str:
    url = dotenv_values(project / backend / name)["DATABASE_URL"]
    assert url is not None
    return url


def ini_url(project: Path, backend: str = "backend") -> str:
    url = Config(str(project / backend / "alembic.ini")).get_main_option("sqlalchemy.url")
    assert url is not None
    return url


def from_env(project: Path, backend: str = "backend") -> Credentials:
    return from_url(env_url(project, backend))


def from_alembic_ini(project: Path, backend: str = "backend") -> Credentials:
    return from_url(ini_url(project, backend))


def claude_md_fields(project: Path) -> dict[str, str]:
    """The ``label: value`` lines of the credentials section's fenced block, as the reader sees."""
    text = (project / "CLAUDE.md").read_text()
    # Markers and fences count only at the start of a line, as Markdown readers see them.
    section = re.search(r"^<!-- envsync:begin credentials.*?^<!-- envsync:end", text, re.M | re.S)
    assert section is not None
    block = re.search(r"^```text\n(.*?)\n```$", section[0], re.M | re.S)
    assert block is not None
    return dict(line.split(": ", 1) for line in block[1].splitlines())


def from_claude_md(project: Path) -> Credentials:
    fields = claude_md_fields(project)
    return Credentials(fields["user"], fields["password"], fields["database"], int(fields["port"]))


def all_credentials(project: Path, backend: str = "backend") -> dict[str, Credentials]:
    return {
        "docker-compose.yml": from_compose(project),
        "backend/.env": from_env(project, backend),
        "backend/alembic.ini": from_alembic_ini(project, backend),
        "CLAUDE.md": from_claude_md(project),
    }


def connect_to_compose_database(project: Path, **options: object) -> psycopg.Connection:
    """A login to the project's running database with the credentials compose gives it."""
    credentials = from_compose(project)
    return psycopg.connect(
        host="127.0.0.1",
        port=credentials.port,
        user=credentials.user,
        password=credentials.password,
        dbname=credentials.database,
        **options,  # type: ignore[arg-type]
    )
