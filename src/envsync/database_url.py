"""Build and parse SQLAlchemy database URLs without importing SQLAlchemy.

``envsync check`` runs on every commit; importing SQLAlchemy alone costs about 200 ms, so this
module mirrors ``sqlalchemy.engine.url.make_url`` (2.1) instead. The property tests compare the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

# The same pattern as SQLAlchemy's ``_parse_url``, so both split a URL at the same places.
_URL_PATTERN = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)

# SQLAlchemy's names for the parts of a URL, as findings name them.
URL_PARTS = ("drivername", "user", "password", "host", "port", "database")


@dataclass(frozen=True)
class DatabaseUrl:
    """The parts of a URL that must agree with the other files."""

    drivername: str
    user: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    query: str | None = None

    def part(self, name: str) -> str | None:
        value = getattr(self, name)
        return None if value is None else str(value)


def encode_component(value: str) -> str:
    """Percent-encode a user, password or database name.

    ``quote(safe="")`` leaves only ``[A-Za-z0-9_.~-]``: SQLAlchemy decodes it back, and both
    python-dotenv and compose's env_file reader take the result literally, unquoted.
    ``quote_plus`` would be wrong: SQLAlchemy decodes ``+`` as ``+``, not as a space.
    """
    return quote(value, safe="")


def build(
    *,
    driver: str | None,
    user: str,
    password: str | None,
    host: str,
    port: int,
    database: str,
    scheme: str | None = None,
) -> str:
    """The URL SQLAlchemy reads back as exactly these parts (no password part for None)."""
    shown_host = f"[{host}]" if ":" in host else host
    secret = "" if password is None else f":{encode_component(password)}"
    return (
        f"{scheme or f'postgresql+{driver}'}://{encode_component(user)}{secret}"
        f"@{shown_host}:{port}/{encode_component(database)}"
    )


_RAW_GROUPS = {
    "drivername": "name",
    "user": "username",
    "password": "password",
    "port": "port",
    "database": "database",
}


def split_raw(url: str) -> dict[str, str | None] | None:
    """The parts of ``url`` as written (not decoded), or None when the URL does not re-join
    to the same text (then it cannot be edited part by part)."""
    match = _URL_PATTERN.fullmatch(url)
    if match is None:
        return None
    groups = match.groupdict()
    parts: dict[str, str | None] = {part: groups[group] for part, group in _RAW_GROUPS.items()}
    parts["host"] = groups["ipv4host"] if groups["ipv4host"] is not None else groups["ipv6host"]
    parts["query"] = groups["query"]
    return parts if _join(parts) == url else None


def _join(parts: dict[str, str | None]) -> str:
    host = parts["host"] or ""
    if ":" in host:
        host = f"[{host}]"
    credentials = ""
    if parts["user"] is not None or parts["password"] is not None:
        secret = "" if parts["password"] is None else f":{parts['password']}"
        credentials = f"{parts['user'] or ''}{secret}@"
    port = "" if parts["port"] is None else f":{parts['port']}"
    database = "" if parts["database"] is None else f"/{parts['database']}"
    query = "" if parts["query"] is None else f"?{parts['query']}"
    return f"{parts['drivername']}://{credentials}{host}{port}{database}{query}"


def splice(url: str, changed: dict[str, str | None]) -> str | None:
    """``url`` with only the ``changed`` parts replaced by the given (already encoded) text;
    every other character as the user wrote it. None when ``url`` cannot be split."""
    parts = split_raw(url)
    if parts is None:
        return None
    parts.update(changed)
    return _join(parts)


def parse(url: str) -> DatabaseUrl | None:
    """Split ``url`` as SQLAlchemy 2.1's ``make_url`` does; None when it is not a URL."""
    match = _URL_PATTERN.match(url)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        # int() exactly as SQLAlchemy applies it: " 5", "+5" and "5_0" are ports; "5a" and the
        # empty port of "host:/db" are errors.
        port = int(parts["port"]) if parts["port"] is not None else None
    except ValueError:
        return None
    return DatabaseUrl(
        drivername=parts["name"],
        user=unquote(parts["username"]) if parts["username"] is not None else None,
        password=unquote(parts["password"]) if parts["password"] is not None else None,
        host=parts["ipv4host"] or parts["ipv6host"],
        port=port,
        database=unquote(parts["database"]) if parts["database"] is not None else None,
        query=parts["query"],
    )


def with_query_of(url: str, found: str | None) -> str:
    """``url`` followed by the query options (``?sslmode=require``) of the URL ``found``.

    The options are the user's: envsync owns the driver, credentials, host, port and database.
    """
    current = parse(found or "")
    return f"{url}?{current.query}" if current is not None and current.query else url
