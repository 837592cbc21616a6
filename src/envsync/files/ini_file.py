"""backend/alembic.ini: envsync owns ``[alembic] sqlalchemy.url``; every other line is the user's.

Alembic reads the file with ``configparser`` and interpolation on: ``%(here)s`` is the file's
directory and every other ``%`` must be doubled.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from envsync import database_url
from envsync.drift import Finding, url_findings
from envsync.errors import FormatError

SECTION = "alembic"
KEY = "sqlalchemy.url"
FINDING_KEY = f"[{SECTION}] {KEY}"

_SECTION = re.compile(r"\[(?P<name>[^\]]+)\]")
_OPTION = re.compile(
    r"(?P<lead>(?P<key>[^=:\s][^=:]*?)\s*[=:][^\S\r\n]*)(?P<value>.*?)(?P<end>\r?\n?)\Z", re.S
)


def quote(value: str) -> str:
    """``value`` as configparser's interpolation reads it back."""
    return value.replace("%", "%%")


def read_url(text: str, *, path: Path | str, here: Path) -> str | None:
    """``sqlalchemy.url`` as Alembic's ``Config`` sees it (``%(here)s`` expanded)."""
    parser = configparser.ConfigParser(defaults={"here": str(here)})
    try:
        parser.read_string(text, source=str(path))
        if not parser.has_option(SECTION, KEY):
            return None
        return parser.get(SECTION, KEY)
    except configparser.InterpolationError as error:
        # configparser quotes the rest of the value, which holds the password: say what is
        # wrong and where, never the value.
        index = _url_line(text.splitlines(keepends=True))[0]
        raise FormatError(
            path=path,
            line=None if index is None else index + 1,
            message=f"{FINDING_KEY}: cannot be read by Alembic: {_interpolation_problem(error)}",
        ) from None
    except configparser.Error as error:
        message = str(error).splitlines()[0]
        line = getattr(error, "lineno", None)
        raise FormatError(
            path=path, line=line, message=f"cannot be read by Alembic: {message}"
        ) from None


def _interpolation_problem(error: configparser.InterpolationError) -> str:
    if isinstance(error, configparser.InterpolationMissingOptionError):
        return "a %(name)s reference names no option; write a literal '%' as '%%'"
    if isinstance(error, configparser.InterpolationDepthError):
        return "%(name)s references nest too deeply"
    return "a '%' is neither '%%' nor a %(name)s reference; write a literal '%' as '%%'"


def _url_line(lines: list[str]) -> tuple[int | None, int, int | None]:
    """(index of the ``sqlalchemy.url`` line, number of continuation lines, index of the
    last line of ``[alembic]``): positions found the way configparser finds them."""
    section: str | None = None
    found: int | None = None
    continuation = 0
    last_in_section: int | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        header = _SECTION.fullmatch(stripped)
        if header and not line[:1].isspace():
            section = header["name"]
            if section == SECTION:
                last_in_section = index
            continue
        if section != SECTION:
            continue
        if (
            found is not None
            and index == found + continuation + 1
            and line[:1].isspace()
            and stripped
        ):
            continuation += 1
            last_in_section = index
            continue
        if not stripped or stripped.startswith(("#", ";")):
            continue
        last_in_section = index
        option = _OPTION.match(line)
        if option and not line[:1].isspace() and option["key"].strip().lower() == KEY:
            found, continuation = index, 0
    return found, continuation, last_in_section


def sync(
    current: str | None, target: str, *, path: Path | str, here: Path
) -> tuple[str, list[Finding]]:
    """The file with ``sqlalchemy.url`` taken from ``target``; the rest of ``current`` kept."""
    name = str(path)
    wanted = read_url(target, path=path, here=here)
    if current is None:
        return target, [Finding(name, "file", "present", None)]
    found = read_url(current, path=path, here=here)
    findings = url_findings(name, FINDING_KEY, wanted, found)
    if not findings:
        return current, []
    assert wanted is not None
    spelled = quote(database_url.with_query_of(wanted, found))
    lines = current.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in current else "\n"
    index, continuation, last = _url_line(lines)
    if index is not None:
        option = _OPTION.match(lines[index])
        assert option is not None
        end = option["end"] or (newline if continuation else "")
        lines[index : index + 1 + continuation] = [option["lead"] + spelled + end]
    elif last is not None:
        if not lines[last].endswith("\n"):
            lines[last] += newline
        lines.insert(last + 1, f"{KEY} = {spelled}{newline}")
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += newline
        lines.append(f"[{SECTION}]{newline}{KEY} = {spelled}{newline}")
    return "".join(lines), findings
