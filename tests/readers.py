"""Credentials read back from each file by the parser that really consumes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
    host_port, container_port = _compose_literal(port_mapping).split(":")
    assert container_port == "5432"
    return Credentials(
        user=_compose_literal(env["POSTGRES_USER"]),
        password=_compose_literal(env["POSTGRES_PASSWORD"]),
        database=_compose_literal(env["POSTGRES_DB"]),
        port=int(host_port),
    )


def _from_url(url: str) -> Credentials:
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
    return _from_url(env_url(project, backend))


def from_alembic_ini(project: Path, backend: str = "backend") -> Credentials:
    return _from_url(ini_url(project, backend))


def from_claude_md(project: Path) -> Credentials:
    text = (project / "CLAUDE.md").read_text()
    section = text.split("<!-- envsync:begin credentials", 1)[1].split("<!-- envsync:end", 1)[0]
    block = section.split("```text\n", 1)[1].split("\n```", 1)[0]
    fields = dict(line.split(": ", 1) for line in block.splitlines())
    return Credentials(fields["user"], fields["password"], fields["database"], int(fields["port"]))


def all_credentials(project: Path, backend: str = "backend") -> dict[str, Credentials]:
    return {
        "docker-compose.yml": from_compose(project),
        "backend/.env": from_env(project, backend),
        "backend/alembic.ini": from_alembic_ini(project, backend),
        "CLAUDE.md": from_claude_md(project),
    }
