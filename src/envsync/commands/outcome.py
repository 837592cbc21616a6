"""What a command hands the CLI: the lines to print and the exit code, and the lines every
writing command prints the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envsync import file_modes
from envsync.plan import Change, Plan, password_files


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


def mode_note(project_dir: Path, written: Plan) -> list[str]:
    """The files the run wrote the password into that other users can read, with the chmod."""
    note = file_modes.note(project_dir, password_files(written))
    return [f"note: {note}"] if note else []
