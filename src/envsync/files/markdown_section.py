"""CLAUDE.md: envsync owns the lines from its begin marker to its end marker, nothing else.

Markers are strict, as in cog: a missing, repeated or misordered marker is an error naming the
line, never a guess, so a section can never be duplicated or swallow the user's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsync.drift import Finding
from envsync.errors import OwnershipError

BEGIN = "<!-- envsync:begin credentials"
END = "<!-- envsync:end credentials"
FINDING_KEY = "credentials section"
FIELD_SEPARATOR = ": "
FENCE = "```"


@dataclass(frozen=True)
class Section:
    start: int  # index of the begin-marker line
    stop: int  # index just past the end-marker line


def locate(lines: list[str], path: Path | str) -> Section | None:
    begins = [i for i, line in enumerate(lines) if line.lstrip().startswith(BEGIN)]
    ends = [i for i, line in enumerate(lines) if line.lstrip().startswith(END)]
    if not begins and not ends:
        return None
    if len(begins) > 1:
        raise OwnershipError(
            path=path, line=begins[1] + 1, message="second envsync begin marker; keep exactly one"
        )
    if len(ends) > 1:
        raise OwnershipError(
            path=path, line=ends[1] + 1, message="second envsync end marker; keep exactly one"
        )
    if not begins:
        raise OwnershipError(
            path=path, line=ends[0] + 1, message="envsync end marker without a begin marker"
        )
    if not ends:
        raise OwnershipError(
            path=path, line=begins[0] + 1, message="envsync begin marker without an end marker"
        )
    if ends[0] < begins[0]:
        raise OwnershipError(
            path=path, line=ends[0] + 1, message="envsync end marker comes before the begin marker"
        )
    return Section(begins[0], ends[0] + 1)


def fields(section_lines: list[str]) -> dict[str, str]:
    """``label: value`` lines of the section's fenced block, values exactly as written."""
    result: dict[str, str] = {}
    inside = False
    for line in section_lines:
        text = line.rstrip("\r\n")
        if text.startswith(FENCE):
            if inside:
                break
            inside = True
            continue
        label, sep, value = text.partition(FIELD_SEPARATOR)
        if inside and sep:
            result.setdefault(label, value)
    return result


def _normalised(lines: list[str]) -> list[str]:
    return [line.rstrip("\r\n") for line in lines]


def sync(
    current: str | None, target: str, *, path: Path | str, secret_labels: frozenset[str]
) -> tuple[str, list[Finding]]:
    """The file with the section taken from ``target``; the text around it kept."""
    name = str(path)
    if current is None:
        return target, [Finding(name, "file", "present", None)]
    target_lines = target.splitlines(keepends=True)
    wanted = locate(target_lines, "template CLAUDE.md")
    assert wanted is not None
    wanted_lines = target_lines[wanted.start : wanted.stop]
    lines = current.splitlines(keepends=True)
    found = locate(lines, path)
    if found is None:
        raise OwnershipError(
            path=path,
            message="has no envsync credentials markers; run `envsync adopt` to add the section",
        )
    found_lines = lines[found.start : found.stop]
    if _normalised(found_lines) == _normalised(wanted_lines):
        return current, []
    want_fields, got_fields = fields(wanted_lines), fields(found_lines)
    findings = [
        Finding(
            name, f"{FINDING_KEY} ({label})", value, got_fields.get(label), label in secret_labels
        )
        for label, value in want_fields.items()
        if got_fields.get(label) != value
    ] or [Finding(name, FINDING_KEY, "as rendered", "edited by hand")]
    newline = "\r\n" if "\r\n" in current else "\n"
    replacement = [line.rstrip("\r\n") + newline for line in wanted_lines]
    if found.stop == len(lines) and not lines[-1].endswith("\n"):
        replacement[-1] = replacement[-1].rstrip("\r\n")
    lines[found.start : found.stop] = replacement
    return "".join(lines), findings
