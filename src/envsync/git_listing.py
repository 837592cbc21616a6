"""What the copy search (``copies``) asks git: the tracked files, their lines that may hold a
credential (``git grep``), where the index is, the untracked files, and the ignored ones by
directory (a virtualenv is one line).

Five commands, each a process start: they are started at once, to run side by side, and the
console script starts them before it loads the check, so that git works while Python imports
the engine. Standard library only (``os``, ``subprocess``), for that reason.
"""

from __future__ import annotations

import os
import subprocess

# What `git grep -E -i` keeps as candidate lines; copy_positions' expressions decide.
PREFILTER = ("pass", "pwd", "://[^/@[:space:]]*:[^@[:space:]]*@", "(^|[[:space:]])-p")
_GREP = ("grep", "-I", "-n", "-z", "-i", "-E", "--no-color")
_COMMANDS = (
    ("ls-files", "-z"),
    ("rev-parse", "--git-path", "index"),
    (*_GREP, *(argument for pattern in PREFILTER for argument in ("-e", pattern))),
    ("ls-files", "-z", "-o", "--exclude-standard"),
    ("ls-files", "-z", "-o", "--exclude-standard", "-i", "--directory", "--no-empty-directory"),
)


class Started:
    """The five commands, running in ``project_dir``. Where no repository is in sight, only
    the first: outside one, the other four would be four process starts only to fail."""

    def __init__(self, project_dir: str | os.PathLike[str]) -> None:
        self._project_dir = project_dir
        commands = _COMMANDS if _maybe_repository(project_dir) else _COMMANDS[:1]
        self._running = [start(project_dir, arguments) for arguments in commands]

    def finish(self) -> list[bytes | None]:
        """What each command printed (ls-files, rev-parse, grep, untracked, ignored), None
        for one that failed or could not start (all fail outside a repository)."""
        running, self._running = self._running, []
        outputs = [_output(command) for command in running]
        if outputs[0] is None:
            return [None] * len(_COMMANDS)
        # git found a repository the look-up missed (a GIT_WORK_TREE, say): ask it the rest.
        late = [start(self._project_dir, arguments) for arguments in _COMMANDS[len(outputs) :]]
        return outputs + [_output(command) for command in late]

    def close(self) -> None:
        """Stop the commands whose answers nobody will read (the check failed before)."""
        running, self._running = self._running, []
        for command in running:
            if command is not None:
                command.kill()
                command.communicate()


def _maybe_repository(project_dir: str | os.PathLike[str]) -> bool:
    """Whether git may find a repository for ``project_dir``: a ``.git`` there or above, or
    ``GIT_DIR`` set. A guess that only decides what starts at once; git's answers count."""
    if "GIT_DIR" in os.environ:
        return True
    directory = os.path.abspath(project_dir)
    while not os.path.exists(os.path.join(directory, ".git")):
        parent = os.path.dirname(directory)
        if parent == directory:
            return False
        directory = parent
    return True


def start(
    project_dir: str | os.PathLike[str], arguments: tuple[str, ...]
) -> subprocess.Popen[bytes] | None:
    """A git command that reads nothing, started (None: no git): the caller does more meanwhile."""
    try:
        return subprocess.Popen(
            ["git", "-c", "core.quotePath=false", *arguments],
            cwd=project_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _output(command: subprocess.Popen[bytes] | None) -> bytes | None:
    if command is None:
        return None
    output, _ = command.communicate()
    return output if command.returncode == 0 else None
