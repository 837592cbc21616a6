"""Point 9 of issue 12: sudo, the lock message, impossible addresses, python-dotenv's warning."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from envsync import file_io
from envsync.errors import EnvsyncError
from tests.conftest import copier_copy, envsync, envsync_process

NOBODY = 65534


def test_sudo_render_creates_files_owned_by_the_projects_owner(project: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can run envsync on a project another user owns")
    for path in [project, *project.rglob("*")]:
        os.lchown(path, NOBODY, NOBODY)
    (project / "backend/.env").unlink()
    (project / "CLAUDE.md").unlink()
    result = envsync("render", cwd=project)
    assert result.returncode == 0, result.stderr
    moved = envsync("set", "backend_dir=server/app", cwd=project)
    assert moved.returncode == 0, moved.stderr
    created = ["backend/.env", "CLAUDE.md", "server", "server/app", "server/app/.env"]
    owners = {name: (project / name).stat().st_uid for name in created}
    assert owners == dict.fromkeys(created, NOBODY)
    assert (project / "server/app/.env").stat().st_mode & 0o777 == 0o600


def test_a_file_root_creates_in_roots_own_directory_stays_roots(tmp_path: Path) -> None:
    file_io.write(tmp_path, "new.txt", "x\n", bom=False, new_mode=0o600)
    assert (tmp_path / "new.txt").stat().st_uid == os.geteuid()


def test_the_lock_message_names_the_absolute_project_path(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    holder = os.open(project, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(EnvsyncError) as raised, file_io.project_lock(Path("."), timeout=0.1):
            pass
    finally:
        os.close(holder)
    assert str(raised.value).startswith(f"{project}: another envsync run has held")


@pytest.mark.parametrize("host", ["999.1.1.1", "10.0.0.256", "1.2.3", "127.1", "0"])
def test_an_address_that_is_no_ipv4_address_is_refused(project: Path, host: str) -> None:
    result = envsync("set", f"db_host={host}", cwd=project)
    assert result.returncode == 2
    assert "looks like an IPv4 address but is not one" in result.stderr


@pytest.mark.parametrize("host", ["10.0.0.255", "db.local", "db-1", "::1", "1.2.3.x"])
def test_addresses_and_names_are_accepted(project: Path, host: str) -> None:
    assert envsync("set", f"db_host={host}", cwd=project).returncode == 0


def test_copier_copy_refuses_what_set_refuses(template_src: Path, tmp_path: Path) -> None:
    result = copier_copy(template_src, tmp_path / "refused", db_host="999.1.1.1")
    assert result.returncode != 0
    assert "looks like an IPv4 address but is not one" in result.stderr


def test_a_bad_line_in_the_project_env_is_reported_once_in_our_words(project: Path) -> None:
    # Compose reads the project's .env to interpolate the compose file, and refuses this line.
    (project / ".env").write_text("COMPOSE_PROJECT_NAME=demo\nNOT A BINDING\nOTHER=1\n")
    result = envsync_process("check", cwd=project)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == ["envsync: .env:2: a variable name cannot hold a space"]
