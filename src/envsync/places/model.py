"""Facts and places: the model every command works from.

A **fact** is a named value (``db_password``). A **place** is one spot in one file where facts
are spelled: a locator inside the file, and a spelling: a pattern of facts (``{db_password}``,
``{db_user}:{db_password}``), a list of patterns (a compose healthcheck), or a URL whose parts
are patterns. Nothing here knows that facts are database credentials.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
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


# The facts that describe one database. A second database's are named ``SERVICE.db_user``; a
# place of that database spells them ``{db_user}`` and the map qualifies them on reading, so the
# facts of one database can never fill a place of another.
DATABASE_FACTS = ("db_service", "db_user", "db_password", "db_name", "db_host", "db_port")
# What a second database's ``[database.SERVICE]`` table may give: its service is its name.
TABLE_FACTS = tuple(name for name in DATABASE_FACTS if name != "db_service")


def _is_fact_name(name: str) -> bool:
    parts = name.split(".")
    return len(parts) <= 2 and all(part.isidentifier() for part in parts)


def fact_names(pattern: str) -> tuple[str, ...]:
    """The facts ``pattern`` reads; a field that is not a name (``db_user``, or a second
    database's ``db_test.db_user``) is refused."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(pattern):
        if name is None:
            continue
        if not _is_fact_name(name) or spec or conversion:
            raise ValueError(f"{{{name}}} is not a fact name")
        names.append(name)
    return tuple(names)


def fill(pattern: str, facts: Mapping[str, str]) -> str:
    # Not str.format: a dotted name is a fact of its own here, not an attribute.
    return "".join(
        literal + (facts[name] if name is not None else "")
        for literal, name, _, _ in string.Formatter().parse(pattern)
    )


def _renamed(pattern: str, rename: Mapping[str, str]) -> str:
    parts = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            parts.append("{" + rename.get(name, name) + "}")
    return "".join(parts)


def qualified(pattern: str, database: str) -> str:
    """``pattern`` with the database facts it reads named for ``database``."""
    return _renamed(pattern, {name: f"{database}.{name}" for name in DATABASE_FACTS})


def unqualified(pattern: str, database: str) -> str:
    """The spelling of ``pattern`` the map gives a place of ``database``."""
    return _renamed(pattern, {f"{database}.{name}": name for name in DATABASE_FACTS})


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
    # The database whose facts the place spells (a compose service); None: the project's own.
    database: str | None = None
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

    def of_database(self, database: str) -> Place:
        """The place as a place of the second database ``database``: its patterns read that
        database's facts."""
        return replace(self._respelled(lambda p: qualified(p, database)), database=database)

    def as_written(self) -> Place:
        """The place as the map spells it: ``{db_password}`` for its own database's password."""
        database = self.database
        if database is None:
            return self
        return self._respelled(lambda p: unqualified(p, database))

    def _respelled(self, rename: Callable[[str], str]) -> Place:
        value = self.value
        if value is not None:
            value = rename(value) if isinstance(value, str) else tuple(map(rename, value))
        url = self.url
        if url is not None:
            parts = {name: None if p is None else rename(p) for name, p in url.parts.items()}
            url = Url(parts=parts, view=url.view)
        return replace(self, key=rename(self.key), value=value, url=url)

    def check_facts(self, known: Mapping[str, object], map_path: str) -> None:
        names = (*self.facts(), *fact_names(self.key))
        missing = [name for name in names if name not in known]
        if missing and "." in missing[0]:
            database = missing[0].partition(".")[0]
            raise MapError(
                path=map_path,
                message=f"place {self.where()} names {missing[0]!r} of a database the map has "
                f"no table for; add [database.{database}] (or the project's own database's "
                "facts need no prefix)",
            )
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
class Database:
    """A database of the project besides its own (the answers'): a compose service with its
    facts. Without ``db_password`` the password is kept in the database's git-ignored places."""

    service: str
    facts: Mapping[str, str]

    def values(self, defaults: Mapping[str, str]) -> dict[str, str]:
        """Its facts by qualified name; a fact it does not give is the project database's
        (``db_host``: one machine), never its password."""
        own = {
            "db_host": defaults.get("db_host", "localhost"),
            # The image's defaults: user postgres, a database named for the user, port 5432.
            "db_user": "postgres",
            "db_port": "5432",
            **self.facts,
        }
        own.setdefault("db_name", own["db_user"])
        own["db_service"] = self.service
        return {f"{self.service}.{name}": value for name, value in own.items()}


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
    # Databases besides the project's own, by compose service.
    databases: Mapping[str, Database] = field(default_factory=dict)
