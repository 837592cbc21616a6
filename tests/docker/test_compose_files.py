"""A project whose compose file only ``-f`` finds (``local.yml``, kept in the map's ``[compose]
files``): every question the live commands ask compose goes with that file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envsync.places.map_file import MAP_FILE
from tests.conftest import envsync
from tests.docker.conftest import docker_ok, files_only, logs_in
from tests.layouts import git_project

pytestmark = pytest.mark.docker

LAYOUT = {
    ".gitignore": ".env\n",
    ".env": "POSTGRES_PASSWORD=first-secret\n",
    "local.yml": """
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
        """,
}


@pytest.fixture
def local_yml(compose_dir: Callable[[str], Path]) -> Path:
    project = git_project(compose_dir("localyml"), LAYOUT)
    adopted = envsync("adopt", "--service", "db", "-f", "local.yml", cwd=project)
    assert adopted.returncode == 0, adopted.stderr + adopted.stdout
    assert 'files = ["local.yml"]' in (project / MAP_FILE).read_text()
    docker_ok("compose", "-f", "local.yml", "up", "-d", "--wait", cwd=project)
    return project


def _logs_in(project: Path, user: str, password: str) -> bool:
    return logs_in(project, "db", user, password, "appdb", ("local.yml",))


def test_set_changes_the_container_that_only_the_maps_file_finds(local_yml: Path) -> None:
    changed = envsync("set", "db_user=renamed_app", "db_password=second-secret", cwd=local_yml)
    assert changed.returncode == 0, changed.stderr + changed.stdout
    assert f"changed the database in container {local_yml.name}-db-1" in changed.stdout
    assert _logs_in(local_yml, "renamed_app", "second-secret")
    assert not _logs_in(local_yml, "app", "first-secret")


def test_doctor_asks_the_container_that_only_the_maps_file_finds(local_yml: Path) -> None:
    files_only(local_yml, "db_user=nobody")
    doctor = envsync("doctor", cwd=local_yml)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert f"container {local_yml.name}-db-1" in doctor.stdout, doctor.stdout
    # The role check runs psql in the container with -f local.yml.
    assert "role nobody does not exist" in doctor.stdout, doctor.stdout


def test_doctor_advises_compose_with_the_maps_file(local_yml: Path) -> None:
    files_only(local_yml, "db_password=changed-in-the-files")
    doctor = envsync("doctor", cwd=local_yml)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    recreate = "recreate it: docker compose -f local.yml up -d --force-recreate db"
    assert recreate in doctor.stdout, doctor.stdout
    assert "docker compose -f local.yml exec db psql" in doctor.stdout, doctor.stdout
