"""Columns of text for a terminal: a header, aligned cells, and one column wrapped when the
terminal is narrower than the table (piped output keeps every cell on its row, for grep)."""

from __future__ import annotations

import re
from collections.abc import Callable

GAP = "  "
# The wrapped column keeps at least this many characters: narrower, nobody can read it.
_MIN_WRAPPED = 16
# Where a place's label may break: after a dot, a slash, a colon or a space.
_PIECES = re.compile(r".+?(?:[./: ]|$)")


def lines(
    header: list[str],
    rows: list[list[str]],
    *,
    width: int | None = None,
    wrap: int = 0,
    paint: Callable[[int, str], str] | None = None,
) -> list[str]:
    """The table as lines: ``header`` first, every column as wide as its widest cell. With a
    ``width`` the table does not fit, column ``wrap`` is wrapped onto continuation lines.
    ``paint(column, text)`` colours a cell (the header's column is -1); padding goes after."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    total = sum(widths) + len(GAP) * (len(widths) - 1)
    if width is not None and total > width:
        widths[wrap] = max(_MIN_WRAPPED, widths[wrap] - (total - width))
    out = []
    for number, row in enumerate(table):
        for index, piece in enumerate(_wrapped(row[wrap], widths[wrap])):
            cells = [piece if i == wrap else "" if index else cell for i, cell in enumerate(row)]
            padded = [
                (paint(-1 if number == 0 else i, cell) if paint else cell) + " " * (w - len(cell))
                for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
            ]
            out.append(GAP.join(padded).rstrip())
    return out


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``, broken after a dot, slash, colon or space where
    it can be, anywhere in a piece longer than a line."""
    if len(text) <= width:
        return [text]
    out = [""]
    for piece in _PIECES.findall(text):
        if out[-1] and len(out[-1]) + len(piece.rstrip()) > width:
            out.append("")
        out[-1] += piece if out[-1] else piece.lstrip()
        while len(out[-1].rstrip()) > width:
            out[-1:] = [out[-1][:width], out[-1][width:]]
    return [line.rstrip() for line in out]
