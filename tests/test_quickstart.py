"""The README's main-job command works: project generated, database up, migrated, in sync."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from envsync.live.server import free_port
from tests.conftest import REPO, envsync


def test_quickstart_script_runs_the_whole_flow(live_dir: Path) -> None:
    target = live_dir / "demo"
    environment = {**os.environ, "VENV": sys.prefix, "PORT": str(free_port())}
    environment.pop("DATABASE_URL", None)
    try:
        result = subprocess.run(
            ["bash", str(REPO / "scripts/quickstart.sh"), str(target)],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Running upgrade  -> 0001" in result.stderr
        assert "\nin sync\n" in result.stdout
        assert "[ok] alembic: at head (0001)" in result.stdout
    finally:
        envsync("db", "down", cwd=target)
    assert envsync("check", cwd=target).returncode == 0
