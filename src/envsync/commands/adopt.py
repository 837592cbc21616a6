"""``envsync adopt``: discover, decide, write through the one plan; or, with ``--update``, add
the places the map lacks."""

from __future__ import annotations

from pathlib import Path

from envsync import adopt as adopt_module
from envsync import adopt_report, file_io
from envsync.commands import check
from envsync.commands.check import SECRETS_HINT
from envsync.commands.outcome import Outcome, mode_note
from envsync.drift import MASK


def run(
    project_dir: Path,
    options: adopt_module.Options,
    *,
    show_secrets: bool,
    width: int | None = None,
    colour: bool = False,
) -> Outcome:
    """``width``: the terminal's, for the table; None when the output is piped."""
    with file_io.project_lock(project_dir):
        outcome = adopt_module.adopt(project_dir, options)
        # What check finds now, not what the plan meant to repair: a place repaired through a
        # reference reads right though its own file did not change.
        remaining = [] if outcome.conflict else check.findings(project_dir)[0]
    out: list[str] = []
    if outcome.conflict or options.prefer is not None:
        table = adopt_report.table(outcome, show_secrets=show_secrets, width=width, colour=colour)
        out += table
        if any(MASK in line for line in table):
            out.append(SECRETS_HINT)
    if outcome.conflict:
        return Outcome(1, [*out, adopt_report.conflict_message(outcome)])
    if outcome.planned is not None:
        out += mode_note(project_dir, outcome.planned)
    return Outcome(0, out + adopt_report.report(outcome, remaining))


def update(project_dir: Path, options: adopt_module.Options) -> Outcome:
    from envsync import adopt_update

    with file_io.project_lock(project_dir):
        added = adopt_update.update(project_dir, options)
    out = [f"added to envsync.toml: {place.where()}" for place in added]
    out.append(
        "run `envsync check`: `envsync render` repairs a new place whose value differs"
        if added
        else "envsync.toml already names every place discovery finds"
    )
    return Outcome(0, out)
