"""``envsync render [--dry-run] [--diff]``: the plan, applied, or only shown (exit 1 when
something would change)."""

from __future__ import annotations

from pathlib import Path

from envsync import copies, diff, file_io, local_secret, secret_history
from envsync.apply import apply
from envsync.colour import paint
from envsync.commands.check import SECRETS_HINT
from envsync.commands.outcome import Outcome, describe, mode_note, secrets_written
from envsync.drift import MASK
from envsync.plan import Plan, load_plan


def run(
    project_dir: Path,
    *,
    dry_run: bool,
    show_diff: bool,
    show_secrets: bool,
    quiet: bool = False,
    colour: bool = False,
) -> Outcome:
    """Write the repairs; with ``dry_run`` or ``show_diff``, a preview that writes nothing and
    exits 1 when something would change (cog's ``--check``, ``git diff --exit-code``).
    ``quiet``: a preview prints only the diff or the files, a write nothing."""
    preview = dry_run or show_diff
    diff_lines: list[str] = []
    with file_io.project_lock(project_dir):
        plan = load_plan(project_dir)
        if show_diff:
            text = diff.diff(plan, show_secrets=show_secrets)
            diff_lines = [_painted(line, colour) for line in text.splitlines()]
        if not preview:
            apply(project_dir, plan.changes)
            secret_history.record(project_dir, copies.secret_values(plan.facts))
    changed = [describe(change, done=not preview) for change in plan.changes]
    if quiet:
        # A hook's output: what would change (the diff, else the files), nothing after a write.
        shown = (diff_lines or changed) if preview else []
        return Outcome(1 if preview and plan.changes else 0, shown)
    out = diff_lines + ([SECRETS_HINT] if any(MASK in line for line in diff_lines) else [])
    out += changed
    if not plan.changes:
        return Outcome(0, [*out, "all files in sync"])
    if preview:
        return Outcome(1, [*out, "nothing was written; `envsync render` writes these changes"])
    return Outcome(0, out + new_password_note(plan) + mode_note(project_dir, plan))


_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def _painted(line: str, colour: bool) -> str:
    """A diff line coloured as git colours it."""
    style = next((style for start, style in _DIFF_STYLES if line.startswith(start)), None)
    return paint(line, style, on=colour) if style else line


def new_password_note(written: Plan) -> list[str]:
    """With secret_storage: local, the files this run wrote the database password into (a
    fresh clone's new one, or one recovered from another git-ignored file)."""
    if written.facts.answers.secret_storage != local_secret.LOCAL:
        return []
    files = [path for path, names in secrets_written(written).items() if "db_password" in names]
    if not files:
        return []
    holds = "holds" if len(files) == 1 else "hold"
    return [
        f"{', '.join(files)} {holds} the database password (secret_storage: local, "
        "git-ignored); a database volume created before keeps its first password: if it "
        "refuses this one, run `envsync doctor`"
    ]
