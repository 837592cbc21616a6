"""``envsync doctor`` reading real containers with ``docker inspect`` and ``docker compose``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import envsync
from tests.docker.conftest import docker_ok, files_only

pytestmark = pytest.mark.docker


def test_doctor_reads_the_containers_environment(generated: Path) -> None:
    files_only(generated, "db_password=changed-in-the-files")
    doctor = envsync("doctor", cwd=generated)
    assert doctor.returncode == 1, doctor.stdout
    assert (
        f"[problem] container environment: container {generated.name}-db runs with other "
        "POSTGRES_PASSWORD than the files"
    ) in doctor.stdout


def test_doctor_says_the_container_is_not_running(generated: Path) -> None:
    docker_ok("compose", "stop", "db", cwd=generated)
    doctor = envsync("doctor", cwd=generated)
    assert doctor.returncode == 1, doctor.stdout
    assert f"container {generated.name}-db is not running" in doctor.stdout
    assert "runs with other" not in doctor.stdout


def test_doctor_names_the_other_project_publishing_the_port(
    generate: Callable[..., Path], other_project: tuple[Path, int]
) -> None:
    other, port = other_project
    project = generate(db_port=port)
    doctor = envsync("doctor", cwd=project)
    assert doctor.returncode == 1, doctor.stdout
    assert f"container {other.name}-db-1 of compose project {other.name}" in doctor.stdout
    assert "older password" not in doctor.stdout
