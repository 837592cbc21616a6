"""Facts and places: the model every command works from.

A **fact** is a named value (``db_password``). A **place** is one spot in one file where facts
are spelled: a locator inside the file, and a spelling: a pattern of facts (``{db_password}``,
``{db_user}:{db_password}``), a list of patterns (a compose healthcheck), or a URL whose parts
are patterns. Nothing here knows that facts are database credentials.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

# SQLAlchemy's names for the parts of a URL: the map and the findings name them so.
from envsync.database_url import URL_PARTS as URL_PARTS
from envsync.errors import MapError

# The two ways a URL reaches the database: from the host, through the port compose publishes,
# or from another container, through the compose network, where the port is the container's.
VIEWS: Mapping[str, Mapping[str, str]] = {
    "host": {
        "user": "{db_user}",
        "password": "{db_password}",
        "host": "{db_host}",
        "port": "{db_port}",
        "database": "{db_name}",
    },
    "network": {
        "user": "{db_user}",
        "password": "{db_password}",
        "host": "{db_service}",
        "port": "5432",
        "database": "{db_name}",
    },
}

# What an example file (``.env.example``) holds in place of a secret.
PLACEHOLDER = "CHANGE_ME"


def fact_names(pattern: str) -> tuple[str, ...]:
    """The facts ``pattern`` reads; a field that is not a plain name is refused."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(pattern):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}}} is not a fact name")
        names.append(name)
    return tuple(names)


def fill(pattern: str, facts: Mapping[str, str]) -> str:
    return pattern.format_map(facts)


# The formats a place can be in (formats/: one module each) and the two views of a URL.
Format = Literal["compose", "dotenv", "ini", "markdown", "workflow", "secret_file"]
FORMATS: tuple[Format, ...] = get_args(Format)
View = Literal["host", "network"]


@dataclass(frozen=True)
class Url:
    """A URL place: each part is a pattern of facts, or None where the place keeps its own.

    The scheme (driver) and the query are the place's unless the map names them: a
    ``postgresql://`` URL read by dj-database-url stays one, and ``?ssl=require`` stays.
    """

    parts: Mapping[str, str | None]
    view: View

    def facts(self) -> tuple[str, ...]:
        return tuple(name for part in self.parts.values() if part for name in fact_names(part))


@dataclass(frozen=True)
class Place:
    """One spot where facts are written."""

    file: str
    format: Format
    key: str
    value: str | tuple[str, ...] | None = None
    url: Url | None = None
    # An example file: secrets stay placeholders, the rest follows the facts.
    example: bool = False
    # The place must stay a reference to this variable (``${POSTGRES_PASSWORD:?...}``): its
    # value lives where the variable is defined, in a file git does not track.
    via: str | None = None
    origin: str = field(default="", compare=False)

    def facts(self) -> tuple[str, ...]:
        """The facts the place's value is made of."""
        if self.url is not None:
            return self.url.facts()
        patterns = (self.value,) if isinstance(self.value, str) else self.value or ()
        return tuple(name for pattern in patterns for name in fact_names(pattern))

    def resolved(self, facts: Mapping[str, str]) -> Place:
        """The place with facts in its locator filled (``services.{db_service}.ports``)."""
        return replace(self, key=fill(self.key, facts))

    def where(self) -> str:
        return f"{self.file}: {self.key}"

    def check_facts(self, known: Mapping[str, object], map_path: str) -> None:
        names = (*self.facts(), *fact_names(self.key))
        missing = [name for name in names if name not in known]
        if missing:
            raise MapError(
                path=map_path,
                message=f"place {self.where()} names unknown fact {missing[0]!r}; declare it "
                f"under [facts] (known: {', '.join(sorted(known))})",
            )


@dataclass(frozen=True)
class Fact:
    value: str
    secret: bool


@dataclass(frozen=True)
class Ignore:
    """A copy outside the map kept on purpose: a file (a glob), optionally its key and a
    glob of its (stripped) line."""

    file: str
    key: str | None = None
    line: str | None = None


@dataclass(frozen=True)
class PlaceMap:
    """The map file, parsed: facts of the user's own, every place, and the copies to ignore."""

    facts: Mapping[str, Fact]
    places: tuple[Place, ...]
    # The files of the compose project when compose would not find them by itself (``-f``).
    compose_files: tuple[str, ...] = ()
    ignores: tuple[Ignore, ...] = ()
