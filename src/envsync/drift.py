"""Findings: what differs between a file on disk and what the answers say it should hold."""

from __future__ import annotations

from dataclasses import dataclass

from envsync import database_url


@dataclass(frozen=True)
class Finding:
    """One managed value that drifted. ``None`` means absent (missing file, key or section)."""

    path: str
    key: str
    expected: str | None
    found: str | None
    secret: bool = False


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


def url_findings(path: str, key: str, wanted: str | None, found: str | None) -> list[Finding]:
    """One finding per URL part that differs: spelling (quotes, encoding case) is not drift."""
    want = database_url.parse(wanted or "")
    got = database_url.parse(found or "")
    if found is None or got is None or want is None:
        return [] if found == wanted else [Finding(path, key, wanted, found, secret=True)]
    return [
        Finding(path, f"{key} ({part})", want.part(part), got.part(part), part == "password")
        for part in database_url.URL_PARTS
        if want.part(part) != got.part(part)
    ]
