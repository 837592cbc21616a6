"""What discovery returns: the database service, and every place with what it holds now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from envsync.places.model import Place


@dataclass(frozen=True)
class Found:
    """A place and the facts it holds now (fact name -> value as its consumer reads it).

    ``place`` is None for what the image does by default (no POSTGRES_USER: ``postgres``).
    ``counts`` is False for a place whose values do not vote (an example file).
    """

    label: str
    values: Mapping[str, str]
    place: Place | None = None
    counts: bool = True
    scheme: str | None = None  # a URL's scheme as written (``postgresql+asyncpg``)
    # The host a host-view place spells (``localhost``); the first one is the project's db_host.
    host: str | None = None

    @property
    def file(self) -> str:
        return self.place.file if self.place else self.label.partition(":")[0]


@dataclass(frozen=True)
class Database:
    """The compose service that runs PostgreSQL, as compose sees it."""

    directory: str  # the compose project's directory, relative ("." at the root)
    files: tuple[str, ...]  # the compose files that describe it
    project: tuple[str, ...]  # every file of its compose project, in compose's order
    service: str
    image: str | None
    container: str | None
    user: str
    password: str | None
    name: str
    port: str | None  # the host port published for 5432, None when none is
    # The other database services of the compose project: databases of their own.
    others: frozenset[str] = frozenset()

    @property
    def names(self) -> frozenset[str]:
        """Host names the service answers to inside the compose network."""
        return frozenset(name for name in (self.service, self.container) if name)


@dataclass(frozen=True)
class Discovery:
    database: Database
    found: tuple[Found, ...]
    db_host: str | None  # the host side's address, as the first host-view place spells it
    instructions: str | None  # CLAUDE.md or AGENTS.md, when the project has one
    section: bool  # whether it already has the envsync section
    notes: tuple[str, ...] = field(default=())
    # Where ``adopt --add-port`` publishes the database's port when it publishes none.
    port_place: Place | None = None
    # The compose files to name (``-f``) because compose would not find them by itself.
    compose_files: tuple[str, ...] = ()
    # Places ``--exclude`` left out: the map ignores them (they belong to something else).
    excluded: tuple[Place, ...] = ()
    # The compose project's other database services: databases of their own, whose places
    # are in ``found`` with their facts named for them (``db_test.db_password``).
    others: tuple[Database, ...] = ()


@dataclass
class Harvest:
    """What one reader found, in order: places, and notes for the user on what it left."""

    found: list[Found] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, more: Harvest) -> None:
        self.found += more.found
        self.notes += more.notes

    @classmethod
    def of(cls, harvests: Iterable[Harvest]) -> Harvest:
        whole = cls()
        for harvest in harvests:
            whole.add(harvest)
        return whole
