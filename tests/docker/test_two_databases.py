"""Two database services in one compose project: ``envsync set db_test.db_password=...`` and
``rotate --database db_test`` change the test database's container, and only it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import envsync
from tests.docker.conftest import docker_ok, logs_in
from tests.layouts import git_project

pytestmark = pytest.mark.docker

_SERVICE = """
            image: pgvector/pgvector:pg16
            healthcheck:
              test: ["CMD", "pg_isready", "-h", "127.0.0.1"]
              interval: 1s
              retries: 60
"""
LAYOUT = {
    ".gitignore": ".env\n",
    ".env": "POSTGRES_PASSWORD=main-first\nTEST_DB_PASSWORD=test-first\n",
    "compose.yaml": f"""
        services:
          db:{_SERVICE}
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD:?}}
              POSTGRES_DB: app
          db_test:{_SERVICE}
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD: ${{TEST_DB_PASSWORD:?}}
              POSTGRES_DB: app_test
          web:  # never started here (a profile of its own): its image is never pulled
            image: python:3.12-slim
            profiles: [app]
            depends_on: [db]
            environment:
              DATABASE_URL: postgresql://app:${{POSTGRES_PASSWORD}}@db:5432/app
          tests:
            image: python:3.12-slim
            profiles: [app]
            depends_on: [db_test]
            environment:
              DATABASE_URL: postgresql://app:${{TEST_DB_PASSWORD}}@db_test:5432/app_test
        """,
}


def _logs_in(project: Path, service: str, password: str, database: str) -> bool:
    return logs_in(project, service, "app", password, database)


@pytest.fixture
def project(compose_dir: Callable[[str], Path]) -> Path:
    made = git_project(compose_dir("two-databases"), LAYOUT)
    result = envsync("adopt", cwd=made)
    assert result.returncode == 0, result.stderr + result.stdout
    docker_ok("compose", "up", "-d", "--wait", "db", "db_test", cwd=made)
    return made


def test_set_changes_the_test_database_container_alone(project: Path) -> None:
    result = envsync("set", "db_test.db_password=test-second", cwd=project)
    assert result.returncode == 0, result.stderr + result.stdout
    assert f"changed the database in container {project.name}-db_test-1" in result.stdout
    assert dotenv_values(project / ".env") == {
        "POSTGRES_PASSWORD": "main-first",
        "TEST_DB_PASSWORD": "test-second",
    }
    assert _logs_in(project, "db_test", "test-second", "app_test")
    assert not _logs_in(project, "db_test", "test-first", "app_test")
    assert _logs_in(project, "db", "main-first", "app")
    assert envsync("check", cwd=project).returncode == 0
    # The container still runs with the first POSTGRES_PASSWORD; the volume has the new one.
    doctor = envsync("doctor", "--database", "db_test", cwd=project)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert f"container {project.name}-db_test-1 runs with other POSTGRES_PASSWORD" in doctor.stdout
    assert f"user app logs in to app_test on {project.name}-db_test-1" in doctor.stdout
    docker_ok("compose", "up", "-d", "--wait", "db_test", cwd=project)
    doctor = envsync("doctor", "--database", "db_test", cwd=project)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    rotated = envsync("rotate", "--database", "db_test", cwd=project)
    assert rotated.returncode == 0, rotated.stderr + rotated.stdout
    password = str(dotenv_values(project / ".env")["TEST_DB_PASSWORD"])
    assert password != "test-second"
    assert _logs_in(project, "db_test", password, "app_test")
    assert _logs_in(project, "db", "main-first", "app")

    # The project's own database is still the default one.
    assert envsync("set", "db_password=main-second", cwd=project).returncode == 0
    assert _logs_in(project, "db", "main-second", "app")
    assert _logs_in(project, "db_test", password, "app_test")
    assert envsync("check", cwd=project).returncode == 0
