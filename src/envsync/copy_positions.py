"""Where a line of text may hold a credential: its password positions and its credential keys.

Only positions count, never a value anywhere on a line: a common password (``postgres``) is also
a user name, and ``POSTGRES_USER: postgres`` must not read as a copy of it. A password position
is the value of a key named like a password (``POSTGRES_PASSWORD=``, ``password:``,
``PGPASSWORD=``, ``"db_pass": ...``), the password of a URL, or a ``-p``/``--password``
argument. A credential key is a database URL key, or a user, password or database name of a
family discovery knows (``POSTGRES_*``, ``DATABASE_*``, ``DB_*``, ``PG*``, prefixed ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

# How a finding names a URL's password that no key names.
URL_KEY = "URL password"

# Greedy to the last `@` of the token: a raw `@` in a password keeps it whole.
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"`]*:(?P<value>[^\s'\"`]*)@")
_VALUE = r"(?P<value>\"[^\"]*\"|'[^']*'|`[^`]*`|\$\{[^}]*\}|[^\s,;)#\"'`]+)"
_PASSWORD_KEY = re.compile(
    r"(?P<key>[\w.-]*(?:pass(?:word)?|passwd|pwd)[\w.-]*)[\"'`*]*\s*(?:[:?]?=|:|=>)\s*" + _VALUE,
    re.I,
)
_ARGUMENT = re.compile(r"(?:^|\s)(?P<key>--password|--pass|-p)(?:=|\s+|(?=[^\s-]))" + _VALUE)
# `KEY=value`, `KEY: value`, `- KEY=value`, `export KEY=value`: one assignment per line.
_ASSIGNMENT = re.compile(
    r"^\s*(?:-\s+)?(?:export\s+)?[\"']?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)[\"']?\s*[:=]\s*"
    r"(?P<value>.*?)\s*$"
)
# The parts that are credentials: where the server is (host, port) is no secret of a database,
# and a network view's container port is no fact at all.
_PART_KEY = re.compile(
    r"(?:[A-Z0-9_]*_)?(?:POSTGRES|POSTGRESQL|DATABASE|DB)_"
    r"(?:USER|USERNAME|PASSWORD|PASS|DB|NAME|DATABASE)"
    r"|PG(?:USER|PASSWORD|DATABASE)"
)
_URL_KEY = re.compile(r"(?:[A-Z0-9_]*_)?(?:DATABASE_URL|DATABASE_URI|DB_URL|DB_URI)")
_DATABASE_URL = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")
# A value that is no value: empty, a reference (a YAML alias too), a template expression, a
# placeholder.
_PLACEHOLDER = re.compile(
    r"|\$\{.*|\$\w+|\*[\w-]+|\{\{.*\}\}|%\(\w+\)s|<[^>]*>|\*+|x{3,}|\.{3}|…"
    r"|change[_-]?(?:me|this|it)|changeme\w*|replace[_-]?me|placeholder|your[_-]\w*",
    re.I,
)


@dataclass(frozen=True)
class Position:
    """A value at a position of a line: ``key`` names the position as the line spells it."""

    key: str
    value: str


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1]
    return value


def is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value.strip()) is not None


def passwords(line: str) -> list[Position]:
    """Every password position of ``line`` and the value written there (quotes removed)."""
    found = [
        Position(match["key"], _unquoted(match["value"]))
        for pattern in (_PASSWORD_KEY, _ARGUMENT)
        for match in pattern.finditer(line)
    ]
    found += [Position(URL_KEY, match["value"]) for match in _URL_PASSWORD.finditer(line)]
    return [position for position in found if not is_placeholder(position.value)]


def readings(value: str) -> set[str]:
    """The values a written ``value`` may stand for: as written, percent-decoded (a URL),
    ``$$`` read as ``$`` (compose), ``%%`` read as ``%`` (an ini file) then decoded."""
    found = {value, value.replace("$$", "$")}
    if "%" in value:
        found |= {unquote(value), unquote(value.replace("%%", "%")), value.replace("%%", "%")}
    return found


def assignment(line: str) -> Position | None:
    """The key and value ``line`` assigns, when it is an assignment."""
    match = _ASSIGNMENT.match(line)
    if match is None:
        return None
    value = match["value"]
    if value and value[0] in "\"'":
        quote = value[0]
        end = value.find(quote, 1)
        value = value[1:end] if end > 0 else value[1:]
    else:
        value = re.split(r"\s+#", value, maxsplit=1)[0]
    return Position(match["key"], value)


def credential(line: str) -> Position | None:
    """The credential key ``line`` assigns a value to: a part family's key, a URL key, or any
    key whose value is a PostgreSQL URL. None for placeholders and references."""
    found = assignment(line)
    if found is None or is_placeholder(found.value):
        return None
    if _PART_KEY.fullmatch(found.key) or _DATABASE_URL.match(found.value):
        return found
    if _URL_KEY.fullmatch(found.key) and "://" in found.value:
        return found
    return None
