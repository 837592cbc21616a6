"""Every file envsync writes the password into is git-ignored before it is written.

git is the judge throughout: ``git add -A`` after the command must not stage the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envsync import file_io, gitignore
from tests.conftest import envsync, envsync_process, refused_in_one_line
from tests.git_repo import git as _git


def _staged_after_add_all(project: Path) -> set[str]:
    assert _git("add", "-A", cwd=project).returncode == 0
    listed = _git("diff", "--cached", "--name-only", "--diff-filter=d", cwd=project)
    return set(listed.stdout.split())


def _repository(project: Path) -> None:
    assert _git("init", "-q", cwd=project).returncode == 0
    _git("add", "-A", cwd=project)
    assert _git("commit", "-q", "-m", "init", cwd=project).returncode == 0


# --- the library ----------------------------------------------------------------------------


@pytest.mark.parametrize("repository", [True, False], ids=["in-a-repository", "outside"])
def test_unignored_asks_gits_own_rules(tmp_path: Path, repository: bool) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".gitignore").write_text("*.secret\n/sub/.env\n!keep.secret\n")
    (tmp_path / "sub/.gitignore").write_text("local.env\n")
    if repository:
        assert _git("init", "-q", cwd=tmp_path).returncode == 0
    paths = ["a.secret", "keep.secret", "sub/.env", "sub/local.env", ".env", "sub/x.env"]
    assert gitignore.unignored(tmp_path, paths) == ["keep.secret", ".env", "sub/x.env"]


def test_a_tracked_file_matched_by_a_rule_needs_no_new_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n")
    _repository(tmp_path)
    (tmp_path / ".gitignore").write_text("/.env\n")
    # A project that already ignores its env files gets no new line, not even for temporaries
    # (a write removes its own; adopt must not touch a tracked .gitignore that is right).
    assert gitignore.missing_lines(tmp_path, [".env"]) == []


def test_missing_lines_and_with_lines(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("!/.env\nnode_modules/")
    lines = gitignore.missing_lines(tmp_path, [".env", "backend/.env"])
    assert lines == ["/.env", "/backend/.env", "*.envsync-tmp"]
    current = (tmp_path / ".gitignore").read_text()
    (tmp_path / ".gitignore").write_text(gitignore.with_lines(current, lines))
    assert gitignore.missing_lines(tmp_path, [".env", "backend/.env"]) == []
    assert (tmp_path / ".gitignore").read_text().startswith("!/.env\nnode_modules/\n# ")


def test_pattern_escapes_wildcards() -> None:
    assert gitignore.pattern("a[1]/*.env") == "/a\\[1]/\\*.env"


# --- the commands ---------------------------------------------------------------------------


def test_switch_to_local_mode_ignores_the_new_env_before_writing_it(project: Path) -> None:
    """The issue's case: a .gitignore from answers mode does not cover the project's .env (the
    template's has covered it since; a project made by an older version has not)."""
    ignore = project / ".gitignore"
    ignore.write_text(ignore.read_text().replace("/.env\n", "", 1))
    _repository(project)
    result = envsync("set", "secret_storage=local", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "updated .gitignore (/.env)" in result.stdout.splitlines()
    assert (project / ".env").is_file()
    assert _staged_after_add_all(project) == {".gitignore", ".copier-answers.yml", *_changed()}
    assert envsync("check", cwd=project).returncode == 0


def _changed() -> set[str]:
    """What switching to local mode rewrites: the password removed from each, and the map,
    which follows the answers while it is the template's."""
    return {"CLAUDE.md", "docker-compose.yml", "backend/alembic.ini", "envsync.toml"}


def test_check_flags_an_unignored_password_file_and_render_repairs_it(project: Path) -> None:
    (project / ".gitignore").write_text("__pycache__/\n")
    _repository(project)
    _git("rm", "-q", "--cached", "backend/.env", cwd=project)  # not committed yet
    check = envsync("check", cwd=project)
    assert check.returncode == 1
    assert check.stdout.splitlines()[:2] == [
        ".gitignore: /backend/.env: expected 'ignored (holds the password)', found 'not ignored'",
        ".gitignore: *.envsync-tmp: expected 'ignored (holds the password)', found 'not ignored'",
    ]
    render = envsync("render", cwd=project)
    assert render.returncode == 0, render.stderr
    assert render.stdout.splitlines() == ["updated .gitignore (/backend/.env, *.envsync-tmp)"]
    assert "backend/.env" not in _staged_after_add_all(project)
    assert envsync("check", cwd=project).returncode == 0


def test_dry_run_names_the_gitignore_change_and_writes_nothing(project: Path) -> None:
    (project / ".gitignore").unlink()
    result = envsync("render", "--dry-run", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "would create .gitignore (/backend/.env, *.envsync-tmp)",
        "nothing was written; `envsync render` writes these changes",
    ]
    assert not (project / ".gitignore").exists()


def test_a_stale_temporary_file_is_ignored(project: Path) -> None:
    _repository(project)
    stale = project / "backend" / f"..env.k3j2{file_io.TEMPORARY_SUFFIX}"
    stale.write_text("DATABASE_URL=postgresql://u:secret@h/d\n")
    assert _staged_after_add_all(project) == set()


# --- rules git applies after the line (issue 22, item 5) ------------------------------------


@pytest.mark.parametrize("command", [("set", "db_password=N3w-secret"), ("render",), ("check",)])
def test_a_nested_rule_that_un_ignores_the_env_file_is_refused(
    project: Path, command: tuple[str, ...]
) -> None:
    """The repro: backend/.gitignore's `!.env` overrode the root line; set wrote the password
    into an unignored backend/.env and every render appended the root line again."""
    (project / "backend/.gitignore").write_text("!.env\n")
    _repository(project)
    _git("rm", "-q", "--cached", "backend/.env", cwd=project)
    _git("commit", "-q", "-m", "untrack", cwd=project)
    line = refused_in_one_line(project, *command)
    assert line == (
        "envsync: backend/.env: holds the password and git would not ignore it even with the "
        "line envsync adds to .gitignore: backend/.gitignore:1 '!.env' un-ignores it; remove "
        "that rule, or ignore the file there"
    )
    assert "backend/.env" in _staged_after_add_all(project)  # as the user left it


def test_a_line_already_there_is_never_appended_again(project: Path) -> None:
    """A `!` after envsync's line wins; appending the line a second time is refused, naming it."""
    ignore = project / ".gitignore"
    ignore.write_text(f"{gitignore.COMMENT}\n/backend/.env\n*.envsync-tmp\n!/backend/.env\n")
    number = ignore.read_text().splitlines().index("!/backend/.env") + 1
    _repository(project)
    _git("rm", "-q", "--cached", "backend/.env", cwd=project)
    _git("commit", "-q", "-m", "untrack", cwd=project)
    line = refused_in_one_line(project, "render")
    assert f".gitignore:{number} '!/backend/.env' un-ignores it" in line
    assert ignore.read_text().count("/backend/.env\n") == 2  # its own, and the user's `!` line
    assert ignore.read_text().count(gitignore.COMMENT) == 1


def test_with_lines_adds_each_line_once() -> None:
    current = "/.env\n"
    assert gitignore.with_lines(current, ["/.env"]) == current
    assert gitignore.with_lines(current, ["/.env", "/b/.env"]) == (
        f"/.env\n{gitignore.COMMENT}\n/b/.env\n"
    )


@pytest.mark.parametrize("command", [("set", "db_password=N3w-secret"), ("rotate", "--files-only")])
def test_local_mode_gives_no_new_password_to_a_file_git_tracks(
    make_project: Callable[..., Path], command: tuple[str, ...]
) -> None:
    """The repro: backend/.env tracked by mistake in local mode; set wrote the new password into
    it (exit 0). Refused with the command that untracks it; after it, set works."""
    project = make_project(secret_storage="local")
    _repository(project)
    _git("add", "-f", "backend/.env", cwd=project)
    _git("commit", "-q", "-m", "tracked by mistake", cwd=project)
    line = refused_in_one_line(project, *command)
    assert line == (
        "envsync: backend/.env: git tracks it, and secret_storage: local keeps the password out "
        "of tracked files; run `git rm --cached backend/.env` (the file stays), then run "
        "envsync again"
    )
    assert _git("rm", "-q", "--cached", "backend/.env", cwd=project).returncode == 0
    done = envsync_process(*command, cwd=project)
    assert done.returncode == 0, done.stderr
    assert "backend/.env" not in _staged_after_add_all(project)
