"""Nothing lost: every write is atomic, keeps the file's conventions, and runs one at a time.

Faults are injected at every write step of a real render (an exception, then a SIGKILL sent by
this process to a render running in another one); after each, every file is byte for byte its
old or its new version and the next render completes.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from envsync import file_io
from tests.conftest import BIN, MANAGED, envsync, envsync_process, snapshot
from tests.readers import all_credentials

# The calls that make up one atomic write, in file_io's order; a fault is injected before each.
WRITE_STEPS: tuple[tuple[object, str], ...] = (
    (tempfile, "mkstemp"),
    (os, "fchmod"),
    (os, "fsync"),
    (os, "replace"),
)
# fsync runs twice per file: the file's data, then the directory entry of the rename.
STEPS_PER_FILE = ("mkstemp", "fchmod", "fsync", "replace", "fsync")


def _drift_everything(project: Path) -> None:
    """New user and password in the answers (every managed file changes) and CLAUDE.md gone."""
    answers = project / ".copier-answers.yml"
    text = re.sub(r"(?m)^db_user: .*$", "db_user: renamed_user", answers.read_text())
    text = re.sub(r"(?m)^db_password: .*$", "db_password: N3w-Passw0rd-after-rotation", text)
    answers.write_text(text)
    (project / "CLAUDE.md").unlink()


def _rendered(project: Path, tmp_path: Path) -> dict[str, bytes]:
    """What a single, undisturbed render makes of ``project`` (run on a copy)."""
    copy = Path(shutil.copytree(project, tmp_path / "reference", symlinks=True))
    result = envsync("render", cwd=copy)
    assert result.returncode == 0, result.stderr
    return snapshot(copy)


def _assert_each_file_old_or_new(
    project: Path, old: dict[str, bytes], new: dict[str, bytes]
) -> None:
    # A killed run may leave its temporary file; the next write removes it (checked by callers).
    now = {k: v for k, v in snapshot(project).items() if not k.endswith(file_io.TEMPORARY_SUFFIX)}
    assert set(now) <= set(old) | set(new), sorted(set(now) - set(old) - set(new))
    for name in set(old) | set(new):
        assert now.get(name) in (old.get(name), new.get(name)), name


def _temporaries(project: Path) -> list[Path]:
    return sorted(project.rglob(f"*{file_io.TEMPORARY_SUFFIX}"))


@pytest.fixture
def drifted(project: Path, tmp_path: Path) -> Iterator[tuple[Path, dict, dict]]:
    _drift_everything(project)
    yield project, snapshot(project), _rendered(project, tmp_path)


@pytest.mark.parametrize(
    "fault", [OSError(errno.EIO, "Input/output error"), KeyboardInterrupt()], ids=repr
)
def test_injected_failure_at_every_write_step_leaves_old_or_new(
    drifted: tuple[Path, dict, dict], monkeypatch: pytest.MonkeyPatch, fault: BaseException
) -> None:
    project, old, new = drifted
    calls = 0
    fail_at = 0

    def failing(function: Callable[..., object]) -> Callable[..., object]:
        def step(*args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            if calls == fail_at:
                raise fault
            return function(*args, **kwargs)

        return step

    interrupted = 0
    while True:
        fail_at += 1
        calls = 0
        with monkeypatch.context() as patch:
            for owner, name in WRITE_STEPS:
                patch.setattr(owner, name, failing(getattr(owner, name)))
            result = envsync("render", cwd=project)
        if calls < fail_at:
            break  # the render ran every step: nothing left to interrupt
        interrupted += 1
        assert result.returncode != 0
        if isinstance(fault, OSError):
            assert result.returncode == 2
            assert "cannot be written: Input/output error" in result.stderr
        _assert_each_file_old_or_new(project, old, new)
        assert _temporaries(project) == []
        healed = envsync("render", cwd=project)
        assert healed.returncode == 0, healed.stderr
        assert snapshot(project) == new
        (project / ".copier-answers.yml").write_bytes(old[".copier-answers.yml"])
        for name in MANAGED:
            (project / name).unlink(missing_ok=True)
            if name in old:
                (project / name).write_bytes(old[name])
        assert snapshot(project) == old
    assert interrupted == len(STEPS_PER_FILE) * len(MANAGED)
    assert snapshot(project) == new


KILLABLE_RENDER = """
import os, signal, sys, tempfile

stop_at = int(sys.argv[1])
calls = 0


def pausing(function):
    def step(*args, **kwargs):
        global calls
        calls += 1
        if calls == stop_at:
            print("paused before", function.__name__, flush=True)
            signal.pause()  # the test kills this process here
        return function(*args, **kwargs)

    return step


for owner, name in ((tempfile, "mkstemp"), (os, "fchmod"), (os, "fsync"), (os, "replace")):
    setattr(owner, name, pausing(getattr(owner, name)))

from envsync.cli import app

app(["render", "--project", sys.argv[2]])
"""


def test_sigkill_at_every_write_step_leaves_old_or_new(
    drifted: tuple[Path, dict, dict], tmp_path: Path
) -> None:
    project, old, new = drifted
    script = tmp_path / "killable_render.py"
    script.write_text(KILLABLE_RENDER)
    stop_at = 0
    killed_at: list[str] = []
    while True:
        stop_at += 1
        render = subprocess.Popen(
            [sys.executable, str(script), str(stop_at), str(project)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert render.stdout is not None
        line = render.stdout.readline()
        if not line.startswith("paused before "):
            out, err = render.communicate()
            assert render.returncode == 0, err
            assert line.startswith(("updated", "created")), line + out
            break
        step = line.removeprefix("paused before ").strip()
        os.kill(render.pid, signal.SIGKILL)
        assert render.wait() == -signal.SIGKILL
        render.stdout.close()
        assert render.stderr is not None
        render.stderr.close()
        killed_at.append(step)
        _assert_each_file_old_or_new(project, old, new)
        # The dead run's lock is gone with it; its stray temporary file goes with the next write.
        healed = envsync_process("render", cwd=project)
        assert healed.returncode == 0, healed.stderr
        assert snapshot(project) == new
        assert _temporaries(project) == []
        (project / ".copier-answers.yml").write_bytes(old[".copier-answers.yml"])
        for name in MANAGED:
            (project / name).unlink(missing_ok=True)
            if name in old:
                (project / name).write_bytes(old[name])
    assert killed_at == list(STEPS_PER_FILE) * len(MANAGED)
    assert snapshot(project) == new


def test_concurrent_renders_both_finish_with_a_single_renders_result(
    drifted: tuple[Path, dict, dict],
) -> None:
    project, _, new = drifted
    renders = [
        subprocess.Popen(
            [BIN / "envsync", "render"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [render.communicate() for render in renders]
    assert [render.returncode for render in renders] == [0] * 4, outputs
    assert snapshot(project) == new
    # Serialised: exactly one run found the drift; the others found the files in sync.
    stdouts = sorted(out for out, _ in outputs)
    assert stdouts[:3] == ["all files in sync\n"] * 3, stdouts
    assert "created CLAUDE.md" in stdouts[3]


def _dress(text: str, *, crlf: bool, bom: bool, final_newline: bool) -> bytes:
    if crlf:
        text = text.replace("\n", "\r\n")
    if not final_newline:
        text = text.rstrip("\r\n")
    return (file_io.BOM if bom else "").encode() + text.encode()


CONVENTIONS = {
    "crlf": {"crlf": True, "bom": False, "final_newline": True},
    "bom": {"crlf": False, "bom": True, "final_newline": True},
    "no-final-newline": {"crlf": False, "bom": False, "final_newline": False},
    "all-three": {"crlf": True, "bom": True, "final_newline": False},
}

# Per file: a hand edit envsync repairs in place, and a deletion of an owned line that it re-adds.
EDITS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "docker-compose.yml": (
        (r'POSTGRES_DB: "myproject"', "POSTGRES_DB: sparkle"),
        (r"\n *POSTGRES_DB: .*", ""),
    ),
    "backend/.env": ((r"//myproject_user:", "//sparkle_user:"), (r"\nDATABASE_URL=.*", "")),
    "backend/.env.example": (
        (r"//myproject_user:", "//sparkle_user:"),
        (r"\nDATABASE_URL=.*", ""),
    ),
    "backend/alembic.ini": ((r"//myproject_user:", "//postgres:"), (r"\nsqlalchemy\.url = .*", "")),
    "CLAUDE.md": ((r"(?m)^user: .*$", "user: postgres"), (r"(?m)^user: .*$", "")),
    ".github/workflows/ci.yml": (
        (r'POSTGRES_DB: "myproject"', "POSTGRES_DB: sparkle"),
        (r"\n *POSTGRES_DB: .*", ""),
    ),
}


@pytest.mark.parametrize("name", MANAGED)
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_line_endings_bom_and_final_newline_survive_edits_and_insertions(
    project: Path, name: str, convention: str
) -> None:
    dress = CONVENTIONS[convention]
    path = project / name
    if dress["bom"] and name.endswith(".ini"):
        # Alembic cannot read an alembic.ini with a BOM: envsync says so and writes nothing.
        path.write_bytes(_dress(path.read_text(), **dress))
        before = snapshot(project)
        refused = envsync("render", cwd=project)
        assert refused.returncode == 2 and "MissingSectionHeaderError" in refused.stderr
        assert snapshot(project) == before
        return
    original = path.read_text()
    expected = _dress(original, **dress)
    (pattern, replacement), (line, removed) = EDITS[name]

    edited = re.sub(pattern, replacement, original, count=1)
    assert edited != original
    path.write_bytes(_dress(edited, **dress))
    assert envsync("check", cwd=project).returncode == 1
    assert envsync("render", cwd=project).returncode == 0
    assert path.read_bytes() == expected

    # A last line of the user's: the owned line is then re-added at the end of the file.
    deleted = re.sub(line, removed, original + "# kept\n", count=1)
    assert deleted != original
    path.write_bytes(_dress(deleted, **dress))
    assert envsync("render", cwd=project).returncode == 0
    repaired = path.read_bytes()
    assert repaired.startswith(file_io.BOM.encode()) == dress["bom"]
    assert repaired.endswith(b"\n") == dress["final_newline"]
    body = repaired.removeprefix(file_io.BOM.encode())
    if dress["crlf"]:
        assert b"\n" not in body.replace(b"\r\n", b""), body
    else:
        assert b"\r" not in body, body
    assert envsync("check", cwd=project).returncode == 0


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640])
def test_a_files_mode_is_kept(project: Path, mode: int) -> None:
    env = project / "backend/.env"
    env.chmod(mode)
    env.write_text(env.read_text().replace("//myproject_user:", "//other:"))
    assert envsync("render", cwd=project).returncode == 0
    assert "//myproject_user:" in env.read_text()
    assert env.stat().st_mode & 0o7777 == mode


def test_new_files_holding_the_password_are_private(project: Path) -> None:
    for name in MANAGED:
        (project / name).unlink()
    assert envsync("render", cwd=project).returncode == 0
    modes = {name: (project / name).stat().st_mode & 0o777 for name in MANAGED}
    assert modes == {
        "docker-compose.yml": 0o600,
        "backend/.env": 0o600,
        "backend/.env.example": 0o644,
        "backend/alembic.ini": 0o600,
        "CLAUDE.md": 0o600,
        # The CI database's throwaway password is no secret: the workflow is a public file.
        ".github/workflows/ci.yml": 0o644,
    }


def test_a_symlinked_env_is_written_through_its_link(project: Path) -> None:
    shared = project / "shared"
    shared.mkdir()
    target = shared / "backend.env"
    env = project / "backend/.env"
    target.write_text(env.read_text().replace("//myproject_user:", "//other:") + "MINE=1\n")
    target.chmod(0o640)
    env.unlink()
    env.symlink_to(os.path.relpath(target, env.parent))
    assert envsync("render", cwd=project).returncode == 0
    assert env.is_symlink()
    assert env.resolve() == target.resolve()
    assert "//myproject_user:" in target.read_text()
    assert target.read_text().endswith("MINE=1\n")
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["backend.env"]
    assert all_credentials(project)["backend/.env"] == all_credentials(project)["CLAUDE.md"]


def test_a_read_only_file_is_refused_and_nothing_else_is_written(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("//myproject_user:", "//other:"))
    ini = project / "backend/alembic.ini"
    ini.write_text(ini.read_text().replace("//myproject_user:", "//other:"))
    ini.chmod(0o444)
    before = snapshot(project)
    for command in (["render"], ["set", "db_port=6543"]):
        result = envsync(*command, cwd=project)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "envsync: backend/alembic.ini: is read-only; make it writable and run again"
        ]
        assert snapshot(project) == before
    ini.chmod(0o644)
    assert envsync("render", cwd=project).returncode == 0
    assert envsync("check", cwd=project).returncode == 0


def test_keep_conventions_leaves_mixed_line_endings_alone() -> None:
    old = "a=1\r\nb=2\n"
    assert file_io.keep_conventions(old, "a=1\r\nb=3\nc=4\n") == "a=1\r\nb=3\nc=4\n"
    assert file_io.keep_conventions("a=1\r\nb=2", "a=1\nb=3\nc=4\n") == "a=1\r\nb=3\r\nc=4"
    assert file_io.keep_conventions(None, "x\n") == "x\n"
