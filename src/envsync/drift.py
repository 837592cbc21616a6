"""Findings: what differs between a file on disk and what the answers say it should hold."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One managed value that drifted. ``None`` means absent (missing file, key or section).

    ``kind`` "copy": a credential outside the map (``copies``), at ``line``; ``expected``
    then says what it is a copy of."""

    path: str
    key: str
    expected: str | None
    found: str | None
    secret: bool = False
    kind: str = "drift"
    line: int | None = None


MASK = "********"


def visible(value: str | None, *, secret: bool, show_secrets: bool) -> str | None:
    """The value as a report may carry it: a secret becomes a mask of fixed width."""
    return MASK if secret and not show_secrets else value


def shown(value: str | None, *, secret: bool, show_secrets: bool) -> str:
    """How a value appears in a line of text: quoted, or the mask, or ``(missing)``."""
    if value is None:
        return "(missing)"
    return MASK if secret and not show_secrets else repr(value)


def mask_text(text: str, secrets: set[str]) -> str:
    """``text`` with every spelling of every secret replaced, longest first.

    Longest first, so that a secret that contains another is hidden whole, not in pieces.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


# Where a secret sits, whatever its spelling (an old file's lower-case %2f, a YAML escape): a
# URL's password, and the value of a key or label named like a password (.env, both compose
# forms, CLAUDE.md). Greedy up to the last `@`: a raw `@` in an old password is hidden whole.
_SECRET_FIELDS = re.compile(
    r"(?P<url>://[^:/@\s]*:)\S*(?=@)"
    r"|(?P<key>(?i:[\w.-]*password[\w.-]*)[^\S\r\n]*[:=][^\S\r\n]*)\S[^\r\n]*"
)


def mask_fields(text: str) -> str:
    """``text`` with the value of every secret field masked, by position, not by spelling."""
    return _SECRET_FIELDS.sub(lambda m: (m["url"] or m["key"]) + MASK, text)
