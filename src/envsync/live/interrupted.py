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

This module reads and writes only that journal: ``check`` imports it on its fast path.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envsync.drift import Finding

__all__ = ["JOURNAL", "Pending", "begin", "checkpoint", "end", "finding", "pending"]

JOURNAL = ".envsync/live-change"
#: ``JOURNAL.KEY``: a new secret value until the change is finished.
_VALUE_PREFIX = f"{JOURNAL}."
_CHECK_CACHE = ".envsync/check-cache"
#: Tests pause a run at a named step (then kill it) through this variable.
PAUSE_VARIABLE = "ENVSYNC_PAUSE_AT"


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
            f'"{key}=$(cat {_VALUE_PREFIX}{key})"' if key in self.kept_values else f"{key}=..."
            for key in self.keys
        )


def begin(
    project_dir: Path, keys: Sequence[str], secret_values: Mapping[str, str], kept_in: Sequence[str]
) -> None:
    """Record the change, and keep its new secret values, before the database hears of it (the
    directory exists: ``state_dir``)."""
    salt = secrets.token_hex(16)
    record = {
        "keys": list(keys),
        "salt": salt,
        "sha256": {
            key: hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()
            for key, value in secret_values.items()
        },
        "kept_in": list(kept_in),
        "started": int(time.time()),
    }
    path = project_dir / JOURNAL
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    # A clean check remembered before this change must not answer "in sync" during it.
    (project_dir / _CHECK_CACHE).unlink(missing_ok=True)
    for key, value in secret_values.items():
        _write_private(project_dir / f"{_VALUE_PREFIX}{key}", value)


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # a file left by an earlier run keeps its own mode
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def end(project_dir: Path) -> None:
    """The change is finished (or nothing was changed): forget it, then its kept values."""
    (project_dir / JOURNAL).unlink(missing_ok=True)
    for path in (project_dir / JOURNAL).parent.glob(f"{Path(JOURNAL).name}.*"):
        path.unlink(missing_ok=True)


def pending(project_dir: Path) -> Pending | None:
    try:
        record = json.loads((project_dir / JOURNAL).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError):  # there, but unreadable or cut short: still unfinished
        record = {}
    if not isinstance(record, dict):
        record = {}
    keys = tuple(str(key) for key in record.get("keys") or ["db_password"])
    kept = tuple(key for key in keys if (project_dir / f"{_VALUE_PREFIX}{key}").is_file())
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


def checkpoint(step: str) -> None:
    """Stop here for good when a test asks to (it then kills the process at this step)."""
    if os.environ.get(PAUSE_VARIABLE) == step:
        sys.stderr.write(f"paused at {step}\n")
        sys.stderr.flush()
        while True:
            time.sleep(3600)
