"""``envsync render [--dry-run] [--diff]``: the plan, applied (or only shown)."""

from __future__ import annotations

from pathlib import Path

from envsync import copies, diff, file_io, local_secret, secret_history
from envsync.apply import apply
from envsync.commands.check import SECRETS_HINT
from envsync.commands.outcome import Outcome, describe, mode_note
from envsync.drift import MASK
from envsync.plan import Change, load_plan


def run(project_dir: Path, *, dry_run: bool, show_diff: bool, show_secrets: bool) -> Outcome:
    out: list[str] = []
    with file_io.project_lock(project_dir):
        plan = load_plan(project_dir)
        if show_diff:
            text = diff.diff(plan, show_secrets=show_secrets)
            out += text.splitlines()
            if MASK in text:
                out.append(SECRETS_HINT)
        if not dry_run:
            apply(project_dir, plan.changes)
            secret_history.record(project_dir, copies.secret_values(plan.facts))
    out += [describe(change, done=not dry_run) for change in plan.changes]
    if not plan.changes:
        out.append("all files in sync")
    if not dry_run:
        if _new_local_password(plan.changes):
            out.append(local_secret.NEW_PASSWORD_NOTE)
        out += mode_note(project_dir, plan)
    return Outcome(0, out)


def _new_local_password(changes: tuple[Change, ...]) -> bool:
    """Whether the run wrote the password into a new (or emptied) local .env."""
    return any(
        change.path == local_secret.LOCAL_FILE and any(f.found is None for f in change.findings)
        for change in changes
    )
