"""A repository you clone cannot turn envsync against you (issue 22, item 1).

``envsync.toml`` is tracked, so a clone's map and symlinks are a stranger's input, and envsync
often runs as root. Each test is a repro that was run against envsync before confinement: the
real console script is refused with exit 2 and one line, and nothing under ``.git/`` or outside
the project changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from envsync.check_cache import CACHE_DIR, CACHE_FILE
from tests.conftest import envsync, envsync_process, snapshot
from tests.git_repo import git

Run = Callable[..., str]


@pytest.fixture
def cloned(project: Path) -> Path:
    """The generated project as a clone has it: a git repository with one commit."""
    assert git("init", "-q", cwd=project).returncode == 0
    assert git("add", "-A", cwd=project).returncode == 0
    assert git("commit", "-q", "-m", "clone", cwd=project).returncode == 0
    return project


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the project (a stand-in for /etc/cron.d), holding one file."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "kept").write_text("the system's own\n")
    return directory


@pytest.fixture
def refused(cloned: Path, outside: Path) -> Run:
    """Runs envsync on the clone; asserts exit 2, one line, nothing changed; returns the line."""

    def run(*command: str) -> str:
        before, before_outside = snapshot(cloned), snapshot(outside)
        result = envsync_process(*command, cwd=cloned)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1, lines
        assert snapshot(cloned) == before
        assert snapshot(outside) == before_outside
        return lines[0]

    return run


def _add_place(project: Path, *fields: str) -> None:
    with (project / "envsync.toml").open("a") as handle:
        handle.write("\n[[place]]\n" + "".join(f"{field}\n" for field in fields))


def _number_of_places(project: Path) -> int:
    return (project / "envsync.toml").read_text().count("[[place]]")


@pytest.mark.parametrize(
    ("file", "fmt", "key"),
    [
        (".git/config", "ini", "[core] fsmonitor"),
        (".git/hooks/pre-commit", "dotenv", "X"),
        ("backend/.git/config", "ini", "[core] fsmonitor"),
        (".GIT/config", "ini", "[core] hooksPath"),
        ("./.git/info/exclude", "dotenv", "X"),
    ],
)
@pytest.mark.parametrize("command", ["render", "check"])
def test_a_place_under_git_is_refused_naming_the_place(
    cloned: Path, refused: Run, file: str, fmt: str, key: str, command: str
) -> None:
    """The repro: render said `updated .git/config`, and the next `git status` ran the value."""
    _add_place(cloned, f'file = "{file}"', f'format = "{fmt}"', f'key = "{key}"')
    with (cloned / "envsync.toml").open("a") as handle:
        handle.write('value = "touch /tmp/envsync-was-here"\n')
    line = refused(command)
    number = _number_of_places(cloned)
    assert line == (
        f"envsync: envsync.toml: place #{number}: file {file!r} is under .git/, where envsync "
        "never writes (its settings and hooks run commands)"
    )
    assert "fsmonitor" not in (cloned / ".git/config").read_text()


def test_a_symlink_into_git_is_refused(cloned: Path, refused: Run) -> None:
    (cloned / "settings").symlink_to(".git")
    git("add", "settings", cwd=cloned)
    git("commit", "-q", "-m", "link", cwd=cloned)
    _add_place(cloned, 'file = "settings/config"', 'format = "ini"', 'key = "[core] fsmonitor"')
    with (cloned / "envsync.toml").open("a") as handle:
        handle.write('value = "touch /tmp/envsync-was-here"\n')
    assert refused("render") == (
        "envsync: settings/config: settings links to .git, which is under .git/, where a "
        "setting or a hook runs commands; envsync never reads or writes there"
    )


def test_a_committed_symlink_out_of_the_project_receives_no_file(
    cloned: Path, outside: Path, refused: Run
) -> None:
    """The repro: `cron -> /etc/cron.d` and a place `cron/envsync`; render, as root, created
    the file outside the project."""
    (cloned / "cron").symlink_to(outside)
    _add_place(cloned, 'file = "cron/envsync"', 'format = "dotenv"', 'key = "SHELL"')
    with (cloned / "envsync.toml").open("a") as handle:
        handle.write('value = "/bin/sh"\n')
    for command in ("render", "check", "render --dry-run"):
        assert refused(*command.split()) == (
            f"envsync: cron/envsync: cron links to {outside}, which is outside the project; "
            "envsync reads and writes only inside the project directory"
        )


def test_a_relative_symlink_climbing_out_is_refused(cloned: Path, refused: Run) -> None:
    (cloned / "backend/up").symlink_to("../..")
    _add_place(cloned, 'file = "backend/up/outside/planted.env"', 'key = "A"', 'value = "1"')
    line = refused("render")
    assert line.startswith("envsync: backend/up/outside/planted.env: backend/up links to ../..")


@pytest.mark.parametrize("name", [".gitignore", "envsync.toml", ".copier-answers.yml"])
def test_a_project_file_linked_out_of_the_project_is_refused(
    cloned: Path, outside: Path, refused: Run, name: str
) -> None:
    """A symlinked ``.gitignore`` (render appends to it), map or answers file."""
    target = outside / name
    (cloned / name).rename(target)
    (cloned / name).symlink_to(target)
    if name == ".gitignore":
        # The env file is no longer ignored (git reads no symlinked .gitignore): render must
        # append a line, through the link.
        git("rm", "-q", "--cached", ".gitignore", cwd=cloned)
    before = target.read_bytes()
    line = refused("render")
    assert line == (
        f"envsync: {name}: links to {target}, which is outside the project; envsync reads and "
        "writes only inside the project directory"
    )
    assert target.read_bytes() == before


def test_a_symlinked_envsync_directory_takes_no_cache_and_no_volume(
    cloned: Path, outside: Path, refused: Run
) -> None:
    """The check cache and the embedded database's volume live in ``.envsync/``."""
    (cloned / ".envsync").symlink_to(outside)
    checked = envsync_process("check", cwd=cloned)
    assert checked.returncode == 0, checked.stderr
    assert sorted(os.listdir(outside)) == ["kept"]
    line = refused("db", "up")
    assert line == (
        f"envsync: .envsync/volumes/db: .envsync links to {outside}, which is outside the "
        "project; envsync reads and writes only inside the project directory"
    )


def test_links_planted_inside_envsync_directory_take_no_cache(cloned: Path, outside: Path) -> None:
    """A clone may commit ``.envsync/.gitignore`` as a dangling link: the cache creates no file
    through it (nor through any link planted where it writes)."""
    (cloned / ".envsync").mkdir()
    (cloned / ".envsync/.gitignore").symlink_to(outside / "planted")
    # The cache writes a temporary file named after its process: run the check in this one.
    temporary = cloned / CACHE_DIR / f".{CACHE_FILE}.{os.getpid()}"
    temporary.symlink_to(outside / "kept")
    for _ in range(2):
        checked = envsync("check", cwd=cloned)
        assert checked.returncode == 0, checked.stderr
        assert (cloned / CACHE_DIR / CACHE_FILE).is_file()  # the check was remembered
    assert sorted(os.listdir(outside)) == ["kept"]
    assert (outside / "kept").read_text() == "the system's own\n"


def test_a_nul_in_a_file_name_is_one_line(cloned: Path, refused: Run) -> None:
    _add_place(cloned, 'file = "backend/.env\\u0000x"', 'key = "A"', 'value = "1"')
    line = refused("render")
    assert line.endswith("file 'backend/.env\\x00x' holds the non-printable character U+0000")


def test_an_env_file_outside_the_project_is_neither_read_nor_refused(tmp_path: Path) -> None:
    """`env_file: ../common.env` (shared by sibling projects) is not the project's: adopt and
    check work on the project's own places and leave that file alone."""
    shared = tmp_path / "common.env"
    shared.write_text("POSTGRES_PASSWORD=elsewhere\n")
    project = tmp_path / "app"
    project.mkdir()
    (project / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n    env_file: ../common.env\n"
        "    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: Pw-123456\n"
    )
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "init", cwd=project)
    adopted = envsync("adopt", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert envsync("check", cwd=project).returncode == 0
    assert shared.read_text() == "POSTGRES_PASSWORD=elsewhere\n"
