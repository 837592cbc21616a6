"""Dotenv files (``.env``, ``backend/.env``, ``.envs/.local/.postgres``...): a place is a key.

Read as python-dotenv reads it (the application's loader): quotes, ``export``, and ``${VAR}``
expansion from the keys above and the environment. A value is respelled only when it changes,
and then in the quoting the user chose when that quoting can carry it.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections import ChainMap
from collections.abc import Iterable
from itertools import accumulate
from pathlib import Path

from envsync.errors import FormatError
from envsync.formats import Context, Reading, Target
from envsync.formats.dotenv_parser import Binding, Variable, parse_stream, parse_variables

URL_KEY = "DATABASE_URL"

# What python-dotenv and compose's env_file reader both take literally without quotes
# (brackets: an IPv6 host in a URL).
_BARE = re.compile(r"[A-Za-z0-9%._~:/@+\[\]-]*")
_VALUE = re.compile(
    r"""(?P<lead>\s*(?:export\s+)?(?P<key>[^=\s#]+)\s*=[^\S\r\n]*)
        (?P<value>'(?:\\'|[^'])*'|"(?:\\"|[^"])*"|[^\r\n]*?)
        (?P<rest>(?:[^\S\r\n]+\#[^\r\n]*)?[^\S\r\n]*(?:\r\n|\r|\n)?)\Z""",
    re.X | re.S,
)


# A key both python-dotenv and compose's env_file reader take as written.
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def check_key(key: str) -> None:
    """Refuse a key no dotenv reader takes as it is written (a space, ``=``, ``#``, quotes)."""
    if not _KEY.fullmatch(key):
        raise ValueError(
            f"a dotenv key is letters, digits, '_', '.' and '-', not starting with a digit, "
            f"not {key!r}"
        )


def quote(value: str, *, key: str, path: Path | str) -> str:
    """``value`` spelled so that python-dotenv reads it back unchanged.

    Percent-encoded URLs need no quotes. Anything else goes in single quotes, where python-dotenv
    decodes only ``\\\\`` and ``\\'``; ``${`` cannot be written at all, because python-dotenv
    expands it even inside single quotes.
    """
    if _BARE.fullmatch(value):
        return value
    if "${" in value:
        raise FormatError(
            path=path,
            message=f"{key} cannot hold '${{': python-dotenv would expand it; "
            "choose a value without it",
        )
    return _single_quoted(value)


def _single_quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> tuple[Binding, ...]:
    # One parse per text: the locally kept password and the plan read the same big .env.
    return tuple(parse_stream(io.StringIO(text)))


def _bindings(text: str, path: Path | str) -> tuple[Binding, ...]:
    bindings = _parsed(text)
    for binding in bindings:
        if binding.error:
            raise FormatError(
                path=path,
                line=binding.original.line,
                message="cannot be parsed as KEY=VALUE (python-dotenv skips it)",
            )
    return bindings


def values(text: str) -> dict[str, str | None]:
    """What the application sees: python-dotenv's reading, interpolation included."""
    return _resolved(parse_stream(io.StringIO(text)))


def checked_values(text: str, *, path: Path | str) -> dict[str, str | None]:
    """``values``, refusing a line python-dotenv would skip (and with it, maybe a credential)."""
    return _resolved(_bindings(text, path))


def _resolved(bindings: Iterable[Binding]) -> dict[str, str | None]:
    """The values of ``bindings`` as ``dotenv_values`` resolves them: each ``${NAME}`` (or
    ``${NAME:-default}``) from the values above it, else from the environment.

    python-dotenv's own resolution copies the environment and every value so far for each line,
    which makes a 30,000-line file take half a minute; looking names up in the values so far,
    then the environment, gives the same result in one pass.
    """
    resolved: dict[str, str | None] = {}
    environment: dict[str, str | None] = dict(os.environ)
    scope = ChainMap(resolved, environment)
    for binding in bindings:
        if binding.key is None:
            continue
        value = binding.value
        if value is not None:
            value = "".join(atom.resolve(scope) for atom in parse_variables(value))
        resolved[binding.key] = value
    return resolved


class DotenvDocument:
    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.path = context.path
        self.bindings = _bindings(text, context.path)
        self.values = _resolved(self.bindings)
        # python-dotenv keeps the last binding of a key, and so does the reading. Indexed once
        # (with where each binding starts): a map may have thousands of places in one file.
        self._last = {b.key: i for i, b in enumerate(self.bindings) if b.key is not None}
        self._starts = list(accumulate((len(b.original.string) for b in self.bindings), initial=0))

    def _binding(self, key: str) -> Binding | None:
        index = self._last.get(key)
        return None if index is None else self.bindings[index]

    def read(self, locator: str) -> Reading:
        binding = self._binding(locator)
        if binding is None:
            return Reading(None)
        return Reading(self.values.get(locator), binding.value, binding.original.line)

    def escape(self, value: str) -> str:
        if "${" in value:
            raise FormatError(
                path=self.path,
                message="a value with '${' cannot be written here: python-dotenv would expand it",
            )
        return value

    def references(self, source: str) -> tuple[str, ...]:
        return tuple(atom.name for atom in parse_variables(source) if isinstance(atom, Variable))

    def definition(self, name: str) -> Target | None:
        return Target(self.path, name)

    def write(self, locator: str, source: str | tuple[str, ...]) -> str:
        assert isinstance(source, str)
        return self._write(locator, source, literal=False)

    def write_literal(self, locator: str, value: str) -> str:
        """``value`` in single quotes, which python-dotenv and compose both read literally
        (no ``'``, ``\\`` or ``${`` in it: the caller checks)."""
        return self._write(locator, value, literal=True)

    def _write(self, locator: str, source: str, *, literal: bool) -> str:
        line_break = next((c for c in source if c in "\r\n\x00\x85\u2028\u2029"), None)
        if line_break is not None:
            # A quoted value may span lines for python-dotenv, but `source`, docker's
            # --env-file and every line-based reader would read the rest as lines of their own.
            raise FormatError(
                path=self.path,
                message=f"{locator} cannot hold the character U+{ord(line_break):04X}: the "
                "value would spill onto a line of its own; choose a value on one line",
            )
        binding = self._binding(locator)
        newline = "\r\n" if "\r\n" in self.text else "\n"
        if binding is None:
            separator = "" if not self.text or self.text.endswith(("\n", "\r")) else newline
            spelled = f"'{source}'" if literal else _spelled(source, None)
            return f"{self.text}{separator}{locator}={spelled}{newline}"
        original = binding.original.string
        match = _VALUE.match(original)
        if match is None:  # a bare `KEY` line, which python-dotenv reads as unset
            body = original.rstrip("\r\n")
            spelled = f"'{source}'" if literal else _spelled(source, None)
            line = f"{body}={spelled}{original[len(body) :]}"
        else:
            spelled = f"'{source}'" if literal else _spelled(source, match["value"])
            line = match["lead"] + spelled + match["rest"]
        start = self._starts[self._last[locator]]
        return self.text[:start] + line + self.text[start + len(original) :]


def _spelled(source: str, written: str | None) -> str:
    """``source`` in the quoting of ``written`` when that quoting carries it unchanged."""
    if written and written[0] == "'" and not set(source) & {"'", "\\"}:
        return f"'{source}'"
    if written and written[0] == '"' and not set(source) & {'"', "\\"}:
        return f'"{source}"'
    if _BARE.fullmatch(source) or ("${" in source and not re.search(r"[\s#'\"\\]", source)):
        return source
    return _single_quoted(source)
