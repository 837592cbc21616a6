"""envsync's questions to ``docker compose`` (live/compose.py), asked of a real engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envsync.live import compose
from tests.docker.conftest import OTHER_PROJECT, docker_ok

pytestmark = pytest.mark.docker

# The other project's database, without a published port, in a file only `-f` finds.
NO_PORT = OTHER_PROJECT.replace('    ports:\n      - "127.0.0.1:{port}:5432"\n', "")
FILES = ("deploy/compose.dev.yaml",)


@pytest.fixture
def no_port(compose_dir: Callable[[str], Path]) -> Path:
    project = compose_dir("noport")
    (project / "deploy").mkdir()
    # Named, or compose would name it after its directory, deploy, as in every other test.
    (project / FILES[0]).write_text(f"name: {project.name}\n{NO_PORT}")
    docker_ok("compose", "-f", FILES[0], "up", "-d", "--wait", cwd=project)
    return project


def test_the_container_is_found_with_the_files_compose_ran(no_port: Path) -> None:
    assert compose.running_container(no_port, "db") is None  # compose's lookup finds no file
    container = compose.running_container(no_port, "db", FILES)
    assert container == compose.Container(f"{no_port.name}-db-1", "db", (), FILES)


def test_a_login_is_proven_inside_the_container_without_a_published_port(no_port: Path) -> None:
    container = compose.running_container(no_port, "db", FILES)
    assert container is not None and container.published == ()
    assert compose.login_problem(no_port, container, "someone", "their-secret", "theirs") is None
    refused = compose.login_problem(no_port, container, "someone", "not-theirs", "theirs")
    assert refused is not None and "password authentication failed" in refused
