"""The order of a live change that a kill at any moment cannot turn into a silent disagreement.

1. ``.envsync/live-change`` records the change (keys and hashes, no value);
2. the git-ignored files that hold the secret (0600) get the new values, so a rotate's random
   password is kept somewhere before the database hears of it;
3. the database takes the new values (:func:`~envsync.live.rotation.change_live`); if it refuses,
   the files of step 2 are put back and the record removed: nothing was written;
4. every file is written (one all-or-nothing apply), then the record is removed. When the
   database was not changed, a failed write puts back the files of step 2 too.

A kill after step 1 leaves either a record that ``check`` reports and ``doctor`` explains, or
files that disagree with each other, which ``check`` reports as drift; running the same
``envsync set`` again finishes the change, since the database is reached over its trusted socket
(or with whichever of the old and new logins it takes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from envsync import apply, file_io, gitignore
from envsync.answers import ANSWERS_FILE, Answers
from envsync.live import change_record, project_database, rotation
from envsync.live.rotation import LiveOutcome
from envsync.plan import Change

__all__ = ["change_and_write"]


def _kept_places(project_dir: Path, changes: Sequence[Change]) -> list[Change]:
    """The changes to git-ignored, untracked files that hold a secret (0600), except the
    answers: they stay on the old values until the end, so the old login is known after a kill."""
    private = [c.path for c in changes if c.private and c.path != ANSWERS_FILE]
    kept = set(private) - set(gitignore.unignored(project_dir, private))
    kept -= gitignore.tracked(project_dir, kept)
    return [c for c in changes if c.path in kept]


def change_and_write(
    project_dir: Path,
    old: Answers | None,
    new: Answers,
    changes: Sequence[Change],
    *,
    keys: Sequence[str],
    secret_values: dict[str, str],
    files_only: bool,
) -> LiveOutcome:
    """Change this project's running database, then write ``changes``, in the order above."""
    kept = _kept_places(project_dir, changes)
    project_database.state_dir(project_dir)
    change_record.begin(project_dir, keys, secret_values, [c.path for c in kept])
    changed = False
    try:
        with file_io.all_or_nothing(project_dir, [c.path for c in kept]):
            apply.apply(project_dir, kept)
            change_record.checkpoint("before-database")
            live = rotation.change_live(project_dir, old, new, files_only=files_only)
            changed = live.changed
            change_record.checkpoint("after-database")
            if not changed:
                apply.apply(project_dir, changes)  # a failure puts every file back
        if changed:
            # The database holds the new values now: should a write fail, the record stays and
            # `check` reports the change as unfinished.
            apply.apply(project_dir, changes)
    except Exception:
        if not changed:
            change_record.end(project_dir)  # the database was not changed, or was put back
        raise
    change_record.end(project_dir)
    return live
