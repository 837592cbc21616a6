"""Fixtures that build real projects with the real Copier and run the real envsync command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from envsync.cli import app
from envsync.live import server
from envsync.live.server import ServerSpec, free_port

REPO = Path(__file__).resolve().parents[1]
# The files envsync manages in a project made with the default answers.
MANAGED = (
    "docker-compose.yml",
    "backend/.env",
    "backend/.env.example",
    "backend/alembic.ini",
    "CLAUDE.md",
    ".github/workflows/ci.yml",
)
BIN = Path(sys.executable).parent
# The tests read envsync's plain output: a FORCE_COLOR of the developer's shell or CI would colour
# it even through pipes (tests/test_messages.py sets both variables where it tests them).
os.environ.pop("FORCE_COLOR", None)

# The same examples on every run, so a landing never hangs on a new random draw; a developer
# explores with `pytest --hypothesis-profile=explore` (fresh random examples each run).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """A base directory of this run's own, unless one is given with --basetemp.

    pytest resets ``/tmp/pytest-of-<user>`` to 0700 whenever a session starts; as root the
    embedded server runs as another user that must traverse it, so a second test run on the
    same machine would lock the first one's servers out of their data directories.
    """
    if config.option.basetemp is None:
        config.option.basetemp = tempfile.mkdtemp(prefix="envsync-tests-")
        config.add_cleanup(lambda: shutil.rmtree(config.option.basetemp, ignore_errors=True))


# What a clean check and the secret history remember (hashes only, git-ignored): not the
# project's content.
CHECK_CACHE = (
    ".envsync/check-cache",
    ".envsync/.gitignore",
    ".envsync/secret-history",
    ".envsync/secret-key",
)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, to prove what a command did or did not touch."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and str(path.relative_to(root)) not in CHECK_CACHE
    }


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep Copier's cache out of the home directory during tests."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain directory: Copier copies the working tree, committed or not."""
    src = tmp_path_factory.mktemp("template-src")
    shutil.copy(REPO / "copier.yml", src / "copier.yml")
    shutil.copytree(REPO / "template", src / "template")
    return src


# The host port of every project the tests generate, free when the session starts: 5432 may be a
# laptop's own PostgreSQL, another project's or the quickstart demo's, and `envsync set` rightly
# stops at a server on its project's port that is not the project's (run the suite beside such
# servers with scripts/foreign_servers.sh).
PORT = free_port()


def copier_copy(src: Path, dst: Path, **answers: object) -> subprocess.CompletedProcess[str]:
    """``copier copy`` as the README runs it, with ``answers`` given as ``--data`` (and the
    session's free ``PORT`` unless ``db_port`` is one of them)."""
    data = []
    for key, value in {"db_port": PORT, **answers}.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        data += ["--data", f"{key}={text}"]
    return subprocess.run(
        [BIN / "copier", "copy", "--trust", "--defaults", "--quiet", *data, str(src), str(dst)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def make_project(template_src: Path, tmp_path: Path) -> Callable[..., Path]:
    """A new project made by ``copier copy`` in ``tmp_path``."""

    def make(name: str = "project", **answers: object) -> Path:
        dst = tmp_path / name
        result = copier_copy(template_src, dst, **answers)
        assert result.returncode == 0, result.stderr
        return dst

    return make


@pytest.fixture(scope="session")
def default_project(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``copier copy --defaults`` per test session; tests work on copies of it."""
    dst = tmp_path_factory.mktemp("default") / "project"
    result = copier_copy(template_src, dst)
    assert result.returncode == 0, result.stderr
    return dst


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    """A fresh copy of the default project, free for this test to change."""
    return Path(shutil.copytree(default_project, tmp_path / "project", symlinks=True))


@pytest.fixture
def live_dir() -> Iterator[Path]:
    """A directory for projects whose database runs, outside pytest's base directory.

    The server runs as an unprivileged user that must traverse to its data directory; every
    pytest session resets /tmp/pytest-of-<user> to 0700, which would lock out the server of any
    other session running at the same time.
    """
    path = Path(tempfile.mkdtemp(prefix="envsync-live-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def another_projects_server(project: Path, live_dir: Path) -> Iterator[int]:
    """Another project's database on the port ``project`` names (moved to a free one), with
    credentials of its own; stopped after the test."""
    port = free_port()
    assert envsync("set", "--files-only", f"db_port={port}", cwd=project).returncode == 0
    data_dir = live_dir / "other-project"
    server.start(ServerSpec("someone", "their-secret", "theirs", port, data_dir))
    try:
        yield port
    finally:
        server.stop(data_dir)


@pytest.fixture
def live_project(template_src: Path, live_dir: Path) -> Iterator[Path]:
    """A new project whose database runs (``envsync db up``) on a free port; stopped after."""
    dst = live_dir / "live"
    copied = copier_copy(template_src, dst, db_port=free_port())
    assert copied.returncode == 0, copied.stderr
    started = envsync("db", "up", cwd=dst)
    assert started.returncode == 0, started.stderr
    try:
        yield dst
    finally:
        envsync("db", "down", cwd=dst)


def alembic(*args: str, project: Path) -> subprocess.CompletedProcess[str]:
    """The project's ``alembic`` run from backend/, with no DATABASE_URL from this process."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [BIN / "alembic", *args],
        cwd=project / "backend",
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def envsync_process(
    *args: str, cwd: Path, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed ``envsync`` console script, run as a user runs it."""
    return subprocess.run(
        [BIN / "envsync", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def envsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The same Typer app in this process (ten times faster), on the project ``cwd``."""
    result = CliRunner().invoke(app, [*args, "--project", str(cwd)], catch_exceptions=False)
    return subprocess.CompletedProcess(
        ["envsync", *args], result.exit_code, result.stdout, result.stderr
    )


def refused_in_one_line(project: Path, *command: str) -> str:
    """``command`` through the console script: exit 2, one line on stderr, nothing written; the
    line."""
    before = snapshot(project)
    result = envsync_process(*command, cwd=project)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, lines
    assert snapshot(project) == before
    return lines[0]
