"""Every error envsync raises for a person to read.

The CLI turns ``EnvsyncError`` into exit code 2 and prints ``str(error)``: one line that names
the file (and the line or key) and says what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

# Control characters, and every other character at which str.splitlines breaks a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class EnvsyncError(Exception):
    """Base of every error meant for users.

    Its text is one line whatever a file name, key or value in it holds: control characters
    (a newline in a map key, a NUL in a file name) are shown escaped.
    """

    def __str__(self) -> str:
        return _CONTROL.sub(lambda match: f"\\u{ord(match[0]):04x}", super().__str__())


class AnswersError(EnvsyncError):
    """The answers file is missing, unreadable, or holds an invalid value."""

    def __init__(self, *, path: Path | str, message: str, key: str | None = None) -> None:
        where = f"{path}: {key}" if key else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.key = key


class _FileError(EnvsyncError):
    """An error about a place in a file: ``path:line: message``."""

    def __init__(self, *, path: Path | str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.line = line


class FormatError(_FileError):
    """A file envsync must read cannot be parsed."""


class OwnershipError(_FileError):
    """The part of a file envsync owns cannot be located without guessing (markers)."""


class DatabaseError(EnvsyncError):
    """The embedded database could not be started, stopped or inspected."""


class MapError(_FileError):
    """The map of places (``envsync.toml``) is missing, unreadable or inconsistent."""


class NoComposeService(MapError):
    """The map names no compose file for the database service: only the answers tell its port."""


class UnrepairableError(FormatError):
    """A place that differs cannot be repaired in place; ``check`` reports it as drift."""


class LiveChangeError(EnvsyncError):
    """The running database could not take the new values; no file was written."""


class ConfinementError(_FileError):
    """A path leaves the project directory or enters ``.git/``: envsync reads and writes only
    inside the project, whatever a cloned repository's map or symlinks say."""
