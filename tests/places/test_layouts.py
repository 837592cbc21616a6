"""Layouts envsync did not generate, each with a hand-written map: check, set, render.

Every layout is a small directory shaped like a real project (places.md). Each place is read
back by its real consumer: Docker Compose v2 (``docker-compose config``), python-dotenv,
Alembic's ``Config``, SQLAlchemy's ``make_url``, PyYAML for a workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from alembic.config import Config
from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from tests import compose_v2
from tests.conftest import envsync, snapshot
from tests.host_ports import moved, own_ports

NEW_PASSWORD = "N3w:p@ss%$x y"
SAFE_PASSWORD = "N3w-pass_word.x~"
Probe = Callable[[Path], object]
# What real projects keep out of git: envsync adds these lines to a project that lacks them.
IGNORED = ".env\n*.env\n.envs/\n*.envsync-tmp\n"


def answers(**overrides: object) -> str:
    values: dict[str, object] = {
        "project_name": "app",
        "db_service": "db",
        "db_container": "app-db",
        "db_image": "postgres:16",
        "db_user": "app",
        "db_password": "secret",
        "db_name": "app",
        "db_host": "127.0.0.1",
        "db_port": 5432,
        **overrides,
    }
    return yaml.safe_dump(values, sort_keys=False)


def compose_env(service: str, key: str, *files: str) -> Probe:
    return lambda project: compose_v2.environment(project, service, *files).get(key)


def compose_ports(service: str, *files: str) -> Probe:
    return lambda project: compose_v2.published(project, service, *files)


def dotenv(path: str, key: str) -> Probe:
    return lambda project: dotenv_values(project / path).get(key)


def url_part(read: Probe, part: str) -> Probe:
    def probe(project: Path) -> object:
        value = read(project)
        assert isinstance(value, str), value
        return getattr(make_url(value), part)

    return probe


def alembic_url(path: str) -> Probe:
    return lambda project: Config(str(project / path)).get_main_option("sqlalchemy.url")


def workflow(path: str, *keys: str) -> Probe:
    def probe(project: Path) -> object:
        node: object = yaml.safe_load((project / path).read_text())
        for key in keys:
            assert isinstance(node, dict)
            node = node[key]
        return node

    return probe


@dataclass(frozen=True)
class Layout:
    name: str
    files: dict[str, str]
    places: str
    # Probes that must read the new password after `envsync set db_password=...`.
    password: tuple[Probe, ...]
    # Probes whose reading must not change (drivers, views, ports, other facts).
    kept: tuple[Probe, ...] = ()
    # Text that must still be in the files after the change (references stay references).
    still_written: tuple[tuple[str, str], ...] = ()
    # A hand edit of a definition, and the place that must be repaired.
    definition_drift: tuple[str, str, str] | None = None
    answers: dict[str, object] = field(default_factory=dict)
    # A URL spelled with ${POSTGRES_PASSWORD} carries it unencoded: only URL-safe passwords.
    new_password: str = NEW_PASSWORD


ROOT_ENV_REFERENCES = Layout(
    "root .env + ${VAR:?} references + backend env_file",
    {
        "compose.yaml": (
            "services:\n"
            "  db:\n"
            "    image: postgres:16\n"
            "    environment:\n"
            "      POSTGRES_USER: ${POSTGRES_USER:?}\n"
            "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}\n"
            "      POSTGRES_DB: ${POSTGRES_DB:?}\n"
            "    ports:\n"
            '      - "5432:5432"\n'
            "  backend:\n"
            "    image: python:3.12\n"
            "    env_file: .env\n"
            "    environment:\n"
            "      DATABASE_URL: postgresql+psycopg://${POSTGRES_USER}:${POSTGRES_PASSWORD}@db:5432/${POSTGRES_DB}\n"
        ),
        ".env": (
            "# local settings\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=secret\nPOSTGRES_DB=app\n"
            "SECRET_KEY=changethis\n"
        ),
    },
    """
[[place]]
file = "compose.yaml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "compose.yaml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "compose.yaml"
key = "services.db.environment.POSTGRES_DB"
value = "{db_name}"

[[place]]
file = "compose.yaml"
key = "services.db.ports"
value = "{db_port}"

[[place]]
file = "compose.yaml"
key = "services.backend.environment.DATABASE_URL"
url = "network"

[[place]]
file = ".env"
key = "POSTGRES_USER"
value = "{db_user}"

[[place]]
file = ".env"
key = "POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = ".env"
key = "POSTGRES_DB"
value = "{db_name}"
""",
    password=(
        compose_env("db", "POSTGRES_PASSWORD"),
        compose_env("backend", "POSTGRES_PASSWORD"),
        url_part(compose_env("backend", "DATABASE_URL"), "password"),
        dotenv(".env", "POSTGRES_PASSWORD"),
    ),
    kept=(
        url_part(compose_env("backend", "DATABASE_URL"), "drivername"),
        url_part(compose_env("backend", "DATABASE_URL"), "host"),
        compose_ports("db"),
        dotenv(".env", "SECRET_KEY"),
    ),
    still_written=(
        ("compose.yaml", "${POSTGRES_PASSWORD:?set it in .env}"),
        ("compose.yaml", "//${POSTGRES_USER}:${POSTGRES_PASSWORD}@db:5432/"),
    ),
    definition_drift=(".env", "POSTGRES_PASSWORD=secret", "POSTGRES_PASSWORD=drifted"),
    new_password=SAFE_PASSWORD,
)

SETTINGS_PARTS = Layout(
    "parts read by a settings class",
    {
        "docker-compose.yml": (
            "services:\n  db:\n    image: pgvector/pgvector:pg16\n    environment:\n"
            "      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD=secret\n      - POSTGRES_DB=app\n"
            "    ports:\n      - 127.0.0.1:5433:5432\n"
        ),
        "backend/.env": (
            "PROJECT_NAME=app\nPOSTGRES_SERVER=localhost\nPOSTGRES_PORT=5433\n"
            "POSTGRES_USER=app\nPOSTGRES_PASSWORD='secret'\nPOSTGRES_DB=app\n"
            "FIRST_SUPERUSER_PASSWORD=changethis\n"
        ),
    },
    """
[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_DB"
value = "{db_name}"

[[place]]
file = "backend/.env"
key = "POSTGRES_DB"
value = "{db_name}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "docker-compose.yml"
key = "services.db.ports"
value = "{db_port}"

[[place]]
file = "backend/.env"
key = "POSTGRES_SERVER"
value = "{db_host}"

[[place]]
file = "backend/.env"
key = "POSTGRES_PORT"
value = "{db_port}"

[[place]]
file = "backend/.env"
key = "POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "backend/.env"
key = "POSTGRES_USER"
value = "{db_user}"
""",
    password=(compose_env("db", "POSTGRES_PASSWORD"), dotenv("backend/.env", "POSTGRES_PASSWORD")),
    kept=(
        compose_ports("db"),
        dotenv("backend/.env", "POSTGRES_PORT"),
        dotenv("backend/.env", "FIRST_SUPERUSER_PASSWORD"),
    ),
    still_written=(("docker-compose.yml", "- 127.0.0.1:5433:5432"),),
    answers={"db_host": "localhost", "db_port": 5433},
)

BACKEND_SERVICE_URL = Layout(
    "backend service URL on db:5432, host publishes 5433",
    {
        "docker-compose.yml": (
            "services:\n"
            "  db:\n    image: postgres:16\n    environment:\n"
            "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n      POSTGRES_DB: app\n"
            "    ports:\n      - 5433:5432\n"
            "  backend:\n    image: python\n    environment:\n"
            "      - DATABASE_URL=postgresql://app:secret@db:5432/app?sslmode=disable\n"
            "      - DEBUG=1\n"
        ),
        ".env": "DATABASE_URL=postgresql+asyncpg://app:secret@127.0.0.1:5433/app\n",
    },
    """
[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_DB"
value = "{db_name}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "docker-compose.yml"
key = "services.db.ports"
value = "{db_port}"

[[place]]
file = "docker-compose.yml"
key = "services.backend.environment.DATABASE_URL"
url = "network"

[[place]]
file = ".env"
key = "DATABASE_URL"
url = "host"
""",
    password=(
        compose_env("db", "POSTGRES_PASSWORD"),
        url_part(compose_env("backend", "DATABASE_URL"), "password"),
        url_part(dotenv(".env", "DATABASE_URL"), "password"),
    ),
    kept=(
        url_part(compose_env("backend", "DATABASE_URL"), "port"),
        url_part(compose_env("backend", "DATABASE_URL"), "drivername"),
        url_part(compose_env("backend", "DATABASE_URL"), "query"),
        url_part(dotenv(".env", "DATABASE_URL"), "port"),
        url_part(dotenv(".env", "DATABASE_URL"), "drivername"),
        compose_env("backend", "DEBUG"),
    ),
    answers={"db_port": 5433},
)

URL_OF_REFERENCES = Layout(
    "a URL made of ${POSTGRES_*} references in a .env that compose also reads",
    {
        "docker-compose.yml": (
            "services:\n  db:\n    image: postgres:16\n    env_file: .env\n"
            '    ports:\n      - "5432:5432"\n'
        ),
        ".env": (
            "POSTGRES_USER=app\nPOSTGRES_PASSWORD=secret\nPOSTGRES_DB=app\n"
            "DATABASE_URL=postgresql+asyncpg://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:5432/${POSTGRES_DB}\n"
        ),
    },
    """
[[place]]
file = ".env"
key = "POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = ".env"
key = "DATABASE_URL"
url = "host"
""",
    password=(
        compose_env("db", "POSTGRES_PASSWORD"),
        url_part(dotenv(".env", "DATABASE_URL"), "password"),
    ),
    kept=(url_part(dotenv(".env", "DATABASE_URL"), "drivername"),),
    still_written=((".env", "//${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:5432/"),),
    definition_drift=(".env", "POSTGRES_PASSWORD=secret", "POSTGRES_PASSWORD=other"),
    new_password=SAFE_PASSWORD,
)

OVERRIDE_PORTS = Layout(
    "compose.yaml + compose.override.yml holding the ports",
    {
        "compose.yaml": (
            "services:\n  db:\n    image: postgres:16\n    environment:\n"
            "      POSTGRES_PASSWORD: secret\n      POSTGRES_USER: app\n"
        ),
        "compose.override.yml": 'services:\n  db:\n    ports:\n      - "5434:5432"\n',
        "src/.env": "DATABASE_URL=postgresql+psycopg://app:secret@127.0.0.1:5434/app\n",
    },
    """
[[place]]
file = "compose.yaml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "compose.yaml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "compose.override.yml"
key = "services.db.ports"
value = "{db_port}"

[[place]]
file = "src/.env"
key = "DATABASE_URL"
url = "host"
""",
    password=(
        compose_env("db", "POSTGRES_PASSWORD", "compose.yaml", "compose.override.yml"),
        url_part(dotenv("src/.env", "DATABASE_URL"), "password"),
    ),
    kept=(compose_ports("db", "compose.yaml", "compose.override.yml"),),
    answers={"db_port": 5434},
)

NO_PUBLISHED_PORT = Layout(
    "a database that publishes no port (expose only)",
    {
        "compose.yml": (
            "services:\n  db:\n    image: postgres:16\n    expose:\n      - 5432\n"
            "    environment:\n      POSTGRES_PASSWORD: secret\n      POSTGRES_USER: app\n"
            "  web:\n    image: app\n    environment:\n"
            "      DATABASE_URL: postgres://app:secret@db:5432/app\n"
        ),
    },
    """
[[place]]
file = "compose.yml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "compose.yml"
key = "services.web.environment.DATABASE_URL"
url = "network"
""",
    password=(
        compose_env("db", "POSTGRES_PASSWORD"),
        url_part(compose_env("web", "DATABASE_URL"), "password"),
    ),
    kept=(compose_ports("db"), url_part(compose_env("web", "DATABASE_URL"), "drivername")),
)

ASYNC_ALEMBIC = Layout(
    "async alembic.ini (postgresql+asyncpg) at the root",
    {
        "docker-compose.yml": (
            "services:\n  db:\n    image: postgres:16\n    environment:\n"
            "      POSTGRES_PASSWORD: secret\n      POSTGRES_USER: app\n      POSTGRES_DB: app\n"
            "    ports:\n      - '5432:5432'\n"
        ),
        "alembic.ini": (
            "[alembic]\nscript_location = %(here)s/migrations\n"
            "sqlalchemy.url = postgresql+asyncpg://app:secret@localhost:5432/app\n"
            "[loggers]\nkeys = root\n"
        ),
    },
    """
[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_DB"
value = "{db_name}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "alembic.ini"
key = "[alembic] sqlalchemy.url"
url = "host"
""",
    password=(
        compose_env("db", "POSTGRES_PASSWORD"),
        url_part(alembic_url("alembic.ini"), "password"),
    ),
    kept=(
        url_part(alembic_url("alembic.ini"), "drivername"),
        url_part(alembic_url("alembic.ini"), "host"),
    ),
    answers={"db_host": "localhost"},
)

PLAIN_POSTGRESQL_URL = Layout(
    "a postgresql:// URL without driver (dj-database-url) in .envs/.local/.postgres",
    {
        "docker-compose.yml": (
            "services:\n  postgres:\n    image: postgres:16\n"
            "    env_file:\n      - ./.envs/.local/.postgres\n"
            "    ports:\n      - '5432:5432'\n"
        ),
        ".envs/.local/.postgres": (
            "POSTGRES_HOST=postgres\nPOSTGRES_PORT=5432\nPOSTGRES_DB=app\n"
            "POSTGRES_USER=app\nPOSTGRES_PASSWORD=secret\n"
            "DATABASE_URL=postgresql://app:secret@postgres:5432/app\n"
        ),
    },
    """
[[place]]
file = ".envs/.local/.postgres"
key = "POSTGRES_DB"
value = "{db_name}"

[[place]]
file = ".envs/.local/.postgres"
key = "POSTGRES_USER"
value = "{db_user}"

[[place]]
file = ".envs/.local/.postgres"
key = "POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = ".envs/.local/.postgres"
key = "POSTGRES_HOST"
value = "{db_service}"

[[place]]
file = ".envs/.local/.postgres"
key = "DATABASE_URL"
url = "network"
""",
    password=(
        compose_env("postgres", "POSTGRES_PASSWORD"),
        url_part(dotenv(".envs/.local/.postgres", "DATABASE_URL"), "password"),
    ),
    kept=(
        url_part(dotenv(".envs/.local/.postgres", "DATABASE_URL"), "drivername"),
        dotenv(".envs/.local/.postgres", "POSTGRES_HOST"),
    ),
    answers={"db_service": "postgres"},
)

WORKFLOW_SERVICE = Layout(
    "a CI workflow service container with a password of its own",
    {
        "docker-compose.yml": (
            "services:\n  db:\n    image: postgres:16\n    environment:\n"
            "      POSTGRES_PASSWORD: secret\n    ports:\n      - '5432:5432'\n"
        ),
        ".github/workflows/test.yml": (
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    services:\n      postgres:\n        image: postgres:16\n        env:\n"
            "          POSTGRES_USER: app\n          POSTGRES_PASSWORD: ci_pw\n"
            "        ports: ['5432:5432']\n"
            "    env:\n      DATABASE_URL: postgresql://app:ci_pw@localhost:5432/app\n"
            "    steps:\n      - run: pytest\n"
        ),
    },
    """
[facts]
ci_db_password = "ci_pw"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = ".github/workflows/test.yml"
key = "jobs.test.services.postgres.env.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = ".github/workflows/test.yml"
key = "jobs.test.services.postgres.env.POSTGRES_PASSWORD"
value = "{ci_db_password}"

[[place]]
file = ".github/workflows/test.yml"
key = "jobs.test.env.DATABASE_URL"
url = { view = "host", password = "{ci_db_password}", host = "localhost", port = "5432" }
""",
    password=(compose_env("db", "POSTGRES_PASSWORD"),),
    kept=(
        workflow(".github/workflows/test.yml", "jobs", "test", "env", "DATABASE_URL"),
        workflow(".github/workflows/test.yml", "jobs", "test", "services", "postgres", "env"),
    ),
)

LAYOUTS = [
    ROOT_ENV_REFERENCES,
    SETTINGS_PARTS,
    BACKEND_SERVICE_URL,
    URL_OF_REFERENCES,
    OVERRIDE_PORTS,
    NO_PUBLISHED_PORT,
    ASYNC_ALEMBIC,
    PLAIN_POSTGRESQL_URL,
    WORKFLOW_SERVICE,
]


def build(root: Path, layout: Layout) -> Path:
    """The layout in ``root``, its host ports moved to this run's (tests/host_ports.py)."""
    for name, text in layout.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(own_ports(name, text))
    (root / ".gitignore").write_text(IGNORED)
    port = layout.answers.get("db_port", 5432)
    assert isinstance(port, int)
    (root / ".copier-answers.yml").write_text(answers(**{**layout.answers, "db_port": moved(port)}))
    (root / "envsync.toml").write_text(layout.places.lstrip())
    return root


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_check_set_and_render_on_a_layout_envsync_did_not_generate(
    layout: Layout, tmp_path: Path
) -> None:
    project = build(tmp_path / "project", layout)
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync"), check.stdout + check.stderr
    kept = [probe(project) for probe in layout.kept]

    new = layout.new_password
    result = envsync("set", f"db_password={new}", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [probe(project) for probe in layout.password] == [new] * len(layout.password)
    assert [probe(project) for probe in layout.kept] == kept
    for name, text in layout.still_written:
        assert own_ports(name, text) in (project / name).read_text(), (name, text)
    assert envsync("check", cwd=project).returncode == 0

    if layout.definition_drift is not None:
        name, old, new = layout.definition_drift
        path = project / name
        path.write_text(path.read_text().replace(old.replace("secret", layout.new_password), new))
        drift = envsync("check", cwd=project)
        assert drift.returncode == 1
        assert f"{name}: POSTGRES_PASSWORD" in drift.stdout
        assert envsync("render", cwd=project).returncode == 0
        assert [probe(project) for probe in layout.password] == [layout.new_password] * len(
            layout.password
        )
        for other, text in layout.still_written:
            assert own_ports(other, text) in (project / other).read_text(), (other, text)


@pytest.mark.parametrize("layout", [ROOT_ENV_REFERENCES, URL_OF_REFERENCES], ids=["compose", "env"])
def test_a_password_a_url_of_references_cannot_carry_is_refused(
    layout: Layout, tmp_path: Path
) -> None:
    project = build(tmp_path / "project", layout)
    before = snapshot(project)
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
    assert result.returncode == 2
    assert "URL cannot carry that password" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert NEW_PASSWORD not in result.stderr
    assert snapshot(project) == before


def test_a_fact_of_the_teams_own_is_checked_rendered_and_set(tmp_path: Path) -> None:
    layout = Layout(
        "redis",
        {
            "docker-compose.yml": (
                "services:\n  db:\n    image: postgres:16\n    environment:\n"
                "      POSTGRES_PASSWORD: secret\n"
                "  redis:\n    image: redis:7\n    environment:\n      REDIS_PASSWORD: r3dis\n"
            ),
            ".env": "REDIS_URL=redis://:r3dis@127.0.0.1:6379/0\n",
        },
        """
[facts]
redis_password = { value = "r3dis", secret = true }

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "docker-compose.yml"
key = "services.redis.environment.REDIS_PASSWORD"
value = "{redis_password}"

[[place]]
file = ".env"
key = "REDIS_URL"
value = "redis://:{redis_password}@127.0.0.1:6379/0"
""",
        password=(),
    )
    project = build(tmp_path / "project", layout)
    assert envsync("check", cwd=project).returncode == 0

    (project / ".env").write_text("REDIS_URL=redis://:stale@127.0.0.1:6379/0\n")
    check = envsync("check", cwd=project)
    assert check.returncode == 1
    assert ".env: REDIS_URL: expected ********, found ********" in check.stdout
    assert envsync("render", cwd=project).returncode == 0
    assert dotenv(".env", "REDIS_URL")(project) == "redis://:r3dis@127.0.0.1:6379/0"

    assert envsync("set", "redis_password=n3w-r3dis", cwd=project).returncode == 0
    assert compose_env("redis", "REDIS_PASSWORD")(project) == "n3w-r3dis"
    assert dotenv(".env", "REDIS_URL")(project) == "redis://:n3w-r3dis@127.0.0.1:6379/0"
    assert (
        'redis_password = { value = "n3w-r3dis", secret = true }'
        in (project / "envsync.toml").read_text()
    )
    assert compose_env("db", "POSTGRES_PASSWORD")(project) == "secret"
    assert envsync("check", cwd=project).returncode == 0


def test_a_place_naming_an_unknown_fact_is_refused_naming_the_map(tmp_path: Path) -> None:
    layout = Layout(
        "typo",
        {".env": "X=1\n"},
        '[[place]]\nfile = ".env"\nkey = "X"\nvalue = "{db_pasword}"\n',
        password=(),
    )
    project = build(tmp_path / "project", layout)
    result = envsync("check", cwd=project)
    assert result.returncode == 2
    assert "envsync.toml" in result.stderr and "db_pasword" in result.stderr
