"""A server of another compose project on this project's host port is never changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import envsync, snapshot
from tests.docker.conftest import other_logs_in

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("command", [("set", "db_password=never-applied"), ("rotate",)])
def test_set_and_rotate_leave_another_projects_container_alone(
    generate: Callable[..., Path], other_project: tuple[Path, int], command: tuple[str, ...]
) -> None:
    other, port = other_project
    project = generate(db_port=port)
    before = snapshot(project)
    result = envsync(*command, cwd=project)
    assert result.returncode == 2, result.stdout
    assert f"container {other.name}-db-1 of compose project {other.name}" in result.stderr
    assert snapshot(project) == before
    assert other_logs_in(port)
