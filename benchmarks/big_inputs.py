"""Big inputs for bench_check_render.py: a 1,000,000-line ``backend/.env``, the same in the root
``.env`` compose reads, and a map of 20,000 places, each in a copy of the generated project or
the hand-made layout (a git repository), in sync before timing.

What a user would otherwise run on the big file is python-dotenv's ``dotenv_values``, which
resolves references with a copy of every value so far per line: quadratic, so it is stopped at
a cap and printed as more than the cap.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# ENVSYNC_BENCH_SCALE shrinks every big input (the test suite runs the README's block at 0.005):
# the figures are the user's at 1, the default.
SCALE = float(os.environ.get("ENVSYNC_BENCH_SCALE", "1"))
ENV_LINES = int(1_000_000 * SCALE)
MAP_PLACES = int(20_000 * SCALE)
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


def _copy(project: Path, name: str) -> Path:
    copy = Path(shutil.copytree(project, project.parent / name, symlinks=True))
    shutil.rmtree(copy / ".envsync", ignore_errors=True)
    return copy


def _commit(root: Path, envsync: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "big input"], cwd=root, check=True)
    result = subprocess.run([envsync, "check"], cwd=root, capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"{root.name} is not in sync: {result.stdout!r} {result.stderr!r}")


def big_env(project: Path, envsync: str) -> Path:
    """The project with ``ENV_LINES`` more lines in backend/.env (git-ignored, as it is)."""
    copy = _copy(project, "big-env")
    with (copy / "backend/.env").open("a") as handle:
        handle.writelines(f"SETTING_{n}=value-{n}\n" for n in range(ENV_LINES))
    _commit(copy, envsync)
    return copy


def big_compose_env(layout: Path, envsync: str) -> Path:
    """The hand-made layout with ``ENV_LINES`` more lines in the root ``.env`` that compose
    interpolates ``compose.yaml`` from (and envsync reads as compose does)."""
    copy = _copy(layout, "big-compose-env")
    with (copy / ".env").open("a") as handle:
        handle.writelines(f"SETTING_{n}=value-{n}\n" for n in range(ENV_LINES))
    subprocess.run([*GIT, "init", "-q"], cwd=copy, check=True)
    _commit(copy, envsync)
    return copy


def big_map(project: Path, envsync: str) -> Path:
    """The project with ``MAP_PLACES`` more places in its map, each a key of backend/.env."""
    copy = _copy(project, "big-map")
    with (copy / "backend/.env").open("a") as handle:
        handle.writelines(f"OWNER_{n}=myproject_user\n" for n in range(MAP_PLACES))
    with (copy / "envsync.toml").open("a") as handle:
        handle.writelines(
            f'\n[[place]]\nfile = "backend/.env"\nkey = "OWNER_{n}"\nvalue = "{{db_user}}"\n'
            for n in range(MAP_PLACES)
        )
    _commit(copy, envsync)
    return copy


def dotenv_values_run(path: Path, cap: float) -> tuple[float, float, bool]:
    """(seconds, peak RSS in MiB, whether stopped at ``cap``) of ``dotenv_values(path)`` in a
    fresh process."""
    script = "import sys\nfrom dotenv import dotenv_values\ndotenv_values(sys.argv[1])\n"
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", script, str(path)])
    timer = threading.Timer(cap, child.kill)
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    seconds = time.perf_counter() - start
    stopped = os.waitstatus_to_exitcode(status) == -signal.SIGKILL
    if not stopped and os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"dotenv_values exited {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024, stopped
