"""No file under the user's cache directory holds a password, whatever commands ran.

A cache outlives the project's own files: a password kept there stays valid and readable after
the user rotated it away from the project, switched to ``secret_storage: local``, or deleted the
project.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from envsync.redact import secret_spellings
from tests.conftest import envsync

# The last one must suit secret_storage: local, which the sequence switches to.
PASSWORDS = ("cache pw'3", "Cache%Pw/1", "cache:pw@2")
NEXT = "Rotated-away-password-4"


@pytest.fixture
def cache_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ...]:
    """A fresh XDG cache and a fresh home, whose ~/.cache is where the XDG default points."""
    xdg, home = tmp_path / "xdg-cache", tmp_path / "home"
    xdg.mkdir()
    home.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.setenv("HOME", str(home))
    return xdg, home


def _ok(*command: str, cwd: Path) -> None:
    result = envsync(*command, cwd=cwd)
    assert result.returncode in (0, 1), (command, result.stdout, result.stderr)


def _assert_no_secret_under(directories: tuple[Path, ...], passwords: list[str]) -> None:
    spellings = secret_spellings(list(passwords))
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file():
                data = path.read_bytes().decode("utf-8", "replace")
                leaked = sorted(s for s in spellings if s in data)
                assert not leaked, (path, leaked)


def test_check_render_set_and_mode_switches_leave_no_password_in_the_cache(
    project: Path, cache_dirs: tuple[Path, ...]
) -> None:
    answers = project / ".copier-answers.yml"
    original = re.search(r"(?m)^db_password: (.*)$", answers.read_text())
    assert original is not None
    used = [original[1]]
    _ok("check", cwd=project)
    _ok("render", cwd=project)
    for password in PASSWORDS:
        _ok("set", f"db_password={password}", cwd=project)
        _ok("check", cwd=project)
        used.append(password)
    (project / "backend/.env").unlink()
    _ok("render", "--diff", cwd=project)
    _ok("render", cwd=project)
    _ok("set", "secret_storage=local", cwd=project)
    _ok("check", cwd=project)
    _ok("set", f"db_password={NEXT}", cwd=project)
    _ok("render", cwd=project)
    _ok("check", "--json", cwd=project)
    _ok("set", "secret_storage=answers", cwd=project)
    _ok("check", cwd=project)
    _assert_no_secret_under(cache_dirs, [*used, NEXT])


def test_adopt_and_copier_copy_leave_no_password_in_the_cache(
    make_project: Callable[..., Path], cache_dirs: tuple[Path, ...]
) -> None:
    password = "adopt%Pw:7/x"
    project = make_project("copied", db_password=password)
    (project / ".copier-answers.yml").unlink()
    (project / "envsync.toml").unlink()
    shutil.rmtree(project / "backend/alembic")
    _ok("adopt", cwd=project)
    _ok("check", cwd=project)
    _ok("render", cwd=project)
    _assert_no_secret_under(cache_dirs, [password])
