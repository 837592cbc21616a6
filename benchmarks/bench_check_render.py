"""How long `envsync check` and `envsync render` take, against the job a user would otherwise
run with Copier on the same project (`copier recopy --pretend`, which re-renders the whole
template from the answers and writes nothing) and against `python -c pass` (the floor).

    .venv/bin/python benchmarks/bench_check_render.py [--runs N]

Rows: a warm check (answered from the check cache), a full check (one file changed before each
run, so the cache never answers), a cold check on a hand-written map of 15 places, the same
15 places in a git repository of 20,000 tracked files (the copy search reads every one; one
tracked file changed before each run) and its warm check, render with nothing to do, a check
on a 1,000,000-line backend/.env beside python-dotenv's `dotenv_values` on the same file
(stopped after --cap seconds: it is quadratic), a check on a map of 20,000 places, copier.
Prints medians over N runs (wall clock, each a fresh process, as in a pre-commit hook) and the
median peak memory (max RSS).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import big_inputs

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(
    command: list[str], cwd: Path, runs: int, before: Callable[[int], None] | None = None
) -> tuple[float, float]:
    """(median seconds, median peak RSS in MiB), each run a fresh process; ``before(i)`` runs
    untimed before run ``i``."""
    seconds, peaks = [], []
    for run in range(runs):
        if before is not None:
            before(run)
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {child.returncode}")
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(seconds), statistics.median(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--cap", type=float, default=300, help="stop dotenv_values on the big file after this"
    )
    arguments = parser.parse_args()
    runs = arguments.runs
    # Byte-compile envsync as an installed wheel is, whatever PYTHONDONTWRITEBYTECODE says:
    # otherwise every timed run would compile it again.
    import envsync

    package = str(Path(envsync.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "template"
        source.mkdir()
        shutil.copy(REPO / "copier.yml", source)
        shutil.copytree(REPO / "template", source / "template")
        project = Path(scratch) / "project"
        copy = [str(BIN / "copier"), "copy", "--trust", "--defaults", "--quiet"]
        subprocess.run([*copy, str(source), str(project)], check=True, capture_output=True)
        commit(project)

        envsync = str(BIN / "envsync")
        layout = Path(scratch) / "layout"
        write_layout(layout)
        large = Path(scratch) / "large"
        write_layout(large)
        write_tracked_files(large, TRACKED_FILES)
        copier = [str(BIN / "copier"), "recopy", "--trust", "--defaults", "--pretend", "--quiet"]
        check = [envsync, "check"]
        subprocess.run(check, cwd=project, check=True, capture_output=True)
        rows = [
            ("python -c pass", *timed([sys.executable, "-c", "pass"], project, runs)),
            ("envsync check (warm cache)", *timed(check, project, runs)),
            (
                "envsync check, full (cache miss)",
                *timed(check, project, runs, touch(project / "backend/.env")),
            ),
            (
                "envsync check, 15 places (changed)",
                *timed(check, layout, runs, touch(layout / ".env")),
            ),
            (
                f"check, 15 places, {TRACKED_FILES:,} files",
                *timed(check, large, max(3, runs // 3), touch(large / "src/pkg0/module0.py")),
            ),
            (
                f"check, {TRACKED_FILES:,} files (warm)",
                *timed(check, large, runs, warm(check, large)),
            ),
            ("envsync render (nothing to do)", *timed([envsync, "render"], project, runs)),
            *big_input_rows(project, layout, envsync, arguments.cap),
            ("copier recopy --pretend", *timed(copier, project, max(3, runs // 3))),
        ]
    baseline, floor = rows[-1][1], rows[0][1]
    print(f"median of {runs} runs (copier: {max(3, runs // 3)}), one process per run\n")
    print(
        f"| {'command':<36} | {'median':>9} | {'vs copier':>9} | {'vs pass':>9} | {'peak RSS':>9} |"
    )
    print(f"|{'-' * 38}|{'-' * 10}:|{'-' * 10}:|{'-' * 10}:|{'-' * 10}:|")
    for name, seconds, mib in rows:
        print(
            f"| {name:<36} | {seconds * 1000:6.1f} ms | {baseline / seconds:8.1f}x "
            f"| {seconds / floor:8.1f}x | {mib:5.1f} MiB |"
        )


def big_input_rows(
    project: Path, layout: Path, envsync: str, cap: float
) -> list[tuple[str, float, float]]:
    """A check on a 1,000,000-line .env beside python-dotenv's ``dotenv_values`` on the same
    file, one on a compose ``.env`` as long beside ``docker compose config``, and a check on a
    map of 20,000 places (one run each: they are slow by nature)."""
    env_project = big_inputs.big_env(project, envsync)
    env_file = env_project / "backend/.env"
    seconds, mib, stopped = big_inputs.dotenv_values_run(env_file, cap)
    lines = f"{big_inputs.ENV_LINES:,}-line .env"
    compose_project = big_inputs.big_compose_env(layout, envsync)
    compose_env = compose_project / ".env"
    map_project = big_inputs.big_map(project, envsync)
    return [
        (f"check, {lines}", *timed([envsync, "check"], env_project, 1, touch(env_file))),
        (
            f"dotenv_values, same file{' (stopped)' if stopped else ''}",
            seconds,
            mib,
        ),
        (
            f"check, {lines} compose reads",
            *timed([envsync, "check"], compose_project, 1, touch(compose_env)),
        ),
        (
            "docker compose config, same file",
            *timed([str(BIN / "docker-compose"), "config", "-q"], compose_project, 1),
        ),
        (
            f"check, {big_inputs.MAP_PLACES:,} places",
            *timed([envsync, "check"], map_project, 3, touch(map_project / "backend/.env")),
        ),
    ]


def touch(path: Path) -> Callable[[int], None]:
    """A change to ``path`` that keeps its meaning: a comment with the run's number."""
    original = path.read_text()

    def change(run: int) -> None:
        path.write_text(f"{original}# run {run}\n")

    return change


def warm(check: list[str], cwd: Path) -> Callable[[int], None]:
    """A full check before the first run, so every timed run is answered from the cache."""

    def fill(run: int) -> None:
        if run == 0:
            subprocess.run(check, cwd=cwd, check=True, capture_output=True)

    return fill


def commit(root: Path) -> None:
    """Make ``root`` a git repository holding all its files, as a project is."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=root, check=True)


TRACKED_FILES = int(20_000 * big_inputs.SCALE)


def write_tracked_files(root: Path, count: int) -> None:
    """``count`` small source files in directories of 100, one in 20 naming a password (never
    the database's), committed; then a full check, which must find no copy."""
    for number in range(count):
        directory = root / "src" / f"pkg{number // 100}"
        directory.mkdir(parents=True, exist_ok=True)
        text = f"def function_{number}() -> int:\n    return {number}\n"
        if number % 20 == 0:
            text += 'PASSWORD = os.environ["APP_PASSWORD"]  # see the vault\n'
        (directory / f"module{number}.py").write_text(text)
    commit(root)
    result = subprocess.run([str(BIN / "envsync"), "check"], cwd=root, capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"the large repository is not in sync: {result.stdout!r}")


LAYOUT = {
    "compose.yaml": (
        "services:\n"
        "  db:\n    image: postgres:16\n    environment:\n"
        "      POSTGRES_USER: ${POSTGRES_USER:?}\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}\n"
        "      POSTGRES_DB: ${POSTGRES_DB:?}\n    ports:\n      - '5432:5432'\n"
        "  backend:\n    image: app\n    env_file: .env\n    environment:\n"
        "      DATABASE_URL: postgresql+asyncpg://app:secret@db:5432/app\n"
        "  worker:\n    image: app\n    environment:\n"
        "      - DATABASE_URL=postgresql://app:secret@db:5432/app\n"
    ),
    ".env": "POSTGRES_USER=app\nPOSTGRES_PASSWORD=secret\nPOSTGRES_DB=app\n",
    "backend/.env": (
        "DATABASE_URL=postgresql+asyncpg://app:secret@127.0.0.1:5432/app\n"
        "POSTGRES_SERVER=127.0.0.1\nPOSTGRES_PORT=5432\n"
    ),
    "alembic.ini": "[alembic]\nsqlalchemy.url = postgresql+psycopg://app:secret@127.0.0.1:5432/app\n",
    "CLAUDE.md": (
        "# app\n<!-- envsync:begin credentials -->\n```text\nuser: app\npassword: secret\n"
        "database: app\n```\n<!-- envsync:end credentials -->\n"
    ),
    ".gitignore": ".env\n*.envsync-tmp\n",
    ".copier-answers.yml": (
        "project_name: app\ndb_container: app-db\ndb_user: app\ndb_password: secret\ndb_name: app\n"
    ),
}
PLACES = [
    ("compose.yaml", "services.db.environment.POSTGRES_USER", 'value = "{db_user}"'),
    ("compose.yaml", "services.db.environment.POSTGRES_PASSWORD", 'value = "{db_password}"'),
    ("compose.yaml", "services.db.environment.POSTGRES_DB", 'value = "{db_name}"'),
    ("compose.yaml", "services.db.ports", 'value = "{db_port}"'),
    ("compose.yaml", "services.backend.environment.DATABASE_URL", 'url = "network"'),
    ("compose.yaml", "services.worker.environment.DATABASE_URL", 'url = "network"'),
    (".env", "POSTGRES_USER", 'value = "{db_user}"'),
    (".env", "POSTGRES_PASSWORD", 'value = "{db_password}"'),
    (".env", "POSTGRES_DB", 'value = "{db_name}"'),
    ("backend/.env", "DATABASE_URL", 'url = "host"'),
    ("backend/.env", "POSTGRES_SERVER", 'value = "{db_host}"'),
    ("backend/.env", "POSTGRES_PORT", 'value = "{db_port}"'),
    ("alembic.ini", "[alembic] sqlalchemy.url", 'url = "host"'),
    ("CLAUDE.md", "user", 'value = "{db_user}"'),
    ("CLAUDE.md", "password", 'value = "{db_password}"'),
]


def write_layout(root: Path) -> None:
    """A project shaped like a real one, not generated: 15 places in 5 files."""
    for name, text in LAYOUT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    entries = [f'[[place]]\nfile = "{f}"\nkey = "{k}"\n{spelling}\n' for f, k, spelling in PLACES]
    (root / "envsync.toml").write_text("\n".join(entries))
    result = subprocess.run([str(BIN / "envsync"), "check"], cwd=root, capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"the 15-place layout is not in sync: {result.stdout!r}")


if __name__ == "__main__":
    main()
