"""The one writer: every Change of a plan, all or nothing.

Each file is checked before the first write, so a read-only file or a dangling link stops the run
with every file as it was; the writes run in ``file_io.all_or_nothing``, which puts back every file
already written when a later one fails. A file that holds a secret is created readable by its
owner only; an existing file keeps its mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from envsync import file_io
from envsync.plan import Change

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644


def check_writable(project_dir: Path, changes: Sequence[Change]) -> None:
    """Refuse before the first write, so one read-only file leaves every file as it was."""
    for change in changes:
        file_io.check_writable(project_dir, change.path)


def apply(project_dir: Path, changes: Sequence[Change]) -> None:
    check_writable(project_dir, changes)
    with file_io.all_or_nothing(project_dir, [change.path for change in changes]):
        for change in changes:
            file_io.write(
                project_dir,
                change.path,
                change.new,
                bom=change.bom,
                new_mode=PRIVATE_MODE if change.private else PUBLIC_MODE,
            )
