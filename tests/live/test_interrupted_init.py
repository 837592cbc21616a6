"""``envsync db up`` killed while it initialises a volume: no password left behind, redone next."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from envsync.live import driver
from envsync.live.server import free_port
from tests.conftest import BIN, copier_copy, envsync
from tests.readers import from_compose


@pytest.mark.parametrize("moment", ["PG_VERSION", "base"])
def test_a_killed_initialisation_is_redone_and_leaves_no_password_file(
    make_project: Callable[..., Path], moment: str
) -> None:
    project = make_project("killed", db_port=free_port())
    volume = project / ".envsync/volumes/db"
    password = from_compose(project).password
    process = subprocess.Popen(
        [BIN / "envsync", "db", "up"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (volume / moment).exists():
            assert process.poll() is None, "db up ended before the chosen moment"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGKILL)  # envsync and initdb together, as a kill -9 of all
    finally:
        process.wait()
    # Other runs on this machine may hold their own files there: look for this password only.
    for left in Path("/tmp").glob("envsync-pg-*/pwfile"):
        with contextlib.suppress(OSError):
            assert password not in left.read_text(errors="replace")
    status = envsync("db", "status", cwd=project)
    assert "(not initialised)" in status.stdout

    try:
        again = envsync("db", "up", cwd=project)
        assert again.returncode == 0, again.stderr
        assert "already initialised" not in again.stdout
        wanted = from_compose(project)
        login = driver.Login(
            "127.0.0.1", wanted.port, wanted.user, wanted.database, wanted.password
        )
        assert driver.logs_in(login)
        left = [p.name for p in volume.parent.iterdir() if p.name != "db"]
        assert left == []
        assert (project / ".envsync").stat().st_mode & 0o777 in (0o700, 0o701)
    finally:
        envsync("db", "down", cwd=project)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_a_directory_opened_for_the_server_user_is_reported_and_closed_by_db_down(
    template_src: Path, live_dir: Path
) -> None:
    private = live_dir / "private"
    private.mkdir(mode=0o700)
    project = private / "project"
    assert copier_copy(template_src, project, db_port=free_port()).returncode == 0
    try:
        up = envsync("db", "up", cwd=project)
        assert up.returncode == 0, up.stderr
        assert f"opened {private} to others for search only (o+x)" in up.stdout
        assert private.stat().st_mode & 0o777 == 0o701
    finally:
        down = envsync("db", "down", cwd=project)
    assert down.stdout.splitlines()[0] == "stopped"
    assert f"closed {private} again (o-x)" in down.stdout
    assert private.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_db_down_leaves_open_what_another_running_server_still_needs(
    template_src: Path, live_dir: Path
) -> None:
    private = live_dir / "private"
    private.mkdir(mode=0o700)
    first, second = private / "first", private / "second"
    for project in (first, second):
        assert copier_copy(template_src, project, db_port=free_port()).returncode == 0
    try:
        assert envsync("db", "up", cwd=first).returncode == 0
        assert envsync("db", "up", cwd=second).returncode == 0  # finds the way already open
        first_down = envsync("db", "down", cwd=first)
        assert first_down.returncode == 0, first_down.stderr
        assert f"closed {private}" not in first_down.stdout
        assert f"left {private} open (o+x): the envsync server of " in first_down.stdout
        assert private.stat().st_mode & 0o777 == 0o701
        status = envsync("db", "status", cwd=second)
        assert "running on 127.0.0.1" in status.stdout, status.stdout + status.stderr
    finally:
        second_down = envsync("db", "down", cwd=second)
        envsync("db", "down", cwd=first)
    # The last server down closes what the first one opened.
    assert second_down.stdout.splitlines()[0] == "stopped", second_down.stdout
    assert f"closed {private} again (o-x)" in second_down.stdout
    assert private.stat().st_mode & 0o777 == 0o700
