"""Colour for a person at a terminal, never for a pipe or a log: ``NO_COLOR`` (no-color.org)
turns it off, ``FORCE_COLOR`` turns it on even when piped (a CI log that renders ANSI); when both
are set, ``NO_COLOR`` wins. Nothing is imported: the cached check uses it too."""

from __future__ import annotations

import os

_CODES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def enabled(terminal: bool) -> bool:
    """Whether text may carry colour; ``terminal``: the stream it goes to is a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return terminal and os.environ.get("TERM") != "dumb"


def paint(text: str, style: str, *, on: bool) -> str:
    """``text`` in ``style`` (bold, red, green, yellow, cyan) when colour is ``on``."""
    return f"\033[{_CODES[style]}m{text}\033[0m" if on and text else text
