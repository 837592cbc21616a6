"""The incident on a real Docker engine: a generated project's compose database, its volume's
first password, and the way back through ``docker compose exec``."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import alembic, envsync
from tests.docker.conftest import container_id, docker_ok, files_only
from tests.readers import from_compose

pytestmark = pytest.mark.docker


def _refused(project: Path, password: str) -> bool:
    """Whether the running database refuses the files' user with ``password``."""
    credentials = from_compose(project)
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=credentials.port,
            user=credentials.user,
            password=password,
            dbname=credentials.database,
            connect_timeout=5,
        ):
            return False
    except psycopg.OperationalError as error:
        assert "password authentication failed" in str(error), error
        return True


def _migrates(project: Path) -> None:
    """Alembic, with the files' URL, takes the schema down and up again (vector, HNSW)."""
    for step in (("downgrade", "base"), ("upgrade", "head")):
        result = alembic(*step, project=project)
        assert result.returncode == 0, result.stderr
    credentials = from_compose(project)
    with psycopg.connect(
        host="127.0.0.1",
        port=credentials.port,
        user=credentials.user,
        password=credentials.password,
        dbname=credentials.database,
    ) as connection:
        indexes = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_documents_embedding_hnsw'"
        ).fetchall()
    assert len(indexes) == 1 and "hnsw" in indexes[0][0], indexes


def test_files_only_change_then_set_and_rotate_through_compose_exec(generated: Path) -> None:
    project = generated
    migrated = alembic("upgrade", "head", project=project)
    assert migrated.returncode == 0, migrated.stderr
    first = from_compose(project).password
    container = f"{project.name}-db"  # the template's container_name, from project_name
    before = container_id(project, "db")

    files_only(project, "db_password=changed-in-the-files")
    docker_ok("compose", "up", "-d", "db", "--wait", cwd=project)
    assert container_id(project, "db") != before, "compose did not recreate the container"

    refused = alembic("upgrade", "head", project=project)
    assert refused.returncode != 0
    assert "password authentication failed" in refused.stderr
    doctor = envsync("doctor", cwd=project)
    assert doctor.returncode == 1, doctor.stdout
    assert f"this project's container {container}" in doctor.stdout
    assert "volume was initialised with an older password" in doctor.stdout

    rotated = envsync("rotate", cwd=project)
    assert rotated.returncode == 0, rotated.stderr
    assert f"changed the database in container {container}" in rotated.stdout
    _migrates(project)
    set_ = envsync("set", "db_password=set-through-exec", cwd=project)
    assert set_.returncode == 0, set_.stderr
    assert f"changed the database in container {container}" in set_.stdout
    _migrates(project)
    assert from_compose(project).password == "set-through-exec"
    for old in (first, "changed-in-the-files"):
        assert _refused(project, old)

    # The container still holds the first POSTGRES_*; recreated, it agrees, and the volume kept
    # the password `set` gave it.
    docker_ok("compose", "up", "-d", "db", "--wait", cwd=project)
    healthy = envsync("doctor", cwd=project)
    assert healthy.returncode == 0, healthy.stdout
    assert not _refused(project, "set-through-exec")


def test_doctor_names_the_stale_volume(generated: Path) -> None:
    files_only(generated, "db_password=changed-in-the-files")
    docker_ok("compose", "up", "-d", "db", "--wait", cwd=generated)
    doctor = envsync("doctor", cwd=generated)
    assert doctor.returncode == 1
    volume = docker_ok(
        "inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", container_id(generated, "db")
    ).strip()
    assert volume.endswith("_db-data") and volume in doctor.stdout


def test_set_with_the_files_password_brings_the_volume_along(generated: Path) -> None:
    files_only(generated, "db_password=changed-in-the-files")
    docker_ok("compose", "up", "-d", "db", "--wait", cwd=generated)
    assert _refused(generated, "changed-in-the-files")
    result = envsync("set", "db_password=changed-in-the-files", cwd=generated)
    assert result.returncode == 0, result.stderr
    assert f"in container {generated.name}-db" in result.stdout
    assert not _refused(generated, "changed-in-the-files")
    migrated = alembic("upgrade", "head", project=generated)
    assert migrated.returncode == 0, migrated.stderr
