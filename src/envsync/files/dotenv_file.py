"""backend/.env (and .env.example): envsync owns ``DATABASE_URL`` and any ``POSTGRES_*`` key the
file carries; every other line is the user's and keeps its bytes."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import Binding, parse_stream

from envsync import database_url
from envsync.drift import Finding, url_findings
from envsync.errors import FormatError

URL_KEY = "DATABASE_URL"
SECRET_KEYS = frozenset({"POSTGRES_PASSWORD"})

# What python-dotenv and compose's env_file reader both take literally without quotes
# (brackets: an IPv6 host in a URL).
_BARE = re.compile(r"[A-Za-z0-9%._~:/@+\[\]-]*")
_VALUE = re.compile(
    r"""(?P<lead>\s*(?:export\s+)?(?P<key>[^=\s#]+)\s*=[^\S\r\n]*)
        (?P<value>'(?:\\'|[^'])*'|"(?:\\"|[^"])*"|[^\r\n]*?)
        (?P<rest>(?:[^\S\r\n]+\#[^\r\n]*)?[^\S\r\n]*(?:\r?\n)?)\Z""",
    re.X | re.S,
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
            message=f"{key} cannot hold '${{' : python-dotenv would expand it; "
            "remove the key from this file (DATABASE_URL already carries it, encoded)",
        )
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _bindings(text: str, path: Path | str) -> list[Binding]:
    bindings = list(parse_stream(io.StringIO(text)))
    for binding in bindings:
        if binding.error:
            line = binding.original.line
            raise FormatError(
                path=path,
                line=line,
                message="cannot be parsed as KEY=VALUE (python-dotenv skips it)",
            )
    return bindings


_LOG = logging.getLogger("envsync")


@contextlib.contextmanager
def _quiet_python_dotenv() -> Iterator[None]:
    """python-dotenv logs its own warning for a line it skips; envsync says it in its words."""
    logger = logging.getLogger("dotenv.main")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def values(text: str, *, path: Path | str | None = None) -> dict[str, str | None]:
    """What the application sees: python-dotenv's reading, interpolation included.

    With ``path``, a line python-dotenv skips is reported once (a logged warning).
    """
    with _quiet_python_dotenv():
        found = dotenv_values(stream=io.StringIO(text))
    skipped = [b.original.line for b in parse_stream(io.StringIO(text)) if b.error] if path else []
    if skipped:
        lines = ", ".join(str(line) for line in skipped)
        _LOG.warning(
            "envsync: %s: line %s cannot be parsed as KEY=VALUE; python-dotenv skips it, and so "
            "does envsync",
            path,
            lines,
        )
    return found


def checked_values(text: str, *, path: Path | str) -> dict[str, str | None]:
    """``values``, refusing a line python-dotenv would skip (and with it, maybe a credential)."""
    _bindings(text, path)
    return values(text)


def sync(
    current: str | None,
    target: str,
    *,
    path: Path | str,
    owned: Mapping[str, str],
) -> tuple[str, list[Finding]]:
    """Take ``DATABASE_URL`` from ``target`` and the ``POSTGRES_*`` keys ``current`` carries
    from ``owned``; keep every other line of ``current`` as it is. The keys ``target`` holds
    are added when missing (the project .env of ``secret_storage: local`` has no URL)."""
    name = str(path)
    wanted_values = values(target)
    wanted_url = wanted_values.get(URL_KEY)
    if current is None:
        return target, [Finding(name, "file", "present", None)]
    bindings = _bindings(current, path)
    found = values(current)
    findings: list[Finding] = []
    if wanted_url is not None:
        findings += url_findings(name, URL_KEY, wanted_url, found.get(URL_KEY))
    for key, wanted in owned.items():
        if (key in found or key in wanted_values) and found.get(key) != wanted:
            findings.append(Finding(name, key, wanted, found.get(key), key in SECRET_KEYS))
    if not findings:
        return current, []
    # Only the keys this file holds or gets: a value no key here carries is no error here.
    spellings = {
        key: quote(value, key=key, path=path)
        for key, value in owned.items()
        if key in found or key in wanted_values
    }
    if wanted_url is not None:
        spellings[URL_KEY] = _url_spelling(target, found.get(URL_KEY), path)
    pieces = [_respelled(binding, spellings) for binding in bindings]
    newline = "\r\n" if "\r\n" in current else "\n"
    for key in [key for key in spellings if key in wanted_values and key not in found]:
        if pieces and not pieces[-1].endswith("\n"):
            pieces.append(newline)
        pieces.append(f"{key}={spellings[key]}{newline}")
    return "".join(pieces), findings


def _url_spelling(target: str, found: str | None, path: Path | str) -> str:
    """The target's URL, keeping the query options (``?ssl=require``) the user added."""
    line = next(b.original.string for b in _bindings(target, path) if b.key == URL_KEY)
    match = _VALUE.match(line)
    assert match is not None, line
    return database_url.with_query_of(match["value"], found)


def _respelled(binding: Binding, spellings: Mapping[str, str]) -> str:
    original = binding.original.string
    if binding.key not in spellings:
        return original
    match = _VALUE.match(original)
    if match is None:  # a bare `KEY` line, which python-dotenv reads as unset
        body = original.rstrip("\r\n")
        return f"{body}={spellings[binding.key]}{original[len(body) :]}"
    return match["lead"] + spellings[binding.key] + match["rest"]
