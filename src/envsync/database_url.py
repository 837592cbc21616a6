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
    *, driver: str, user: str, password: str | None, host: str, port: int, database: str
) -> str:
    """The URL SQLAlchemy reads back as exactly these parts (no password part for None)."""
    shown_host = f"[{host}]" if ":" in host else host
    secret = "" if password is None else f":{encode_component(password)}"
    return (
        f"postgresql+{driver}://{encode_component(user)}{secret}"
        f"@{shown_host}:{port}/{encode_component(database)}"
    )


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
