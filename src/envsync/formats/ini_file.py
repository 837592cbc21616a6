"""INI files read by configparser with interpolation on, as Alembic reads ``alembic.ini``: a place
is ``[section] key``; ``%(here)s`` is the file's directory and every other ``%`` is doubled.

Lines are found the way configparser finds them: a key may be indented, a header may carry a
comment (``[alembic] ; main``), a value may continue on indented lines, even after a blank line.
"""

from __future__ import annotations

import configparser
import re
from pathlib import PurePosixPath

from envsync.errors import FormatError
from envsync.formats import Context, Reading, Unreferenced

_LOCATOR = re.compile(r"\[(?P<section>[^\]]+)\]\s*(?P<key>.+)")
_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(
    r"(?P<lead>[^\S\r\n]*(?P<key>[^=:\s][^=:]*?)\s*[=:][^\S\r\n]*)(?P<value>.*?)\s*\Z", re.S
)
_COMMENTS = ("#", ";")


def quote(value: str) -> str:
    """``value`` as configparser's interpolation reads it back."""
    return value.replace("%", "%%")


def split_locator(locator: str) -> tuple[str, str]:
    match = _LOCATOR.fullmatch(locator.strip())
    if match is None:
        raise ValueError(f"an ini locator is '[section] key', not {locator!r}")
    return match["section"].strip(), match["key"].strip()


def _interpolation_problem(error: configparser.InterpolationError) -> str:
    if isinstance(error, configparser.InterpolationMissingOptionError):
        return "a %(name)s reference names no option; write a literal '%' as '%%'"
    if isinstance(error, configparser.InterpolationDepthError):
        return "%(name)s references nest too deeply"
    return "a '%' is neither '%%' nor a %(name)s reference; write a literal '%' as '%%'"


def _error_message(error: configparser.Error) -> str:
    """What configparser objects to, without the value it quotes (it may hold a password)."""
    if isinstance(error, configparser.DuplicateOptionError):
        return (
            f"cannot be read by Alembic: option {error.option!r} appears twice in [{error.section}]"
        )
    if isinstance(error, configparser.DuplicateSectionError):
        return f"cannot be read by Alembic: section [{error.section}] appears twice"
    if isinstance(error, configparser.MissingSectionHeaderError):
        return "cannot be read by Alembic: text before the first [section] header"
    return f"cannot be read by Alembic: {type(error).__name__}"


class IniDocument(Unreferenced):
    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.path = context.path
        here = (context.project_dir / PurePosixPath(context.path)).parent.absolute()
        self.parser = configparser.ConfigParser(defaults={"here": str(here)})
        try:
            self.parser.read_string(text, source=str(context.path))
        except configparser.Error as error:
            line = getattr(error, "lineno", None)
            raise FormatError(path=self.path, line=line, message=_error_message(error)) from None

    def read(self, locator: str) -> Reading:
        section, key = split_locator(locator)
        if not self.parser.has_option(section, key):
            return Reading(None)
        span = _option_lines(self.text.splitlines(keepends=True), section, key)
        try:
            value = self.parser.get(section, key)
        except configparser.InterpolationError as error:
            # configparser's message quotes the rest of the value: a password, maybe.
            raise FormatError(
                path=self.path,
                line=span[0] + 1 if span else None,
                message=f"{locator}: cannot be read by Alembic: {_interpolation_problem(error)}",
            ) from None
        raw = self.parser.get(section, key, raw=True)
        return Reading(value, raw, span[0] + 1 if span else None)

    def escape(self, value: str) -> str:
        return quote(value)

    def write(self, locator: str, source: str | tuple[str, ...]) -> str:
        assert isinstance(source, str)
        section, key = split_locator(locator)
        lines = self.text.splitlines(keepends=True)
        newline = "\r\n" if "\r\n" in self.text else "\n"
        span = _option_lines(lines, section, key)
        if span is not None:
            first, last = span
            option = _OPTION.match(lines[first].rstrip("\r\n"))
            assert option is not None
            lead = option["lead"]
            if not lead[-1:].isspace():
                lead += " "  # `key =` with no value: keep the usual one space
            end = lines[last][len(lines[last].rstrip("\r\n")) :] or (
                newline if last > first else ""
            )
            lines[first : last + 1] = [lead + source + end]
            return "".join(lines)
        header, last_line = _section_lines(lines, section)
        entry = f"{key} = {source}{newline}"
        if header is None:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += newline
            lines.append(f"[{section}]{newline}{entry}")
        else:
            if not lines[last_line].endswith("\n"):
                lines[last_line] += newline
            lines.insert(last_line + 1, entry)
        return "".join(lines)


def _scan(lines: list[str]) -> list[tuple[int, str | None, str | None]]:
    """(line index, section, option) of every line that belongs to an option, as configparser
    assigns it; blank and comment lines inside a value are not kept as part of the option."""
    result: list[tuple[int, str | None, str | None]] = []
    section: str | None = None
    option: str | None = None
    indent_level = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(_COMMENTS):
            continue
        current_indent = len(line) - len(line.lstrip())
        if section is not None and option is not None and current_indent > indent_level:
            result.append((index, section, option))
            continue
        indent_level = current_indent
        header = _SECTION.match(stripped)
        if header:
            section, option = header["header"], None
            result.append((index, section, None))
            continue
        match = _OPTION.match(stripped)
        if match and section is not None:
            option = match["key"].strip().lower()
            result.append((index, section, option))
    return result


def _option_lines(lines: list[str], section: str, key: str) -> tuple[int, int] | None:
    """First and last line of ``key`` in ``section`` (the last definition, as configparser's
    strict mode refuses a repeated one anyway)."""
    wanted = key.lower()
    owned = [index for index, sect, opt in _scan(lines) if sect == section and opt == wanted]
    if not owned:
        return None
    first = owned[0]
    return first, owned[-1]


def _section_lines(lines: list[str], section: str) -> tuple[int | None, int]:
    header: int | None = None
    last = len(lines) - 1
    for index, sect, _ in _scan(lines):
        if sect == section:
            header = index if header is None else header
            last = index
    return header, last
