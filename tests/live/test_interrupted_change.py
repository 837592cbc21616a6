"""``set`` and ``rotate`` killed (SIGKILL) at chosen steps, against the embedded server: the
database and the files end on one password, or ``check`` says so and ``doctor`` names the one
command that finishes the change, which then does."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

from envsync.live import driver
from tests.conftest import BIN, alembic, envsync
from tests.readers import env_url, from_compose, from_url

NEW_PASSWORD = "after-the-kill-7"


def _killed_at(project: Path, step: str, *args: str) -> None:
    """Run ``envsync ARGS`` until it pauses at ``step``, then SIGKILL it."""
    process = subprocess.Popen(
        [BIN / "envsync", *args],
        cwd=project,
        env={**os.environ, "ENVSYNC_PAUSE_AT": step},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.strip() == f"paused at {step}", line + process.stderr.read()
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)


def _logs_in(project: Path, password: str) -> bool:
    compose = from_compose(project)
    login = driver.Login("127.0.0.1", compose.port, compose.user, compose.database, password)
    return driver.logs_in(login)


def _reported(project: Path) -> str:
    check = envsync("check", cwd=project)
    assert check.returncode == 1, check.stdout
    doctor = envsync("doctor", cwd=project)
    assert doctor.returncode == 1
    return check.stdout + doctor.stdout


@pytest.mark.parametrize("step", ["before-database", "after-database"])
def test_a_killed_set_is_reported_and_finished_by_the_same_command(
    live_project: Path, step: str
) -> None:
    old = from_compose(live_project).password
    _killed_at(live_project, step, "set", f"db_password={NEW_PASSWORD}")
    assert _logs_in(live_project, NEW_PASSWORD if step == "after-database" else old)
    assert from_compose(live_project).password == old  # compose's file is written last
    assert NEW_PASSWORD not in (live_project / ".envsync/live-change").read_text()
    report = _reported(live_project)
    assert '`envsync set "db_password=$(cat .envsync/live-change.db_password)"`' in report
    assert "finish it with the same command again" in report

    again = envsync("set", f"db_password={NEW_PASSWORD}", cwd=live_project)
    assert again.returncode == 0, again.stderr
    assert envsync("check", cwd=live_project).returncode == 0
    assert _logs_in(live_project, NEW_PASSWORD)
    assert alembic("upgrade", "head", project=live_project).returncode == 0


@pytest.mark.parametrize("step", ["before-database", "after-database"])
def test_a_killed_rotate_keeps_its_password_in_the_ignored_env_file_first(
    live_project: Path, step: str
) -> None:
    old = from_compose(live_project).password
    _killed_at(live_project, step, "rotate")
    kept = from_url(env_url(live_project)).password
    assert kept != old
    assert (live_project / "backend/.env").stat().st_mode & 0o777 == 0o600
    assert _logs_in(live_project, kept if step == "after-database" else old)
    assert kept not in (live_project / ".envsync/live-change").read_text()
    assert "backend/.env" in _reported(live_project)

    again = envsync("set", f"db_password={kept}", cwd=live_project)
    assert again.returncode == 0, again.stderr
    assert envsync("check", cwd=live_project).returncode == 0
    assert _logs_in(live_project, kept)
    assert dotenv_values(live_project / "backend/.env")["DATABASE_URL"] is not None
    assert alembic("upgrade", "head", project=live_project).returncode == 0


def test_a_killed_rotate_whose_password_no_ignored_file_takes_keeps_it_in_envsync(
    live_project: Path,
) -> None:
    # The team commits backend/.env: every file that takes the password is one git may track.
    gitignore = live_project / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("backend/.env\n", ""))
    old = from_compose(live_project).password
    _killed_at(live_project, "after-database", "rotate")
    assert from_url(env_url(live_project)).password == old  # no file took the new password
    assert not _logs_in(live_project, old)
    kept = live_project / ".envsync/live-change.db_password"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert _logs_in(live_project, kept.read_text())
    command = '`envsync set "db_password=$(cat .envsync/live-change.db_password)"`'
    check = envsync("check", cwd=live_project)
    assert check.returncode == 1 and command in check.stdout, check.stdout
    assert command in _reported(live_project)

    finished = subprocess.run(
        ["sh", "-c", command.strip("`")],
        cwd=live_project,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 0, finished.stderr
    assert envsync("check", cwd=live_project).returncode == 0
    assert not kept.exists()
    assert _logs_in(live_project, from_compose(live_project).password)
    assert alembic("upgrade", "head", project=live_project).returncode == 0
