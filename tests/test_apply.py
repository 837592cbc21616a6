"""The one writer: every command that writes (render, set, rotate, adopt) goes through
``apply``, so a failure at any write leaves the project as it was, and a file created holding a
secret is readable by its owner only."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from envsync import file_io
from envsync.errors import EnvsyncError
from tests.conftest import envsync, snapshot
from tests.layouts import ALL, INCIDENT, git_project, write_tree

NEW_PASSWORD = "N3w-pass-7"
LAYOUT = {layout.name: layout for layout in ALL}


def _expose_only(root: Path) -> Path:
    return write_tree(root, LAYOUT["expose-only"].files)


def _incident(root: Path) -> Path:
    return git_project(root, INCIDENT.files)


# (name, how the project is made, the command's arguments)
COMMANDS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "set",
        "project",
        ("set", f"db_password={NEW_PASSWORD}", "ci_db_password=ci-9", "--files-only"),
    ),
    ("rotate", "project", ("rotate", "--files-only")),
    ("set-local", "project", ("set", "secret_storage=local", "--files-only")),
    ("adopt", "incident", ("adopt", "--prefer", "docker-compose.yml")),
    ("adopt-bare", "expose-only", ("adopt",)),
]


@pytest.fixture
def made(project: Path, tmp_path: Path) -> Callable[[str], Path]:
    def make(kind: str) -> Path:
        if kind == "project":
            return project
        if kind == "incident":
            return _incident(tmp_path / "sparkle")
        return _expose_only(tmp_path / "bare")

    return make


def _written(project: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the command writes, in order, on a copy of ``project``."""
    copy = Path(shutil.copytree(project, project.parent / "count", symlinks=True))
    written: list[str] = []
    real = file_io.write

    def counting(root: Path, relative: str, text: str, *, bom: bool, new_mode: int) -> None:
        written.append(relative)
        real(root, relative, text, bom=bom, new_mode=new_mode)

    monkeypatch.setattr(file_io, "write", counting)
    result = envsync(*args, cwd=copy)
    monkeypatch.setattr(file_io, "write", real)
    assert result.returncode == 0, result.stdout + result.stderr
    return written


@pytest.mark.parametrize(("name", "kind", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_failure_at_any_write_leaves_the_project_byte_identical(
    made: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    kind: str,
    args: tuple[str, ...],
) -> None:
    project = made(kind)
    written = _written(project, args, monkeypatch)
    assert len(written) >= 2, written
    before = snapshot(project)
    real = file_io.write
    for failing in range(1, len(written) + 1):
        calls = 0

        def failing_write(
            root: Path, relative: str, text: str, *, bom: bool, new_mode: int, _at: int = failing
        ) -> None:
            nonlocal calls
            calls += 1
            if calls == _at:
                raise EnvsyncError(f"{relative}: disk full (injected)")
            real(root, relative, text, bom=bom, new_mode=new_mode)

        monkeypatch.setattr(file_io, "write", failing_write)
        result = envsync(*args, cwd=project)
        assert result.returncode == 2 and "disk full (injected)" in result.stderr, result.stdout
        assert snapshot(project) == before, f"{name}: write {failing} of {written}"
    monkeypatch.setattr(file_io, "write", real)
    assert envsync(*args, cwd=project).returncode == 0


# adopt-bare creates every file it writes: nothing there to make read-only.
EDITORS = [c for c in COMMANDS if c[0] != "adopt-bare"]


@pytest.mark.parametrize(("name", "kind", "args"), EDITORS, ids=[c[0] for c in EDITORS])
def test_any_read_only_file_stops_the_command_before_the_first_write(
    made: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    kind: str,
    args: tuple[str, ...],
) -> None:
    project = made(kind)
    existing = [p for p in _written(project, args, monkeypatch) if (project / p).is_file()]
    assert existing, name
    before = snapshot(project)
    for path in existing:
        mode = (project / path).stat().st_mode
        (project / path).chmod(0o444)
        result = envsync(*args, cwd=project)
        (project / path).chmod(mode)
        assert result.returncode == 2 and "read-only" in result.stderr, (path, result.stdout)
        assert snapshot(project) == before, f"{name}: {path} read-only"


@pytest.mark.parametrize(("name", "kind", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_file_a_command_creates_holding_the_password_is_private(
    made: Callable[[str], Path], name: str, kind: str, args: tuple[str, ...]
) -> None:
    project = made(kind)
    if kind == "project":
        # Files a clone may lack: the command creates them.
        (project / "backend/.env").unlink()
        (project / "CLAUDE.md").unlink()
    before = snapshot(project)
    result = envsync(*args, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    password = _password(project)
    created = [path for path in snapshot(project) if path not in before]
    assert created, name
    holding = [path for path in created if password.encode() in (project / path).read_bytes()]
    for path in created:
        mode = stat.S_IMODE((project / path).stat().st_mode)
        assert mode == (0o600 if path in holding else 0o644), (path, oct(mode))
    if name == "adopt-bare":
        assert "CLAUDE.md" in holding
        assert "chmod" not in result.stdout


def test_render_creates_a_missing_password_file_private(project: Path) -> None:
    (project / "backend/.env").unlink()
    assert envsync("render", cwd=project).returncode == 0
    assert stat.S_IMODE((project / "backend/.env").stat().st_mode) == 0o600


def _password(project: Path) -> str:
    """The database password the project holds now (the answers, else the local .env)."""
    import yaml

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    if "db_password" in answers:
        return str(answers["db_password"])
    for line in (project / ".env").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "POSTGRES_PASSWORD":
            return value.strip().strip("'\"")
    raise AssertionError("no password found")
