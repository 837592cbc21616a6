"""What ``envsync adopt`` prints: the table of facts by place when places disagree, and the
report of what it wrote."""

from __future__ import annotations

from envsync import text_table
from envsync.adopt import LOGIN_FACTS, Outcome
from envsync.answers import ANSWERS_FILE
from envsync.colour import paint
from envsync.drift import MASK, Finding


def _shown(name: str, value: str, show_secrets: bool) -> str:
    return MASK if "password" in name and not show_secrets else value


_STYLES = {
    ("vs reference", "reference"): "bold",
    ("vs reference", "same"): "green",
    ("vs reference", "differs"): "red",
    ("logs in", "yes"): "green",
    ("logs in", "no"): "red",
}


def table(
    outcome: Outcome, *, show_secrets: bool, width: int | None = None, colour: bool = False
) -> list[str]:
    """Facts by place: each place's value (secrets masked), compared with the fact's reference
    place (the one --prefer names, else the first found), and whether its login works. With a
    terminal's ``width``, the place column wraps to fit."""
    rows: list[list[str]] = []
    for name in outcome.facts:
        holders = [f for f in outcome.found.found if name in f.values]
        reference = outcome.reference.get(name)
        for index, f in enumerate(holders):
            value = f.values[name]
            compared = ""
            if reference is not None:
                same = value == reference.values[name]
                compared = "reference" if f is reference else "same" if same else "differs"
            note = ""
            if not f.counts:
                note = "example, not compared" if f.place and f.place.example else "unused"
            login = ""
            if name in LOGIN_FACTS and f.label in outcome.logins:
                login = "yes" if outcome.logins[f.label] else "no"
            shown = _shown(name, value, show_secrets)
            rows.append([name if index == 0 else "", f.label, shown, compared, login, note])
    header = ["fact", "place", "value", "vs reference", "logs in", "note"]
    # A column nothing fills (no server probed, no example file) is left out.
    keep = [i for i in range(len(header)) if i < 4 or any(row[i] for row in rows)]
    kept_header = [header[i] for i in keep]

    def painted(column: int, text: str) -> str:
        if column < 0:
            return paint(text, "bold", on=colour)
        style = _STYLES.get((kept_header[column], text))
        return paint(text, style, on=colour) if style else text

    lines = text_table.lines(
        kept_header,
        [[row[i] for i in keep] for row in rows],
        width=width,
        wrap=1,
        paint=painted,
    )
    lines.append(
        "vs reference: each value against the fact's reference place (the one --prefer "
        "names, else the first found)"
    )
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
    for other in outcome.found.others:
        own = sum(p.database == other.service for p in places)
        lines.append(
            f"database {other.service}: a database of its own ([database.{other.service}] in "
            f"the map, {own} places); change it with `envsync set {other.service}.db_password=...`"
        )
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
