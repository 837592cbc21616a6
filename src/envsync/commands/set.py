"""``envsync set KEY=VALUE...`` and ``envsync rotate``: the running database first, then every
file through the one plan."""

from __future__ import annotations

from pathlib import Path

from envsync import file_io
from envsync.answers import random_password
from envsync.commands.outcome import Outcome, describe, mode_note
from envsync.settings import set_facts


def run(
    project_dir: Path, assignments: list[str], *, files_only: bool, quiet: bool = False
) -> Outcome:
    """``quiet``: nothing on success (errors still go to stderr), for scripts and hooks."""
    with file_io.project_lock(project_dir):
        plan, live = set_facts(project_dir, assignments, files_only=files_only)
    if quiet:
        return Outcome(0)
    out = [live.message] if live.message else []
    out += [describe(change) for change in plan.changes]
    return Outcome(0, out + mode_note(project_dir, plan))


def rotate(
    project_dir: Path, *, files_only: bool, quiet: bool = False, database: str | None = None
) -> Outcome:
    key = f"{database}.db_password" if database else "db_password"
    return run(project_dir, [f"{key}={random_password()}"], files_only=files_only, quiet=quiet)
