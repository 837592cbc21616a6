"""The incident on an adopted layout: ``compose.yaml``, the password in the root ``.env``, an app
service that reaches the database by its service name, and a database that publishes no port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import BIN, envsync
from tests.docker.conftest import container_id, docker_ok, files_only, logs_in, network_address
from tests.layouts import git_project

pytestmark = pytest.mark.docker

FIRST = "first-secret"

LAYOUT = {
    ".gitignore": ".env\n",
    ".env": f"POSTGRES_PASSWORD={FIRST}\n",
    "compose.yaml": """
        services:
          db:
            image: pgvector/pgvector:pg16
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
              POSTGRES_DB: appdb
            healthcheck:
              test: ["CMD", "pg_isready", "-h", "127.0.0.1"]
              interval: 1s
              retries: 60
            volumes:
              - pgdata:/var/lib/postgresql/data
          app:
            build: app
            entrypoint: ["sleep", "infinity"]
            stop_signal: SIGKILL
            tmpfs:  # the image declares a volume here; an app keeps no data
              - /var/lib/postgresql/data
            healthcheck:
              test: ["CMD", "true"]
              interval: 1s
            environment:
              DATABASE_URL: postgresql://app:${POSTGRES_PASSWORD}@db:5432/appdb
            depends_on:
              db:
                condition: service_healthy
        volumes:
          pgdata:
        """,
    # The app's own image (only the pgvector image is at hand): its psql, and no database.
    "app/Dockerfile": """
        FROM pgvector/pgvector:pg16
        """,
    # The team's Alembic: env.py takes the app's DATABASE_URL from the environment.
    "alembic.ini": """
        [alembic]
        script_location = migrations
        """,
    "migrations/env.py": """
        import os

        from alembic import context
        from sqlalchemy import create_engine

        url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        with create_engine(url).connect() as connection:
            context.configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
        """,
    "migrations/script.py.mako": "",
    "migrations/versions/0001_vectors.py": """
        from alembic import op

        revision = "0001"
        down_revision = None


        def upgrade():
            op.execute("CREATE EXTENSION IF NOT EXISTS vector")
            op.execute("CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3))")
            op.execute(
                "CREATE INDEX items_hnsw ON items "
                "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
            )


        def downgrade():
            op.execute("DROP TABLE items")
        """,
}


def _app_url(project: Path) -> str:
    """The app container's own DATABASE_URL, its host (the service name, which only the
    compose network resolves) replaced by the database container's address."""
    url = docker_ok("compose", "exec", "-T", "app", "printenv", "DATABASE_URL", cwd=project)
    address = network_address(container_id(project, "db"))
    return make_url(url.strip()).set(host=address).render_as_string(hide_password=False)


def _alembic(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": _app_url(project)}
    return subprocess.run(
        [BIN / "alembic", *args], cwd=project, env=environment, capture_output=True, text=True
    )


def _migrates(project: Path) -> None:
    for step in (("downgrade", "base"), ("upgrade", "head")):
        result = _alembic(project, *step)
        assert result.returncode == 0, result.stderr


def _refused(project: Path, user: str, password: str, database: str) -> bool:
    return not logs_in(project, "db", user, password, database)


@pytest.fixture
def adopted(compose_dir: Callable[[str], Path]) -> Path:
    project = git_project(compose_dir("adopted"), LAYOUT)
    result = envsync("adopt", "--service", "db", cwd=project)
    assert result.returncode == 0, result.stderr + result.stdout
    docker_ok("compose", "up", "-d", "--wait", cwd=project)
    return project


def test_files_only_change_then_renames_and_rotate_through_compose_exec(adopted: Path) -> None:
    project = adopted
    _migrates(project)
    before = container_id(project, "db")

    files_only(project, "db_password=changed-in-the-files")
    assert "POSTGRES_PASSWORD=changed-in-the-files" in (project / ".env").read_text()
    docker_ok("compose", "up", "-d", "--wait", cwd=project)
    assert container_id(project, "db") != before, "compose did not recreate the container"
    refused = _alembic(project, "upgrade", "head")
    assert refused.returncode != 0
    assert "password authentication failed" in refused.stderr

    # The renames' last statement is the files' password: the database agrees with them again.
    renamed = envsync("set", "db_user=renamed_app", "db_name=renamed db", cwd=project)
    assert renamed.returncode == 0, renamed.stderr + renamed.stdout
    assert f"changed the database in container {project.name}-db-1" in renamed.stdout
    rotated = envsync("rotate", cwd=project)
    assert rotated.returncode == 0, rotated.stderr + rotated.stdout
    assert "changed the database in container" in rotated.stdout

    docker_ok("compose", "up", "-d", "--wait", cwd=project)  # the app takes the new URL
    url = make_url(_app_url(project))
    assert (url.username, url.database) == ("renamed_app", "renamed db")
    assert url.password not in (FIRST, "changed-in-the-files")
    _migrates(project)
    for user, database in (("app", "appdb"), ("renamed_app", "renamed db")):
        for old in (FIRST, "changed-in-the-files"):
            assert _refused(project, user, old, database)
    assert not _refused(project, "renamed_app", str(url.password), "renamed db")


def test_doctor_names_the_stale_volume_and_the_container_without_a_published_port(
    adopted: Path,
) -> None:
    files_only(adopted, "db_password=changed-in-the-files")
    docker_ok("compose", "up", "-d", "--wait", cwd=adopted)
    doctor = envsync("doctor", cwd=adopted)
    assert doctor.returncode == 1, doctor.stdout
    assert f"{adopted.name}-db-1" in doctor.stdout, doctor.stdout + doctor.stderr
    assert "older password" in doctor.stdout
