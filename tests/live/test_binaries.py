"""As root, the server runs as an unprivileged user that cannot enter a 0700 home directory:
envsync then runs a world-readable copy of the wheel's binaries."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest

from envsync.live import binaries, run_as
from envsync.live.server import free_port
from tests.conftest import BIN, copier_copy
from tests.readers import connect_to_compose_database

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the copy is only needed as root")


@pytest.fixture
def closed_home() -> Iterator[Path]:
    """A ``0700`` home directory holding a virtualenv-like copy of the pgserver wheel."""
    home = Path(tempfile.mkdtemp(prefix="envsync-home-"))
    try:
        os.chmod(home, 0o700)
        site = home / "venv" / "lib" / "site-packages"
        wheel = Path(pgserver.__file__).parent
        shutil.copytree(wheel, site / "pgserver", symlinks=True)
        shutil.copytree(wheel.parent / "pgserver.libs", site / "pgserver.libs", symlinks=True)
        for info in wheel.parent.glob("pgserver-*.dist-info"):
            shutil.copytree(info, site / info.name)
        yield site
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_db_up_as_root_from_a_virtualenv_under_a_closed_home(
    closed_home: Path, template_src: Path, live_dir: Path
) -> None:
    project = live_dir / "project"
    assert copier_copy(template_src, project, db_port=free_port()).returncode == 0
    # PYTHONPATH puts the closed copy of pgserver first, as if envsync were installed there.
    environment = {**os.environ, "PYTHONPATH": str(closed_home)}

    def envsync(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIN / "envsync", *args],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )

    found = subprocess.run(
        [BIN / "python", "-c", "import pgserver; print(pgserver.__file__)"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.startswith(str(closed_home))
    up = envsync("db", "up")
    try:
        assert up.returncode == 0, up.stderr
        pid = int((project / ".envsync/volumes/db/postmaster.pid").read_text().split()[0])
        executable = Path(os.readlink(f"/proc/{pid}/exe"))
        assert executable.is_relative_to(binaries.SHARED_ROOT)
        with connect_to_compose_database(project) as connection:
            connection.execute("CREATE EXTENSION vector")  # share/ and lib/ came along
    finally:
        envsync("db", "down")
    assert not (project / ".envsync/volumes/db/postmaster.pid").exists()


def test_the_copy_is_made_once_and_readable_by_the_server_user(
    closed_home: Path, tmp_path: Path
) -> None:
    root = tmp_path / "shared"
    copied = binaries.shared_copy(closed_home / "pgserver", "test-1", root)
    assert copied == root / "pgserver-test-1" / "pgserver" / "pginstall" / "bin"
    assert (copied / "postgres").stat().st_mode & 0o005 == 0o005
    assert binaries.shared_copy(closed_home / "pgserver", "test-1", root) == copied
    assert [p.name for p in root.iterdir()] == ["pgserver-test-1"]  # no staging left behind
    user = run_as.server_identity(tmp_path / "no-volume-yet")
    run_as.grant_traversal(copied, user)
    result = run_as.run([str(copied / "postgres"), "--version"], user, check=False)
    assert result.returncode == 0, result.stderr
    assert "16." in result.stdout
