"""Discovery: every place where an existing project already spells its database credentials.

``envsync adopt`` starts here. Each file is read as its consumer reads it (compose with its
interpolation, python-dotenv, Alembic's configparser, a workflow as plain YAML) and becomes
places, each with the values it holds now. Nothing here writes, and nothing here decides which
value is the truth: that is adopt's business.

A value is a place only when it is about the database service: a URL whose host is the service
(the network view) or the host side of its published port (the host view), or a family of parts
(``POSTGRES_USER``/``POSTGRES_PASSWORD``...) whose host is one of those or whose values are the
service's own. ``FIRST_SUPERUSER_PASSWORD=changethis`` is not the database password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from envsync import database_url
from envsync.errors import EnvsyncError
from envsync.formats import Document, markdown_section, yaml_nodes
from envsync.formats.compose_file import ComposeDocument, interpolation_file
from envsync.places.model import VIEWS, Place, Url
from envsync.plan import Workspace

# What the postgres image does without POSTGRES_USER / POSTGRES_DB, and libpq without a port.
IMAGE_DEFAULT_USER = "postgres"
CONTAINER_PORT = "5432"
# Where assistants read the project's notes, in the order adopt prefers them.
INSTRUCTION_FILES = ("CLAUDE.md", "AGENTS.md")
# The names compose looks for, in its own order; then override files.
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Facts the CI database has of its own (a throwaway, never the development password).
CI_PASSWORD = "ci_db_password"

_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        "node_modules",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "dist",
        "build",
        "site-packages",
        ".envsync",
        ".idea",
        ".vscode",
    }
)
_MAX_DEPTH = 4
_COMPOSE = re.compile(r"(docker-)?compose([.-][^/]*)?\.ya?ml")
_OVERRIDE = re.compile(r"(docker-)?compose\.override\.ya?ml")
# Files that describe another database than the development one.
_PRODUCTION = re.compile(r"prod", re.I)
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
_HOST_PARTS = ("HOST", "SERVER")
_EXAMPLE = re.compile(r"example|sample|template|dist|tmpl", re.I)
_SCHEMES = ("postgresql", "postgres")
_EXPRESSION = "${{"  # a GitHub Actions expression: the runner's, not a value


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

    @property
    def file(self) -> str:
        return self.place.file if self.place else self.label.partition(":")[0]


@dataclass(frozen=True)
class Database:
    """The compose service that runs PostgreSQL, as compose sees it."""

    directory: str  # the compose project's directory, relative ("." at the root)
    files: tuple[str, ...]  # the compose files that describe it
    service: str
    image: str | None
    container: str | None
    user: str
    password: str | None
    name: str
    port: str | None  # the host port published for 5432, None when none is

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


def discover(project_dir: Path, *, service: str | None = None) -> Discovery:
    return _Discoverer(project_dir).run(service)


# -- walking the project -----------------------------------------------------------------------


def project_files(project_dir: Path) -> list[str]:
    """Every file of the project (relative, posix), skipping tool and dependency directories."""
    found = []
    root = project_dir.resolve()
    for directory, dirs, files in os.walk(root):
        relative = Path(directory).relative_to(root)
        depth = len(relative.parts)
        dirs[:] = sorted(
            d for d in dirs if d not in _SKIP_DIRS and depth < _MAX_DEPTH and d != ".github"
        )
        if depth == 0 and (root / ".github/workflows").is_dir():
            dirs_github = sorted(
                f".github/workflows/{name}" for name in os.listdir(root / ".github/workflows")
            )
            found += [name for name in dirs_github if (root / name).is_file()]
        found += sorted((relative / name).as_posix() for name in files)
    return sorted(found, key=lambda path: (path.count("/"), path))


def _is_env_file(path: str) -> bool:
    posix = PurePosixPath(path)
    name = posix.name
    if name == ".envrc":
        return False
    if ".envs" in posix.parts[:-1]:
        return True
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def _is_example(path: str) -> bool:
    return bool(_EXAMPLE.search(PurePosixPath(path).name))


def _quoted(segment: str) -> str:
    return f'"{segment}"' if "." in segment else segment


def _is_database_image(image: str) -> bool:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return _DATABASE_IMAGE.fullmatch(name) is not None


def _postgres_url(value: str | None) -> database_url.DatabaseUrl | None:
    parsed = database_url.parse(value or "")
    if parsed is None or parsed.drivername.partition("+")[0] not in _SCHEMES:
        return None
    return parsed


class _Discoverer:
    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.files = project_files(project_dir)
        self.workspace = Workspace(project_dir, {}, os.environ)
        self.notes: list[str] = []
        self.found: list[Found] = []
        self.seen: set[tuple[str, str]] = set()
        self.db_host: str | None = None
        self.compose_paths: list[str] = []

    # -- files -------------------------------------------------------------------------------

    def text(self, path: str) -> str | None:
        return self.workspace.text(path)

    def document(self, path: str, fmt: str) -> Document | None:
        return self.workspace.document(path, fmt)

    def add(self, found: Found) -> None:
        if found.place is not None:
            key = (found.place.file, found.place.key)
            if key in self.seen:
                return
            self.seen.add(key)
        self.found.append(found)

    # -- the database service ----------------------------------------------------------------

    def run(self, service: str | None) -> Discovery:
        db = self.database(service)
        self.db = db
        self.database_places(db)
        self.compose_services(db)
        for path in self.env_files(db):
            self.env_file(path)
        for path in self.files:
            if PurePosixPath(path).name == "alembic.ini":
                self.alembic(path)
        for path in self.files:
            if path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml")):
                self.workflow(path)
        instructions, section = self.instructions()
        return Discovery(
            db,
            tuple(self.found),
            self.db_host,
            instructions,
            section,
            tuple(self.notes),
            self.port_place(db),
        )

    def port_place(self, db: Database) -> Place | None:
        """The override file when the project has one (a published port is a local choice; the
        base file may be the one a deployment reads), else the database's own compose file."""
        if db.port is not None:
            return None
        overrides = [
            path
            for path in self.compose_paths
            if PurePosixPath(path).parent.as_posix() == db.directory
            and _OVERRIDE.fullmatch(PurePosixPath(path).name)
        ]
        file = overrides[0] if overrides else db.files[0]
        return Place(file, "compose", f"services.{_quoted(db.service)}.ports", "{db_port}")

    def compose_files(self) -> list[str]:
        found = []
        for path in self.files:
            name = PurePosixPath(path).name
            if not _COMPOSE.fullmatch(name) or path.startswith(".github/"):
                continue
            if _PRODUCTION.search(name):
                self.notes.append(f"{path}: not read (a production compose file)")
                continue
            found.append(path)

        def order(path: str) -> tuple[int, int, str]:
            name = PurePosixPath(path).name
            rank = (
                COMPOSE_NAMES.index(name)
                if name in COMPOSE_NAMES
                else len(COMPOSE_NAMES) + (0 if _OVERRIDE.fullmatch(name) else 1)
            )
            return path.count("/"), rank, path

        return sorted(found, key=order)

    def database(self, wanted: str | None) -> Database:
        compose_files = self.compose_paths = self.compose_files()
        if not compose_files:
            raise EnvsyncError(
                f"{self.project_dir}: no compose file (compose.yaml, docker-compose.yml, ...) here "
                "or in a subdirectory; run adopt with -C DIR on the directory that holds it"
            )
        by_image: dict[tuple[str, str], list[str]] = {}
        by_environment: dict[tuple[str, str], list[str]] = {}
        mentioned: dict[tuple[str, str], list[str]] = {}
        hosts: set[tuple[str, str]] = set()
        for path in compose_files:
            doc = self.document(path, "compose")
            assert isinstance(doc, ComposeDocument)
            directory = PurePosixPath(path).parent.as_posix()
            for name, node in _services(doc):
                key = (directory, name)
                mentioned.setdefault(key, []).append(path)
                image = _scalar(doc, node, "image")
                if image is not None and _is_database_image(image):
                    by_image.setdefault(key, []).append(path)
                else:
                    environment = self.service_environment(doc, name)
                    if any(k.startswith("POSTGRES_") for k in environment):
                        by_environment.setdefault(key, []).append(path)
                        hosts.update(
                            (directory, value or "")
                            for k, value in environment.items()
                            if k.endswith(_HOST_PARTS)
                        )
        # Without a database image, the service others name as their host is the database
        # (the app carries the same POSTGRES_* file, with POSTGRES_HOST pointing at it).
        named = [key for key in by_environment if key in hosts]
        candidates = list(by_image) or named or list(by_environment)
        if wanted is not None:
            candidates = [key for key in mentioned if key[1] == wanted]
            if not candidates:
                raise EnvsyncError(
                    f"--service {wanted}: no compose file here has that service "
                    f"(found: {', '.join(sorted({k[1] for k in mentioned}))})"
                )
        if not candidates:
            raise EnvsyncError(
                f"{compose_files[0]}: no database service (no postgres, pgvector, postgis or "
                "timescale image, no POSTGRES_* environment); name it with --service NAME"
            )
        if len(candidates) > 1:
            shown = ", ".join(
                f"{name} ({directory}/)" if directory != "." else name
                for directory, name in candidates
            )
            directories = {directory for directory, _ in candidates}
            way = (
                "choose one with --service NAME"
                if len(directories) == 1
                else "choose one with --service NAME, or run adopt with -C DIR on one directory"
            )
            raise EnvsyncError(f"services {shown} could each be the database; {way}")
        directory, name = candidates[0]
        files = tuple(mentioned[(directory, name)])
        for path in compose_files:
            if PurePosixPath(path).parent.as_posix() != directory:
                self.notes.append(f"{path}: not read (another compose project than {files[0]})")
        return self.read_database(directory, name, files)

    def service_environment(self, doc: ComposeDocument, service: str) -> dict[str, str | None]:
        """The service's variables (``environment:`` over ``env_file:``), as compose gives them."""
        found: dict[str, str | None] = {}
        for path in self.service_env_files(doc, service):
            document = self.document(path, "dotenv")
            if document is not None:
                for key in _dotenv_keys(document):
                    found[key] = document.read(key).value  # type: ignore[assignment]
        for key in _environment_keys(doc, service):
            value = doc.read(f"services.{_quoted(service)}.environment.{_quoted(key)}").value
            found[key] = value if isinstance(value, str) else None
        return found

    def service_env_files(self, doc: ComposeDocument, service: str) -> list[str]:
        node = doc.find(f"services.{_quoted(service)}.env_file").node
        if node is None:
            return []
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        base = PurePosixPath(doc.path).parent
        paths = []
        for item in items:
            target = item
            if isinstance(item, yaml.MappingNode):
                pair = yaml_nodes.mapping_get(item, "path", doc.path)
                if pair is None:
                    continue
                target = pair[1]
            if isinstance(target, yaml.ScalarNode):
                relative = doc.string(target) or ""
                paths.append(_normal(base / relative))
        return paths

    def read_database(self, directory: str, service: str, files: tuple[str, ...]) -> Database:
        environment: dict[str, str | None] = {}
        image = container = port = None
        for path in files:
            doc = self.document(path, "compose")
            assert isinstance(doc, ComposeDocument)
            environment.update(self.service_environment(doc, service))
            node = doc.find(f"services.{_quoted(service)}").node
            if isinstance(node, yaml.MappingNode):
                image = _scalar(doc, node, "image") or image
                container = _scalar(doc, node, "container_name") or container
            published = doc.read(f"services.{_quoted(service)}.ports")
            if isinstance(published.value, str) and published.value.isdigit():
                port = published.value
        user = environment.get("POSTGRES_USER") or IMAGE_DEFAULT_USER
        return Database(
            directory=directory,
            files=files,
            service=service,
            image=image,
            container=container,
            user=user,
            password=environment.get("POSTGRES_PASSWORD") or None,
            name=environment.get("POSTGRES_DB") or user,
            port=port,
        )

    def database_places(self, db: Database) -> None:
        service = _quoted(db.service)
        has = {"POSTGRES_USER": False, "POSTGRES_DB": False}
        for path in db.files:
            doc = self.document(path, "compose")
            assert isinstance(doc, ComposeDocument)
            for key, fact in (
                ("POSTGRES_USER", "db_user"),
                ("POSTGRES_PASSWORD", "db_password"),
                ("POSTGRES_DB", "db_name"),
            ):
                locator = f"services.{service}.environment.{key}"
                reading = doc.read(locator)
                if not isinstance(reading.value, str):
                    continue
                has[key] = True
                via = _whole_reference(doc, reading.source)
                place = Place(path, "compose", locator, f"{{{fact}}}", via=via)
                self.add(Found(place.where(), {fact: reading.value}, place))
                if via is not None:
                    self.definition(doc, via, fact)
            for env_file in self.service_env_files(doc, db.service):
                self.env_file(env_file, database=True)
            locator = f"services.{service}.ports"
            reading = doc.read(locator)
            if isinstance(reading.value, str) and reading.value.isdigit():
                place = Place(path, "compose", locator, "{db_port}")
                self.add(Found(place.where(), {"db_port": reading.value}, place))
        defaults = {}
        if not has["POSTGRES_USER"] and not self._env_file_defines(db, "POSTGRES_USER"):
            defaults["db_user"] = IMAGE_DEFAULT_USER
        if not has["POSTGRES_DB"] and not self._env_file_defines(db, "POSTGRES_DB"):
            defaults["db_name"] = db.user
        if defaults:
            label = f"{db.files[0]}: services.{service} (the image's default)"
            self.add(Found(label, defaults))

    def _env_file_defines(self, db: Database, key: str) -> bool:
        return any(
            f.place is not None and f.place.format == "dotenv" and f.place.key == key
            for f in self.found
        )

    def definition(self, doc: ComposeDocument, name: str, fact: str) -> None:
        """The interpolation ``.env`` line that defines a variable a place refers to."""
        target = doc.definition(name)
        if target is None:
            return
        env = self.document(target.file, "dotenv")
        if env is None:
            return
        reading = env.read(target.key)
        if isinstance(reading.value, str):
            place = Place(target.file, "dotenv", target.key, f"{{{fact}}}")
            self.add(Found(place.where(), {fact: reading.value}, place))

    # -- the other services, env files, ini files, workflows ---------------------------------

    def compose_services(self, db: Database) -> None:
        for path in db.files:
            doc = self.document(path, "compose")
            assert isinstance(doc, ComposeDocument)
            for name, _ in _services(doc):
                if name == db.service:
                    continue
                prefix = f"services.{_quoted(name)}.environment."
                keys = _environment_keys(doc, name)
                self.scan(doc, path, "compose", [(prefix + _quoted(k), k) for k in keys])

    def env_files(self, db: Database) -> list[str]:
        named: list[str] = []
        for path in db.files:
            doc = self.document(path, "compose")
            assert isinstance(doc, ComposeDocument)
            for name, _ in _services(doc):
                named += self.service_env_files(doc, name)
        interpolation = interpolation_file(db.files[0])
        found = [interpolation, *named, *(p for p in self.files if _is_env_file(p))]
        return [p for p in dict.fromkeys(found) if self.text(p) is not None]

    def env_file(self, path: str, *, database: bool = False) -> None:
        doc = self.document(path, "dotenv")
        if doc is None:
            return
        keys = _dotenv_keys(doc)
        self.scan(doc, path, "dotenv", [(k, k) for k in keys], database=database)

    def scan(
        self,
        doc: Document,
        path: str,
        fmt: str,
        keys: list[tuple[str, str]],
        *,
        database: bool = False,
    ) -> None:
        """URL values and part families among ``keys`` (locator, variable name)."""
        example = _is_example(path)
        families: dict[tuple[str, str], dict[str, tuple[str, str, str | None]]] = {}
        for locator, key in keys:
            reading = doc.read(locator)
            value = reading.value if isinstance(reading.value, str) else None
            source = reading.source if isinstance(reading.source, str) else None
            parsed = _postgres_url(value)
            if parsed is not None:
                self.url(path, fmt, locator, parsed, example=example)
                continue
            match = _PART_KEY.fullmatch(key) or _PG_KEY.fullmatch(key)
            if match is None or value is None:
                continue
            groups = match.groupdict()
            family = (groups.get("prefix") or "", groups.get("family") or "PG")
            families.setdefault(family, {})[match["part"]] = (locator, value, source)
        for parts in families.values():
            self.family(doc, path, fmt, parts, example=example, database=database)

    def url(
        self,
        path: str,
        fmt: str,
        locator: str,
        parsed: database_url.DatabaseUrl,
        *,
        example: bool = False,
        ci: Mapping[str, str] | None = None,
    ) -> None:
        db = self.db
        where = f"{path}: {locator}"
        overrides: dict[str, str] = {}
        values: dict[str, str] = {}
        port = parsed.port
        if ci is not None:
            view = "host"
            overrides["host"] = parsed.host or ""
            overrides["port"] = "" if port is None else str(port)
        elif parsed.host in db.names:
            view = "network"
            if port is not None and str(port) != CONTAINER_PORT:
                self.notes.append(f"{where}: not managed (port {port} is not the container's)")
                return
            if parsed.host != db.service:
                overrides["host"] = parsed.host or ""
        elif parsed.host in LOCAL_HOSTS:
            if db.port is None or str(port or CONTAINER_PORT) != db.port:
                self.notes.append(
                    f"{where}: not managed (it points at {parsed.host}:{port or CONTAINER_PORT}, "
                    + (
                        "and the database publishes no port)"
                        if db.port is None
                        else f"not the database's published port {db.port})"
                    )
                )
                return
            view = "host"
            if self.db_host is None:
                self.db_host = parsed.host
            elif parsed.host != self.db_host:
                overrides["host"] = parsed.host or ""
        else:
            return
        if parsed.user is None or parsed.database is None:
            self.notes.append(f"{where}: not managed (the URL names no user or database)")
            return
        if port is None:
            overrides["port"] = ""
        elif view == "host" and "port" not in overrides:
            values["db_port"] = str(port)
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
        parts.update(overrides)
        place = Place(path, fmt, locator, url=Url(parts, view), example=example)
        if example and not self._example_agrees(values):
            self.notes.append(f"{where}: not managed (an example that names other values)")
            return
        self.add(Found(place.where(), values, place, not example, parsed.drivername))

    def _example_agrees(self, values: Mapping[str, str]) -> bool:
        db = self.db
        own = {"db_user": db.user, "db_name": db.name, "db_port": db.port}
        return all(own.get(name) in (None, value) for name, value in values.items())

    def family(
        self,
        doc: Document,
        path: str,
        fmt: str,
        parts: dict[str, tuple[str, str, str | None]],
        *,
        example: bool,
        database: bool,
    ) -> None:
        db = self.db
        host = next((parts[p] for p in _HOST_PARTS if p in parts), None)
        port = parts.get("PORT")
        view = None
        if host is not None:
            if host[1] in db.names:
                view = "network"
            elif host[1] in LOCAL_HOSTS and db.port is not None:
                if port is not None and port[1] != db.port:
                    return
                view = "host"
            else:
                return  # another server's credentials
        elif not database:
            own = {"db_user": db.user, "db_password": db.password, "db_name": db.name}
            if not any(
                own.get(_PART_FACTS.get(part, "")) == value for part, (_, value, _) in parts.items()
            ):
                return  # names like the database's, values of something else
        for part, (locator, value, source) in parts.items():
            fact = _PART_FACTS.get(part)
            if part in _HOST_PARTS:
                if view == "network" and value == db.service:
                    fact = "db_service"
                elif view == "host" and value == (self.db_host or value):
                    self.db_host = value
                    fact = "db_host"
                else:
                    continue
            elif part == "PORT":
                if view == "network" or value != db.port:
                    continue
                fact = "db_port"
            assert fact is not None
            if example and not self._example_agrees({fact: value}):
                continue
            via = _whole_reference(doc, source) if fmt == "compose" else None
            place = Place(path, fmt, locator, f"{{{fact}}}", example=example, via=via)
            values = {} if fact == "db_service" else {fact: value}
            self.add(Found(place.where(), values, place, counts=not example))

    def alembic(self, path: str) -> None:
        doc = self.document(path, "ini")
        if doc is None:
            return
        locator = "[alembic] sqlalchemy.url"
        reading = doc.read(locator)
        value = reading.value if isinstance(reading.value, str) else None
        parsed = _postgres_url(value)
        if parsed is None:
            if value:
                self.notes.append(f"{path}: sqlalchemy.url is a placeholder; left as it is")
            return
        env_py = self.env_py(path)
        if env_py is not None:
            before = len(self.found)
            self.url(path, "ini", locator, parsed)
            added = self.found[before:]
            if added and any(
                added[0].values.get(fact) not in (None, own)
                for fact, own in (
                    ("db_user", self.db.user),
                    ("db_password", self.db.password),
                    ("db_name", self.db.name),
                    ("db_port", self.db.port),
                )
            ):
                del self.found[before:]
                self.seen.discard((path, locator))
                self.notes.append(
                    f"{path}: sqlalchemy.url is unused ({env_py} sets the URL itself) and "
                    "differs; left as it is"
                )
            elif added:
                self.notes.append(f"{path}: sqlalchemy.url is unused ({env_py} sets the URL)")
            return
        self.url(path, "ini", locator, parsed)

    def env_py(self, ini_path: str) -> str | None:
        """env.py beside ``ini_path`` when it takes the URL from elsewhere than the ini."""
        doc = self.document(ini_path, "ini")
        assert doc is not None
        location = doc.read("[alembic] script_location").value
        if not isinstance(location, str) or (":" in location and not location.startswith("/")):
            return None
        here = self.project_dir / PurePosixPath(ini_path).parent
        env_py = Path(location) if Path(location).is_absolute() else here / location
        env_py = env_py / "env.py"
        try:
            shown = env_py.resolve().relative_to(self.project_dir.resolve()).as_posix()
        except ValueError:
            return None
        text = self.text(shown)
        if text is None:
            return None
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        if "set_main_option" in code or "create_engine(" in code or "create_async_engine(" in code:
            return shown
        return None

    def workflow(self, path: str) -> None:
        text = self.text(path)
        try:
            data = yaml.safe_load(text or "")
        except yaml.YAMLError:
            self.notes.append(f"{path}: not read (not valid YAML)")
            return
        jobs = data.get("jobs") if isinstance(data, dict) else None
        for job, spec in (jobs or {}).items():
            if not isinstance(spec, dict) or not isinstance(spec.get("services"), dict):
                continue
            for name, container in spec["services"].items():
                if not isinstance(container, dict):
                    continue
                if not _is_database_image(str(container.get("image", ""))):
                    continue
                self.ci_service(path, str(job), str(name), container, spec)

    def ci_service(
        self, path: str, job: str, name: str, container: dict[str, object], spec: dict
    ) -> None:
        env = container.get("env") if isinstance(container.get("env"), dict) else {}
        assert isinstance(env, dict)
        base = f"jobs.{_quoted(job)}.services.{_quoted(name)}.env."
        user = str(env.get("POSTGRES_USER", IMAGE_DEFAULT_USER))
        database = str(env.get("POSTGRES_DB", user))
        facts = {
            "user": "db_user" if user == self.db.user else "ci_db_user",
            "name": "db_name" if database == self.db.name else "ci_db_name",
            "password": CI_PASSWORD,
        }
        for key, part in (
            ("POSTGRES_USER", "user"),
            ("POSTGRES_PASSWORD", "password"),
            ("POSTGRES_DB", "name"),
        ):
            value = env.get(key)
            if not isinstance(value, str | int) or _EXPRESSION in str(value):
                continue
            place = Place(path, "workflow", base + key, f"{{{facts[part]}}}")
            self.add(Found(place.where(), {facts[part]: str(value)}, place))
        for prefix, variables in _job_environments(job, spec):
            for key, value in variables.items():
                parsed = _postgres_url(str(value)) if isinstance(value, str) else None
                if parsed is None or _EXPRESSION in str(value):
                    continue
                self.url(path, "workflow", prefix + _quoted(str(key)), parsed, ci=facts)

    def instructions(self) -> tuple[str | None, bool]:
        for name in INSTRUCTION_FILES:
            text = self.text(name)
            if text is None:
                continue
            section = markdown_section.locate(text.splitlines(keepends=True), name)
            if section is not None:
                self.section_places(name)
            return name, section is not None
        return None, False

    def section_places(self, path: str) -> None:
        doc = self.document(path, "markdown")
        assert doc is not None
        for label, fact in (
            ("service", "db_service"),
            ("user", "db_user"),
            ("password", "db_password"),
            ("database", "db_name"),
            ("host", "db_host"),
            ("port", "db_port"),
        ):
            reading = doc.read(label)
            if isinstance(reading.value, str) and reading.value:
                place = Place(path, "markdown", label, f"{{{fact}}}")
                self.add(Found(place.where(), {fact: reading.value}, place, counts=False))


# -- small readers -------------------------------------------------------------------------------


def _normal(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _services(doc: ComposeDocument) -> Iterator[tuple[str, yaml.MappingNode]]:
    node = doc.find("services").node
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.MappingNode):
            yield key.value, value


def _scalar(doc: ComposeDocument, node: yaml.MappingNode, key: str) -> str | None:
    pair = yaml_nodes.mapping_get(node, key, doc.path)
    if pair is None or not isinstance(pair[1], yaml.ScalarNode):
        return None
    return doc.string(pair[1])


def _environment_keys(doc: ComposeDocument, service: str) -> list[str]:
    node = doc.find(f"services.{_quoted(service)}.environment").node
    if isinstance(node, yaml.MappingNode):
        return [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    if isinstance(node, yaml.SequenceNode):
        return [
            item.value.partition("=")[0] for item in node.value if isinstance(item, yaml.ScalarNode)
        ]
    return []


def _dotenv_keys(doc: Document) -> list[str]:
    bindings = getattr(doc, "bindings", [])
    return list(dict.fromkeys(b.key for b in bindings if b.key))


def _whole_reference(doc: Document, source: object) -> str | None:
    """The variable a value is written as, when it is one reference and nothing else."""
    if not isinstance(source, str):
        return None
    names = doc.references(source)
    if len(names) != 1:
        return None
    if re.fullmatch(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(?:[:?+\-][^}]*)?\}?", source.strip()):
        return names[0]
    return None


def _job_environments(job: str, spec: dict) -> Iterator[tuple[str, dict]]:
    if isinstance(spec.get("env"), dict):
        yield f"jobs.{_quoted(job)}.env.", spec["env"]
    for index, step in enumerate(spec.get("steps") or []):
        if isinstance(step, dict) and isinstance(step.get("env"), dict):
            yield f"jobs.{_quoted(job)}.steps.{index}.env.", step["env"]


__all__ = ["Database", "Discovery", "Found", "discover"]
