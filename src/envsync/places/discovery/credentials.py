"""Is this value the database's? URLs and families of parts, judged against the service.

A value is a place only when it is about the database service: a URL whose host is the service
(the network view) or the host side of its published port (the host view), or a family of parts
(``POSTGRES_USER``/``POSTGRES_PASSWORD``...) whose host is one of those or whose values are the
service's own. ``FIRST_SUPERUSER_PASSWORD=changethis`` is not the database password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from envsync import database_url
from envsync.formats import Document
from envsync.formats.compose_file import CONTAINER_PORT
from envsync.places.discovery import walk
from envsync.places.discovery.results import Database, Found, Harvest
from envsync.places.model import VIEWS, Format, Place, Url, View

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_DATABASE_IMAGE = re.compile(r"(postgres(ql)?|pgvector|postgis|timescaledb(-ha)?)")
_PART_KEY = re.compile(
    r"(?:(?P<prefix>[A-Z0-9_]*?)_)?(?P<family>POSTGRES|POSTGRESQL|DATABASE|DB)_"
    r"(?P<part>USER|USERNAME|PASSWORD|PASS|DB|NAME|DATABASE|HOST|SERVER|PORT)"
)
_PG_KEY = re.compile(r"PG(?P<part>USER|PASSWORD|DATABASE|HOST|PORT)")
_PART_FACTS = {
    "USER": "db_user",
    "USERNAME": "db_user",
    "PASSWORD": "db_password",
    "PASS": "db_password",
    "DB": "db_name",
    "NAME": "db_name",
    "DATABASE": "db_name",
}
HOST_PARTS = ("HOST", "SERVER")
# Facts found by value beside the password: (fact, Database attribute, the key's last words).
_BY_VALUE = (
    ("db_password", "password", ()),
    ("db_user", "user", ("USER", "USERNAME", "LOGIN")),
    ("db_name", "name", ("NAME", "DATABASE", "DB", "DBNAME")),
)
_SCHEMES = ("postgresql", "postgres")
_WHOLE_REFERENCE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(?:[:?+\-][^}]*)?\}?")


@dataclass(frozen=True)
class Part:
    """One member of a family of parts: where it is, its value, and its text as written."""

    locator: str
    value: str
    source: str | None


def is_database_image(image: str) -> bool:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return _DATABASE_IMAGE.fullmatch(name) is not None


def postgres_url(value: str | None) -> database_url.DatabaseUrl | None:
    parsed = database_url.parse(value or "")
    if parsed is None or parsed.drivername.partition("+")[0] not in _SCHEMES:
        return None
    return parsed


def whole_reference(doc: Document, source: object) -> str | None:
    """The variable a value is written as, when it is one reference and nothing else."""
    if not isinstance(source, str):
        return None
    names = doc.references(source)
    if len(names) == 1 and _WHOLE_REFERENCE.fullmatch(source.strip()):
        return names[0]
    return None


def scan(
    db: Database,
    doc: Document,
    path: str,
    fmt: Format,
    keys: Iterable[tuple[str, str]],
    *,
    database: bool = False,
    loaded: bool = False,
) -> Harvest:
    """URL values and part families among ``keys`` (locator, variable name). ``database``: the
    file is the database service's own, so its family needs no host to be the database's;
    ``loaded``: an application service loads it (``env_file:``), so its URLs are candidates."""
    example = walk.is_example(path)
    harvest = Harvest()
    families: dict[tuple[str, str], dict[str, Part]] = {}
    unnamed: dict[str, Part] = {}
    for locator, key in keys:
        reading = doc.read(locator)
        value = reading.value if isinstance(reading.value, str) else None
        source = reading.source if isinstance(reading.source, str) else None
        parsed = postgres_url(value)
        if parsed is not None:
            harvest.add(url(db, path, fmt, locator, parsed, example=example, loaded=loaded))
            continue
        match = _PART_KEY.fullmatch(key) or _PG_KEY.fullmatch(key)
        if value is None:
            continue
        if match is None:
            unnamed[key] = Part(locator, value, source)
            continue
        groups = match.groupdict()
        family = (groups.get("prefix") or "", groups.get("family") or "PG")
        families.setdefault(family, {})[match["part"]] = Part(locator, value, source)
    for parts in families.values():
        harvest.add(family_places(db, doc, path, fmt, parts, example=example, database=database))
    if loaded and not example:
        harvest.add(_by_value(db, doc, path, fmt, unnamed))
    return harvest


def _by_value(
    db: Database, doc: Document, path: str, fmt: Format, unnamed: Mapping[str, Part]
) -> Harvest:
    """Variables of any name (``SQL_PASSWORD``, ``APP__DB__PASS``) in what an application loads
    whose value is the database's password; then, beside one, those named for a user or a
    database that hold the database's."""
    if not db.password or not any(p.value == db.password for p in unnamed.values()):
        return Harvest()
    harvest = Harvest()
    for key, part in unnamed.items():
        word = re.split(r"[_\W]+", key.upper())[-1]
        fact = next(
            (
                fact
                for fact, own, words in _BY_VALUE
                if part.value == getattr(db, own) and (not words or word in words)
            ),
            None,
        )
        if fact is None:
            continue
        via = whole_reference(doc, part.source) if fmt == "compose" else None
        place = Place(path, fmt, part.locator, f"{{{fact}}}", via=via)
        harvest.found.append(Found(place.where(), {fact: part.value}, place))
    return harvest


def url(
    db: Database,
    path: str,
    fmt: Format,
    locator: str,
    parsed: database_url.DatabaseUrl,
    *,
    example: bool = False,
    ci: Mapping[str, str] | None = None,
    loaded: bool = False,
) -> Harvest:
    """The URL at ``locator`` as a place of ``db``, or a note saying why it is not one.

    ``ci`` names the facts of a CI workflow's own database (user, name, password), whose URL
    keeps its host and port. ``loaded``: the application loads the file, so a URL on this
    machine is the database's even on another port (the incident: it shows in the table)."""
    where = f"{path}: {locator}"
    overrides: dict[str, str] = {}
    values: dict[str, str] = {}
    port = parsed.port
    spelled_host = None
    elsewhere = False  # on this machine, but not on the port the database publishes
    view: View
    if ci is not None:
        view = "host"
        overrides["host"] = parsed.host or ""
        overrides["port"] = "" if port is None else str(port)
    elif parsed.host in db.names:
        view = "network"
        if port is not None and str(port) != CONTAINER_PORT:
            return Harvest(notes=[f"{where}: not managed (port {port} is not the container's)"])
        if parsed.host != db.service:
            overrides["host"] = parsed.host or ""
    elif parsed.host in db.others:
        return Harvest(notes=[f"{where}: not managed (service {parsed.host} is another database)"])
    elif parsed.host in LOCAL_HOSTS:
        elsewhere = db.port is not None and str(port or CONTAINER_PORT) != db.port
        candidate = loaded and not example and fmt == "dotenv"
        if db.port is None or (elsewhere and not candidate):
            why = (
                "and the database publishes no port"
                if db.port is None
                else f"not the database's published port {db.port}"
            )
            shown = f"{parsed.host}:{port or CONTAINER_PORT}"
            return Harvest(notes=[f"{where}: not managed (it points at {shown}, {why})"])
        view = "host"
        spelled_host = parsed.host
    else:
        return Harvest()
    if parsed.user is None or parsed.database is None:
        return Harvest(notes=[f"{where}: not managed (the URL names no user or database)"])
    if port is None and not elsewhere:
        overrides["port"] = ""
    elif view == "host" and "port" not in overrides:
        values["db_port"] = str(port or CONTAINER_PORT)
    if parsed.password is None:
        overrides["password"] = ""
    facts = dict(ci or {})
    user_fact = facts.get("user", "db_user")
    name_fact = facts.get("name", "db_name")
    password_fact = facts.get("password", "db_password")
    values[user_fact] = parsed.user
    values[name_fact] = parsed.database
    if parsed.password is not None:
        values[password_fact] = parsed.password
    parts: dict[str, str | None] = {"drivername": None, **VIEWS[view]}
    parts.update(
        {
            "user": f"{{{user_fact}}}",
            "database": f"{{{name_fact}}}",
            "password": f"{{{password_fact}}}",
        }
    )
    notes = []
    if ci is None and _another_database(db, parsed):
        # Same server, same login, another database (``app_test`` beside ``app``): the place
        # keeps its own database while the rest follows the facts.
        parts["database"] = str(parsed.database).replace("{", "{{").replace("}", "}}")
        del values[name_fact]
        notes.append(
            f"{where}: a database of its own ({parsed.database}) on the same server: the map "
            f'pins it (database = "{parsed.database}"); the rest follows the facts'
        )
    parts.update(overrides)
    place = Place(path, fmt, locator, url=Url(parts, view), example=example)
    if example and not example_agrees(db, values):
        return Harvest(notes=[f"{where}: not managed (an example that names other values)"])
    found = Found(place.where(), values, place, not example, parsed.drivername, spelled_host)
    return Harvest([found], notes)


def _another_database(db: Database, parsed: database_url.DatabaseUrl) -> bool:
    if parsed.database in (None, db.name) or parsed.user != db.user:
        return False
    return None in (parsed.password, db.password) or parsed.password == db.password


def example_agrees(db: Database, values: Mapping[str, str]) -> bool:
    own = {"db_user": db.user, "db_name": db.name, "db_port": db.port}
    return all(own.get(name) in (None, value) for name, value in values.items())


def family_places(
    db: Database,
    doc: Document,
    path: str,
    fmt: Format,
    parts: Mapping[str, Part],
    *,
    example: bool,
    database: bool,
) -> Harvest:
    """The places of one family of parts (``POSTGRES_HOST``, ``POSTGRES_PASSWORD``...)."""
    host = next((parts[p] for p in HOST_PARTS if p in parts), None)
    port = parts.get("PORT")
    view = None
    if host is not None:
        if host.value in db.names:
            view = "network"
        elif host.value in LOCAL_HOSTS and db.port is not None:
            if port is not None and port.value != db.port:
                return Harvest()
            view = "host"
        else:
            return Harvest()  # another server's credentials
    elif not database:
        own = {"db_user": db.user, "db_password": db.password, "db_name": db.name}
        if not any(
            own.get(_PART_FACTS.get(name, "")) == part.value for name, part in parts.items()
        ):
            return Harvest()  # names like the database's, values of something else
    harvest = Harvest()
    for name, part in parts.items():
        fact = _PART_FACTS.get(name)
        spelled_host = None
        if name in HOST_PARTS:
            if view == "network" and part.value == db.service:
                fact = "db_service"
            elif view == "host":
                fact, spelled_host = "db_host", part.value
            else:
                continue
        elif name == "PORT":
            if view == "network" or part.value != db.port:
                continue
            fact = "db_port"
        assert fact is not None
        if example and not example_agrees(db, {fact: part.value}):
            continue
        via = whole_reference(doc, part.source) if fmt == "compose" else None
        place = Place(path, fmt, part.locator, f"{{{fact}}}", example=example, via=via)
        values = {} if fact == "db_service" else {fact: part.value}
        harvest.found.append(Found(place.where(), values, place, not example, host=spelled_host))
    return harvest


def settle_host(found: list[Found]) -> tuple[list[Found], str | None]:
    """The host side's address is what the first host-view place spells (``localhost``); a URL
    that spells it otherwise keeps its own, a part that names another host is not a place."""
    db_host = next((f.host for f in found if f.host is not None), None)
    settled = []
    for f in found:
        if f.host is not None and f.host != db_host:
            if f.place is None or f.place.url is None:
                continue
            url_place = f.place.url
            own = Url({**url_place.parts, "host": f.host}, url_place.view)
            f = replace(f, place=replace(f.place, url=own))
        settled.append(f)
    return settled, db_host
