"""What ``envsync adopt`` prints: the table of facts by place when places disagree, and the
report of what it wrote."""

from __future__ import annotations

from envsync.adopt import LOGIN_FACTS, Outcome
from envsync.answers import ANSWERS_FILE
from envsync.drift import MASK, Finding


def _shown(name: str, value: str, show_secrets: bool) -> str:
    return MASK if "password" in name and not show_secrets else value


def table(outcome: Outcome, *, show_secrets: bool) -> list[str]:
    """Facts by place: each place's value (secrets masked), marked same or differs."""
    rows: list[list[str]] = [["fact", "place", "value", ""]]
    for name in outcome.facts:
        holders = [f for f in outcome.found.found if name in f.values]
        if not holders:
            continue
        reference = outcome.reference.get(name)
        for index, f in enumerate(holders):
            value = f.values[name]
            mark = ""
            if reference is not None and f is not reference:
                mark = "same" if value == reference.values[name] else "differs"
            if not f.counts:
                mark += " (example, not compared)" if f.place and f.place.example else " (unused)"
            if name in LOGIN_FACTS and f.label in outcome.logins:
                login = "logs in: " + ("yes" if outcome.logins[f.label] else "no")
                mark = f"{mark}  {login}" if mark else login
            rows.append(
                [name if index == 0 else "", f.label, _shown(name, value, show_secrets), mark]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + ("  " + row[3] if row[3] else "")
        for row in rows
    ]
    if outcome.probed is not None:
        lines += [
            f"logs in: a read-only login to the server on {outcome.probed} with each place's "
            "user, password and database",
            "compose's POSTGRES_* apply only to a fresh volume: a database initialised "
            "earlier keeps its first credentials, so the place that logs in is usually the truth",
        ]
    return lines


def report(outcome: Outcome, remaining: list[Finding]) -> list[str]:
    """What the CLI prints after an adopt that wrote; ``remaining``: what ``envsync check``
    finds afterwards."""
    lines = []
    places = [f.place for f in outcome.found.found if f.place is not None]
    files = dict.fromkeys(p.file for p in places)
    lines.append(f"found {len(places)} places in {len(files)} files: {', '.join(files)}")
    for change in outcome.changes:
        verb = "created" if change.old is None else "updated"
        keys = ", ".join(f.key for f in change.findings if f.key not in ("file", "places"))
        lines.append(f"{verb} {change.path}" + (f" ({keys})" if keys else ""))
    lines.append(f"wrote {ANSWERS_FILE} (secret_storage: {outcome.storage})")
    if outcome.tracked:
        lines.append(f"the password is already in files git tracks: {', '.join(outcome.tracked)}")
    lines += [f"note: {note}" for note in outcome.notes]
    lines += [f"still differs: {f.path}: {f.key}" for f in remaining]
    lines.append("envsync check: " + ("in sync" if not remaining else "drift remains"))
    return lines


def conflict_message(outcome: Outcome) -> str:
    files = ", ".join(dict.fromkeys(f.file for f in outcome.found.found if f.counts))
    return (
        f"the places disagree on {', '.join(outcome.disagreements)}; nothing was written. "
        f"Run again with --prefer PLACE (a file, or 'FILE: KEY') naming the place that holds "
        f"the truth ({files})"
    )
