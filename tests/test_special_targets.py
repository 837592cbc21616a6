"""Nothing outside the project harmed: envsync reads and writes regular files only, inside it.

A FIFO must not make ``check`` hang, a symlink to a device must not be replaced by a file
holding the password, and a symlink out of the project (dangling or not) must not make
``render`` create directories and a password file wherever it points.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from envsync import file_io
from envsync.errors import ConfinementError
from tests.conftest import envsync, envsync_process, snapshot

ENV = "backend/.env"
# Long enough for a run that does not block, short enough that a hang fails the test.
TIMEOUT_SECONDS = 20


def _assert_refused(project: Path, *command: str) -> str:
    """``command`` exits 2 with one line naming backend/.env and writes nothing."""
    before = snapshot(project)
    result = envsync_process(*command, cwd=project, timeout=TIMEOUT_SECONDS)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"envsync: {ENV}: "), lines
    assert snapshot(project) == before
    return lines[0]


def test_a_fifo_is_refused_by_every_command_without_blocking(project: Path) -> None:
    env = project / ENV
    env.unlink()
    os.mkfifo(env)
    for command in (["check"], ["render"], ["render", "--dry-run"], ["set", "db_port=6543"]):
        line = _assert_refused(project, *command)
        assert "FIFO" in line, line
    assert stat.S_ISFIFO(env.lstat().st_mode)


def test_a_symlink_to_a_character_device_is_refused(project: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mknod of a character device needs root; the FIFO test covers the rest")
    (project / "devices").mkdir()
    device = project / "devices/null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the numbers of /dev/null
    env = project / ENV
    env.unlink()
    mode = device.stat().st_mode
    env.symlink_to(device)
    for command in (["check"], ["render"], ["set", "db_port=6543"]):
        line = _assert_refused(project, *command)
        assert "character device" in line and str(device) in line, line
    assert device.lstat().st_mode == mode
    assert env.is_symlink()


def test_a_symlink_to_dev_null_is_never_replaced(project: Path) -> None:
    """The report's case, on the system's own /dev/null: read-only checks prove no write."""
    env = project / ENV
    env.unlink()
    env.symlink_to("/dev/null")
    before = os.stat("/dev/null")
    with pytest.raises(ConfinementError, match="links to /dev/null, which is outside"):
        file_io.read(project, ENV)
    with pytest.raises(ConfinementError, match="links to /dev/null, which is outside"):
        file_io.check_writable(project, ENV)
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_dangling_symlink_outside_the_project_creates_nothing_there(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    env = project / ENV
    env.unlink()
    env.symlink_to(outside / "deep" / "backend.env")
    for command in (["render"], ["set", "db_port=6543"]):
        line = _assert_refused(project, *command)
        assert "which is outside the project" in line, line
    assert not outside.exists()
    assert env.is_symlink()


def test_a_dangling_symlink_inside_the_project_creates_nothing(project: Path) -> None:
    env = project / ENV
    env.unlink()
    env.symlink_to("../shared/backend.env")
    line = _assert_refused(project, "render")
    assert "which does not exist" in line, line
    assert not (project / "shared").exists()


def test_a_dangling_symlinked_directory_creates_nothing_there(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    backend = project / "backend"
    moved = tmp_path / "backend-moved"
    backend.rename(moved)
    backend.symlink_to(outside / "backend")
    before = snapshot(project)
    result = envsync("render", cwd=project)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.splitlines() == [
        f"envsync: backend/.env: backend links to {outside / 'backend'}, which is outside the "
        "project; envsync reads and writes only inside the project directory"
    ]
    assert not outside.exists()
    assert snapshot(project) == before


def test_a_directory_in_place_of_a_file_is_refused(project: Path) -> None:
    env = project / ENV
    env.unlink()
    env.mkdir()
    line = _assert_refused(project, "render")
    assert "directory" in line, line
