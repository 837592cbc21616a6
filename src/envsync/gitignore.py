"""Keeping the files that hold the password out of git: which ones git would not ignore, and the
``.gitignore`` lines that make it ignore them.

git itself decides (``git check-ignore``), so every rule counts as git applies it: nested
``.gitignore`` files, negations, ``.git/info/exclude``, the user's global excludes. Outside a
repository, the project's rules are asked of git through an empty scratch repository: nothing
can be committed yet, but the first ``git init && git add -A`` must not take the password.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from envsync import file_io, git_listing
from envsync.errors import EnvsyncError

IGNORE_FILE = ".gitignore"
# A write killed before its rename leaves `.<name>.<random>.envsync-tmp` holding the new content.
TEMPORARIES = f"*{file_io.TEMPORARY_SUFFIX}"
COMMENT = "# Files holding the database password (added by envsync: never commit them)"
# git reads these as wildcards or escapes in a pattern.
_SPECIAL = re.compile(r"([*?\[\\])")
_NOT_A_REPOSITORY = 128


def unignored(project_dir: Path, paths: Iterable[str]) -> list[str]:
    """The project-relative ``paths`` (``/``-separated) that no ignore rule of git covers.

    Rules only: a tracked file matched by a rule counts as ignored here (``--no-index``), so
    adding its line once is enough; finding a password in tracked files is another check's job.
    """
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return []
    stdin = "".join(f"{path}\0" for path in wanted).encode()
    command = ["check-ignore", "--no-index", "--stdin", "-z"]
    result = _git(project_dir, command, stdin)
    if result is not None and result.returncode == _NOT_A_REPOSITORY:
        result = _git_outside_a_repository(project_dir, command, stdin)
    if result is None or result.returncode not in (0, 1):
        return [path for path in wanted if not _listed(project_dir, path)]
    ignored = set(result.stdout.decode().split("\0"))
    return [path for path in wanted if path not in ignored]


def _git(
    project_dir: Path, arguments: list[str], stdin: bytes, *options: str
) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            ["git", *options, *arguments],
            cwd=project_dir,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None


def _git_outside_a_repository(
    project_dir: Path, arguments: list[str], stdin: bytes
) -> subprocess.CompletedProcess[bytes] | None:
    import tempfile  # only projects outside a repository need it

    with tempfile.TemporaryDirectory(prefix="envsync-git-") as scratch:
        initialised = _git(project_dir, ["init", "--quiet", "--bare", scratch], b"")
        if initialised is None or initialised.returncode != 0:
            return None
        return _git(
            project_dir,
            arguments,
            stdin,
            f"--git-dir={scratch}",
            f"--work-tree={os.path.abspath(project_dir)}",
        )


def _listed(project_dir: Path, path: str) -> bool:
    """Without git, a path counts as ignored only when ``.gitignore`` names it exactly."""
    found = file_io.read(project_dir, IGNORE_FILE)
    lines = {line.strip() for line in found.text.splitlines()} if found else set()
    return bool(lines & {path, pattern(path)})


def pattern(path: str) -> str:
    """The ``.gitignore`` line that ignores exactly the project-relative ``path``."""
    return "/" + _SPECIAL.sub(r"\\\1", path)


def temporary_of(path: str) -> str:
    """A name of the kind ``file_io`` gives ``path``'s temporary files."""
    posix = PurePosixPath(path)
    return str(posix.parent / f".{posix.name}.0{file_io.TEMPORARY_SUFFIX}")


def missing_lines(project_dir: Path, secret_paths: Iterable[str]) -> list[str]:
    """The lines ``.gitignore`` needs so that git ignores every path of ``secret_paths``, and
    every temporary file envsync may leave beside one of them."""
    secrets = list(secret_paths)
    return _lines(secrets, set(unignored(project_dir, _with_temporaries(secrets))))


def tracked_and_missing_lines(
    project_dir: Path, paths: Iterable[str]
) -> tuple[set[str], list[str]]:
    """``tracked(paths)``, and the ``missing_lines`` of the paths git does not track. git is
    asked both at once (each question is a process start): whether a rule ignores a path does
    not depend on whether git tracks it."""
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return set(), []
    listing = git_listing.start(project_dir, ("ls-files", "-z", "--", *wanted))
    missing = set(unignored(project_dir, _with_temporaries(wanted)))
    committed = _listed_names(listing)
    return committed, _lines([path for path in wanted if path not in committed], missing)


def _with_temporaries(paths: list[str]) -> list[str]:
    return [*paths, *(temporary_of(path) for path in paths)]


def _lines(secrets: list[str], missing: set[str]) -> list[str]:
    """The lines for the ``secrets`` that git would not ignore, ``missing`` naming those (and
    the temporary files) no rule covers."""
    lines = [pattern(path) for path in secrets if path in missing]
    # With its file's line: a project that already ignores its env files gets no new lines.
    if lines and any(temporary_of(path) in missing for path in secrets):
        lines.append(TEMPORARIES)
    return lines


def with_lines(current: str | None, lines: list[str]) -> str:
    """``current`` (``.gitignore``'s text, None when absent) with ``lines`` appended, each
    only once: a line already there that does not work would not work twice.

    At the end, because the last matching rule wins: an earlier ``!`` cannot undo them.
    """
    text = current or ""
    present = {line.strip() for line in text.splitlines()}
    new = [line for line in lines if line not in present]
    if not new:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(f"{line}\n" for line in [COMMENT, *new])


def check_ignored(project_dir: Path, paths: Iterable[str], new_text: str) -> None:
    """Refuse when git would still not ignore one of ``paths`` once ``.gitignore`` reads
    ``new_text``: a rule of a ``.gitignore`` deeper in the tree (``backend/.gitignore`` with
    ``!.env``), or a ``!`` after the line, wins over it.

    git itself is asked, in a scratch tree holding the new ``.gitignore`` and the project's
    ``.gitignore`` files on the way to each path; nothing in the project is written.
    """
    import tempfile  # only a plan that adds ignore lines gets here

    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return
    with tempfile.TemporaryDirectory(prefix="envsync-ignore-") as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir()
        (tree / IGNORE_FILE).write_text(new_text)
        for nested in _nested_ignore_files(wanted):
            found = file_io.read(project_dir, nested)
            if found is not None:
                (tree / nested).parent.mkdir(parents=True, exist_ok=True)
                (tree / nested).write_text(found.text)
        if _git(tree, ["init", "--quiet", "--bare", f"{scratch}/git"], b"") is None:
            return
        result = _git(
            tree,
            ["check-ignore", "--no-index", "--verbose", "--non-matching", "--stdin", "-z"],
            "".join(f"{path}\0" for path in wanted).encode(),
            f"--git-dir={scratch}/git",
            f"--work-tree={tree}",
        )
    if result is None or result.returncode not in (0, 1):
        return
    fields = result.stdout.decode().split("\0")
    for source, line, rule, path in zip(*[iter(fields)] * 4, strict=False):
        if not rule or rule.startswith("!"):
            winner = f"{source}:{line} '{rule}' un-ignores it" if rule else "no rule ignores it"
            raise EnvsyncError(
                f"{path}: holds the password and git would not ignore it even with the line "
                f"envsync adds to {IGNORE_FILE}: {winner}; remove that rule, or ignore the "
                "file there"
            )


def _nested_ignore_files(paths: list[str]) -> list[str]:
    """The ``.gitignore`` files below the root that git reads for ``paths``."""
    nested = {
        str(PurePosixPath(*PurePosixPath(path).parts[:depth]) / IGNORE_FILE)
        for path in paths
        for depth in range(1, len(PurePosixPath(path).parts))
    }
    return sorted(nested)


def tracked(project_dir: Path, paths: Iterable[str]) -> set[str]:
    """The ``paths`` git already tracks (none outside a repository). An ignore line would not
    untrack them: whether a tracked file may hold the password is the leak check's question."""
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return set()
    return _listed_names(git_listing.start(project_dir, ("ls-files", "-z", "--", *wanted)))


def _listed_names(started: subprocess.Popen[bytes] | None) -> set[str]:
    """The names a started ``git ls-files -z`` printed; none when it failed (outside a
    repository, or without git)."""
    if started is None:
        return set()
    output, _ = started.communicate()
    if started.returncode != 0:
        return set()
    return {name for name in output.decode().split("\0") if name}


def refuse_tracked(project_dir: Path, password_files: Iterable[str]) -> None:
    """With ``secret_storage: local``, a password file git tracks gets no new password: the
    next commit would publish it. The fix keeps the file and stops tracking it."""
    tracked_files = sorted(tracked(project_dir, password_files))
    if tracked_files:
        import shlex

        names = " ".join(shlex.quote(path) for path in tracked_files)
        raise EnvsyncError(
            f"{tracked_files[0]}: git tracks it, and secret_storage: local keeps the password "
            f"out of tracked files; run `git rm --cached {names}` (the file stays), then run "
            "envsync again"
        )
