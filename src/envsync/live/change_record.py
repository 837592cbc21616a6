"""Writes the record of a live change that :mod:`envsync.live.interrupted` reads: begun before
the database hears of the change, with its new secret values kept beside it, ended once every
file is written; and the steps at which a test may stop a run to kill it."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from envsync.live.interrupted import JOURNAL, VALUE_PREFIX

__all__ = ["PAUSE_VARIABLE", "begin", "checkpoint", "end"]

_CHECK_CACHE = ".envsync/check-cache"
#: Tests pause a run at a named step (then kill it) through this variable.
PAUSE_VARIABLE = "ENVSYNC_PAUSE_AT"


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
        _write_private(project_dir / f"{VALUE_PREFIX}{key}", value)


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


def checkpoint(step: str) -> None:
    """Stop here for good when a test asks to (it then kills the process at this step)."""
    if os.environ.get(PAUSE_VARIABLE) == step:
        sys.stderr.write(f"paused at {step}\n")
        sys.stderr.flush()
        while True:
            time.sleep(3600)
