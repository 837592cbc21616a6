"""A live change in progress, so that a kill between the database and the files is never silent.

``set`` and ``rotate`` change the running database, then write the files. A kill in between
would leave the database on the new values and every file on the old ones, which ``check`` alone
would call "in sync". So before the database hears of anything, ``.envsync/live-change`` records
the keys being set, a salted hash of each secret value (never the value) and the files that
already keep the new values; it is removed once every file is written. Each new secret value
waits beside it in a file of its own (``.envsync/live-change.KEY``, 0600, git-ignored with the
directory): a rotate's random password may go to no git-ignored file of the project, and after a
kill the database may already hold it. While the record exists, ``check`` reports it (exit 1) and
``doctor`` names the command that finishes the change: the same ``envsync set`` again, reading
each kept value from its file.

This module only reads the record: ``check`` imports it on every full check, so it stays as light
as ``drift``; :mod:`envsync.live.change_record` writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsync.drift import Finding

__all__ = ["JOURNAL", "VALUE_PREFIX", "Pending", "advice", "finding", "pending"]

JOURNAL = ".envsync/live-change"
#: ``JOURNAL.KEY``: a new secret value until the change is finished.
VALUE_PREFIX = f"{JOURNAL}."


@dataclass(frozen=True)
class Pending:
    keys: tuple[str, ...]
    #: Files that already held the new values before the database was changed.
    kept_in: tuple[str, ...]
    #: The keys whose new value waits in ``JOURNAL.KEY``.
    kept_values: tuple[str, ...] = ()

    def command(self) -> str:
        """The shell command that finishes the change (no secret in it: it reads the files)."""
        return "envsync set " + " ".join(
            f'"{key}=$(cat {VALUE_PREFIX}{key})"' if key in self.kept_values else f"{key}=..."
            for key in self.keys
        )


def pending(project_dir: Path) -> Pending | None:
    try:
        text = (project_dir / JOURNAL).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError):  # there, but unreadable or cut short: still unfinished
        text = ""
    # Imported here: every full check asks, and there is seldom a record.
    import json

    try:
        record = json.loads(text)
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        record = {}
    keys = tuple(str(key) for key in record.get("keys") or ["db_password"])
    kept = tuple(key for key in keys if (project_dir / f"{VALUE_PREFIX}{key}").is_file())
    return Pending(keys, tuple(str(name) for name in record.get("kept_in") or ()), kept)


def finding(project_dir: Path) -> Finding | None:
    """What ``check`` reports while a change is unfinished."""
    found = pending(project_dir)
    if found is None:
        return None
    return Finding(
        JOURNAL,
        f"`{found.command()}` was interrupted between the database and the files; run it again "
        "with the same values",
        "finished",
        "interrupted",
    )


def advice(found: Pending) -> str:
    """One line for ``doctor``: what happened and the one command that finishes it."""
    where = (
        f"; the new values are already in {', '.join(found.kept_in)} (after a rotate, its new "
        "password is the one there)"
        if found.kept_in
        else ""
    )
    return (
        f"a change of {', '.join(found.keys)} was interrupted between the database and the files"
        f"{where}; finish it with the same command again: `{found.command()}`"
    )
