"""A marked section of a Markdown file (CLAUDE.md, AGENTS.md): a place is a labelled line
(``password: ...``) of the fenced block between ``<!-- envsync:begin NAME`` and
``<!-- envsync:end NAME``. The prose around the lines is the template's or the user's; envsync
compares and writes only the labelled values, so its wording may change between versions.

Markers are strict, as in cog: a missing, repeated or misordered marker is an error naming the
line, never a guess. Markers inside a fenced code block are examples, not markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from envsync.errors import OwnershipError
from envsync.formats import Context, Reading, Unreferenced

BEGIN = "<!-- envsync:begin "
END = "<!-- envsync:end "
DEFAULT_SECTION = "credentials"
FIELD_SEPARATOR = ": "
_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
_LOCATOR = re.compile(r"(?:(?P<section>[\w-]+)/)?(?P<label>.+)")


@dataclass(frozen=True)
class Section:
    start: int  # index of the begin-marker line
    stop: int  # index of the end-marker line


def split_locator(locator: str) -> tuple[str, str]:
    """``password`` or ``credentials/password`` -> (section, label)."""
    match = _LOCATOR.fullmatch(locator)
    assert match is not None
    return match["section"] or DEFAULT_SECTION, match["label"]


def _marker_lines(lines: list[str], marker: str) -> list[int]:
    """Lines that hold ``marker`` outside fenced code blocks (which show examples)."""
    found = []
    fence: str | None = None
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if opening:
            run = opening.group(1)
            if fence is None:
                fence = run
            elif run[0] == fence[0] and len(run) >= len(fence) and not line.strip()[len(run) :]:
                fence = None
            continue
        if fence is None and line.lstrip().startswith(marker):
            found.append(index)
    return found


def locate(lines: list[str], path: str, name: str = DEFAULT_SECTION) -> Section | None:
    begins = _marker_lines(lines, f"{BEGIN}{name}")
    ends = _marker_lines(lines, f"{END}{name}")
    if not begins and not ends:
        return None
    for kind, found in (("begin", begins), ("end", ends)):
        if len(found) > 1:
            raise OwnershipError(
                path=path,
                line=found[1] + 1,
                message=f"second envsync {kind} marker; keep exactly one",
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
    return Section(begins[0], ends[0])


class MarkdownDocument(Unreferenced):
    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.path = context.path
        self.lines = text.splitlines(keepends=True)

    def _section(self, name: str) -> Section:
        found = locate(self.lines, self.path, name)
        if found is None:
            raise OwnershipError(
                path=self.path,
                message=f"has no envsync {name} markers; run `envsync adopt` to add the section",
            )
        return found

    def _field_line(self, section: Section, label: str) -> int | None:
        """The line ``label: value`` inside the section's fenced block."""
        inside = False
        for index in range(section.start + 1, section.stop):
            text = self.lines[index].rstrip("\r\n")
            if _FENCE.match(text):
                if inside:
                    return None
                inside = True
                continue
            if inside and text.partition(FIELD_SEPARATOR)[0].strip() == label:
                return index
        return None

    def read(self, locator: str) -> Reading:
        name, label = split_locator(locator)
        section = self._section(name)
        index = self._field_line(section, label)
        if index is None:
            return Reading(None)
        value = self.lines[index].rstrip("\r\n").partition(FIELD_SEPARATOR)[2]
        return Reading(value, value, index + 1)

    def escape(self, value: str) -> str:
        return value  # a fenced block is literal for every value

    def write(self, locator: str, source: str | tuple[str, ...]) -> str:
        assert isinstance(source, str)
        name, label = split_locator(locator)
        section = self._section(name)
        lines = list(self.lines)
        newline = "\r\n" if "\r\n" in self.text else "\n"
        index = self._field_line(section, label)
        if index is not None:
            line = lines[index]
            body = line.rstrip("\r\n")
            prefix = body.partition(FIELD_SEPARATOR)[0]
            lines[index] = f"{prefix}{FIELD_SEPARATOR}{source}{line[len(body) :]}"
            return "".join(lines)
        closing = self._closing_fence(section)
        entry = f"{label}{FIELD_SEPARATOR}{source}{newline}"
        if closing is None:
            lines.insert(section.stop, f"```text{newline}{entry}```{newline}")
        else:
            lines.insert(closing, entry)
        return "".join(lines)

    def _closing_fence(self, section: Section) -> int | None:
        fences = [
            index
            for index in range(section.start + 1, section.stop)
            if _FENCE.match(self.lines[index])
        ]
        return fences[1] if len(fences) > 1 else None
