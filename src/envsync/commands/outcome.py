"""What a command hands the CLI: the lines to print and the exit code, and the lines every
writing command prints the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envsync import file_modes
from envsync.plan import Change, Plan


@dataclass(frozen=True)
class Outcome:
    """Lines for stdout and stderr, and the exit code (0 ok, 1 drift or a problem, 2 bad
    input)."""

    code: int = 0
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)


def describe(change: Change, *, done: bool = True) -> str:
    verb = "create" if change.old is None else "update"
    verb = verb + "d" if done else f"would {verb}"
    keys = ", ".join(f.key for f in change.findings if f.key != "file")
    return f"{verb} {change.path}" + (f" ({keys})" if keys else "")


def secrets_written(written: Plan) -> dict[str, list[str]]:
    """The secret facts each change of ``written`` newly wrote, by file: spelled in its new text
    and in no spelling in its old one. A port change rewrites a file that holds the password
    without writing the password."""
    from envsync.redact import secret_spellings  # only writing commands need the spellings

    facts = written.facts
    spellings = {
        name: secret_spellings([facts.values[name]])
        for name in sorted(facts.secret)
        if facts.values.get(name)
    }
    found: dict[str, list[str]] = {}
    for change in written.changes:
        old = change.old or ""
        names = [
            name
            for name, spelled in spellings.items()
            if any(s in change.new for s in spelled) and not any(s in old for s in spelled)
        ]
        if change.private and names:
            found[change.path] = names
    return found


def mode_note(project_dir: Path, written: Plan) -> list[str]:
    """The files this run wrote a secret into that other users can read, with the chmod: said
    when it is news, never for a rewrite that left the secret as it was."""
    holding = {
        path: " and ".join("the database password" if n == "db_password" else n for n in names)
        for path, names in secrets_written(written).items()
    }
    note = file_modes.note(project_dir, holding)
    return [f"note: {note}"] if note else []
