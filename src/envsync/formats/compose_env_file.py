"""A ``.env`` file read as Docker Compose v2 reads it, which is not how python-dotenv does.

Compose reads the project ``.env`` (for interpolating the compose file) and every ``env_file:``
with compose-go's own ``dotenv`` parser. Its rules, each checked against the real binary in
tests/formats/test_compose_env_file.py:

- Unquoted and double-quoted values are interpolated (``$NAME``, ``${NAME:-d}``, nested...). A
  reference asks compose's environment first and only then the lines above it in the file.
- Double quotes decode ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\" \\$`` and octal ``\\0NNN``; in any
  quotes a backslash before the closing quote character keeps it in, and any other backslash stays.
  Unquoted values decode nothing: ``\\$`` there is a backslash and then a reference.
- Single-quoted values are literal.
- An unquoted value ends at the line break, then at the first space followed by ``#``
  (a tab before ``#`` is not a comment), then trailing blanks go. ``A= #x`` is ``#x``.
- Only LF ends a line: in a CR-only file every unquoted value runs to the end of the file.
- ``KEY: value`` and ``export KEY=value`` are accepted; a bare ``KEY`` line takes the value from
  compose's environment, or defines nothing. Keys may hold letters, digits, ``_ . - [ ]`` and
  even tabs, but no space.
- Text without ``=``, ``:`` or a line break after it (``A='x' y`` at the end of the file) is the
  value of the empty key.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from envsync.errors import FormatError
from envsync.formats.compose_interpolation import InterpolationError, interpolate

__all__ = ["Binding", "locate", "values"]

# compose-go's isSpace: blanks that never end a line.
_BLANK = "\t\v\f\r \x85\xa0"
# Go's unicode.IsSpace (Python's str.isspace() also takes the \x1c-\x1f separators).
_SPACE = _BLANK + "\n\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACE += "\u2028\u2029\u202f\u205f\u3000"
# Go's \s and \d are ASCII; \s has no \v.
_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}

Quote = Literal["", "'", '"']


@dataclass(frozen=True)
class Binding:
    """One ``KEY=value`` statement as compose parses it.

    ``text[start:end]`` is the value as written, its quotes included; an unquoted value stops
    before its comment and trailing blanks. For a bare ``KEY`` line (``inherited``), ``start`` and
    ``end`` both sit just after the key, where ``=value`` would go.
    """

    key: str
    line: int
    start: int
    end: int
    quote: Quote
    inherited: bool


def locate(text: str, *, path: Path | str = ".env") -> list[Binding]:
    """Every statement of ``text`` in file order, repeated keys too (compose keeps the last)."""
    return [binding for binding, _ in _statements(text, path)]


def values(text: str, *, environ: Mapping[str, str], path: Path | str = ".env") -> dict[str, str]:
    """The variables ``text`` defines for compose, given the environment compose resolves from.

    ``environ`` is what compose looks references up in before the file's own lines: the shell's
    environment for the project ``.env``; for an ``env_file:``, the project's environment (shell
    over ``.env``) and then the service's ``environment:``.
    """
    # Read once per text and environment: the compose file and every place of a big .env ask.
    return dict(_values(text, tuple(environ.items()), str(path)))


@functools.lru_cache(maxsize=8)
def _values(text: str, environ_items: tuple[tuple[str, str], ...], path: str) -> dict[str, str]:
    environ = dict(environ_items)
    defined: dict[str, str] = {}
    visible = ChainMap(dict(environ), defined)
    for binding, raw in _statements(text, path):
        if binding.inherited:
            if binding.key in environ:
                defined[binding.key] = environ[binding.key]
            continue
        if binding.quote == "'":
            defined[binding.key] = raw
            continue
        if binding.quote == '"':
            raw = _ESCAPE.sub(_decode_escape, raw)
        try:
            defined[binding.key] = interpolate(raw, visible)
        except InterpolationError as error:
            raise FormatError(
                path=path, line=binding.line, message=f"{binding.key}: {error}"
            ) from None
    return defined


def _statements(text: str, path: Path | str) -> Iterator[tuple[Binding, str]]:
    """Each statement with its value's text after quote removal, before escapes and references.

    A generator, so that an error is raised where compose meets it: after the lines above it
    have been read (and their references resolved).
    """
    end = len(text)
    position = 1 if text.startswith("\ufeff") else 0
    # Lines counted as the reading goes: counting from the start each time is quadratic.
    line, counted = 1, 0
    while (position := _statement_start(text, position)) < end:
        line += text.count("\n", counted, position)
        counted = position
        if _EXPORT.match(text, position):
            # The pattern may run over line breaks; what compose then skips stops at them.
            position = _skip(text, position + len("export"), _BLANK)
        key_end, terminator = _key_end(text, position, path, line)
        if terminator is None:
            if position == end:
                raise FormatError(path=path, line=line, message="'export' names no variable")
            # No '=', ':' or line break up to the end of the file: all of it is the value of "".
            key, value_start, inherited = "", position, False
        else:
            key = text[position:key_end].rstrip(_SPACE)
            value_start, inherited = _skip(text, key_end + 1, _BLANK), terminator == "\n"
        if " " in key:
            raise FormatError(path=path, line=line, message="a variable name cannot hold a space")
        if inherited:
            after_key = position + len(key)
            yield Binding(key, line, after_key, after_key, "", True), ""
            position = value_start
        elif value_start < end and text[value_start] in "'\"":
            closing, raw = _quoted(text, value_start)
            if closing is None:
                raise FormatError(
                    path=path, line=line, message=f"{key}: the quoted value is never closed"
                )
            quote: Quote = "'" if text[value_start] == "'" else '"'
            yield Binding(key, line, value_start, closing + 1, quote, False), raw
            position = closing + 1
        else:
            line_end = text.find("\n", value_start)
            line_end = end if line_end < 0 else line_end
            raw = text[value_start:line_end].split(" #", 1)[0].rstrip(_SPACE)
            yield Binding(key, line, value_start, value_start + len(raw), "", False), raw
            position = min(line_end + 1, end)


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _statement_start(text: str, position: int) -> int:
    """The next statement's first character, past blank lines and ``#`` comment lines."""
    while (position := _skip(text, position, _SPACE)) < len(text) and text[position] == "#":
        line_end = text.find("\n", position)
        position = len(text) if line_end < 0 else line_end
    return position


def _key_end(text: str, position: int, path: Path | str, line: int) -> tuple[int, str | None]:
    """Where the key ends and what ends it (``=``, ``:``, a line break, or ``None``: the file)."""
    for index in range(position, len(text)):
        character = text[index]
        if character in "=:\n":
            return index, character
        if character in _BLANK or character in "_.-[]":
            continue
        # Go's unicode.IsLetter and unicode.IsNumber.
        if unicodedata.category(character)[0] not in "LN":
            raise FormatError(
                path=path,
                line=line,
                message="a variable name holds a character compose refuses; write KEY=value",
            )
    return len(text), None


def _quoted(text: str, opening: int) -> tuple[int | None, str]:
    """The closing quote's index and the text between; a backslash keeps the quote in."""
    quote = text[opening]
    kept: list[str] = []
    escaped = False
    for index in range(opening + 1, len(text)):
        character = text[index]
        if escaped:
            escaped = False
            kept.append(character if character == quote else "\\" + character)
        elif character == "\\":
            escaped = True
        elif character == quote:
            return index, "".join(kept)
        else:
            kept.append(character)
    return None, ""


def _decode_escape(match: re.Match[str]) -> str:
    """compose-go's ``expandEscapes``: Go's ``strconv.UnquoteChar``, the escape kept if it fails."""
    escape = match[0]
    if escape == "\\$":
        return "$$"  # interpolation then reads a literal $
    if escape[1] != "0":
        return _SIMPLE_ESCAPES.get(escape[1], escape)
    # `\0NNN` is rewritten to Go's `\NNN`: exactly three octal digits, at most 255.
    escape = "\\" + escape[2:]
    digits = escape[1:]
    if len(digits) == 3 and set(digits) <= set("01234567") and int(digits, 8) <= 255:
        return chr(int(digits, 8))
    return escape
