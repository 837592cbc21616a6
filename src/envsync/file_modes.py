"""Saying when files that hold the password can be read by other users.

envsync keeps a file's mode when it writes (the user chose it), so a password written into an
existing 0644 file is readable by every local user; the user hears it once per run, with the
command that fixes it: when the run wrote a secret there, not on every rewrite.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

_READABLE_BY_OTHERS = stat.S_IRGRP | stat.S_IROTH


def readable_by_others(project_dir: Path, paths: Iterable[str]) -> list[str]:
    """The project-relative ``paths`` whose file (a symlink's target) others may read."""
    readable = []
    for path in dict.fromkeys(paths):
        try:
            mode = os.stat(project_dir / path).st_mode
        except OSError:
            continue  # a missing file holds nothing
        if mode & _READABLE_BY_OTHERS:
            readable.append(path)
    return readable


def note(project_dir: Path, holding: Mapping[str, str]) -> str | None:
    """One line naming the files of ``holding`` (path -> what it holds, "the database
    password") that others can read, or None."""
    readable = readable_by_others(project_dir, holding)
    if not readable:
        return None
    names = " ".join(shlex.quote(path) for path in readable)
    holds, them = ("holds", "it") if len(readable) == 1 else ("hold", "them")
    what = {holding[path] for path in readable}
    if len(what) == 1:
        files = f"{', '.join(readable)} {holds} {what.pop()}"
    else:
        files = ", ".join(f"{path} ({holding[path]})" for path in readable) + " hold secrets"
    return (
        f"{files} and other users can read {them}; envsync kept the mode: to restrict it, run "
        f"`chmod go-rwx {names}`"
    )
