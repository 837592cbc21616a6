"""This project's database as its map describes it, for the live commands.

``db up``, ``db status``, ``db down``, ``doctor`` and ``set``'s live change start here instead of
from fixed file names: the compose file(s) the map names for the database service (``compose.yaml``
with a root ``.env`` as well as the template's ``docker-compose.yml``), the ``POSTGRES_*`` values
compose gives the container (interpolation and ``env_file:`` applied, the image's defaults
where a value is absent), the host port it publishes (none: only its container reaches it), and
the URL the application connects with (the map's first host-view URL place).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from envsync import database_url, file_io, plan
from envsync import facts as facts_module
from envsync.answers import Answers
from envsync.database_url import DatabaseUrl
from envsync.errors import DatabaseError, FormatError, NoComposeService
from envsync.facts import Facts
from envsync.formats import Context, document
from envsync.formats.compose_names import DEFAULT_NAMES, OVERRIDE_NAMES
from envsync.formats.yaml_document import join_locator
from envsync.live.initdb import ServerSpec
from envsync.places.discovery.compose_services import compose_document, service_chain
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Place, PlaceMap
from envsync.workspace import Workspace

__all__ = [
    "STATE_DIR",
    "VOLUMES_DIR",
    "AppUrl",
    "ComposeService",
    "ProjectDatabase",
    "compose_service",
    "load",
    "state_dir",
]

#: envsync's own directory in a project: git-ignored by a ``.gitignore`` of its own.
STATE_DIR = ".envsync"
VOLUMES_DIR = Path(STATE_DIR) / "volumes"
# The official image's default superuser, when POSTGRES_USER is not set.
_IMAGE_USER = "postgres"


@dataclass(frozen=True)
class AppUrl:
    """The URL the application connects with, and the place it was read from."""

    url: DatabaseUrl
    where: str


@dataclass(frozen=True)
class ProjectDatabase:
    project_dir: Path
    facts: Facts
    service: str
    #: The compose files that declare the service, the base before its override.
    compose_files: tuple[str, ...]
    #: What compose must be told (``-f``, the map's ``[compose] files``); empty: its own lookup.
    compose_project: tuple[str, ...]
    #: What compose gives the container on its first start, and the embedded server's port.
    spec: ServerSpec
    #: The host port published for the container's 5432; ``None``: only its container reaches it.
    published: int | None
    app: AppUrl | None
    #: The map's alembic.ini places, in map order.
    alembic_files: tuple[str, ...]

    @property
    def volume(self) -> Path:
        return VOLUMES_DIR / self.service

    @property
    def answers(self) -> Answers:
        """The answers as they describe this database (a second database's facts in place of
        the project's own)."""
        return facts_module.database_answers(self.facts, self.service)


def _reader(project_dir: Path) -> Context:
    def text_of(name: str) -> str | None:
        found = file_io.read(project_dir, name)
        return found.text if found else None

    return Context("", project_dir, os.environ, text_of)


def _read(context: Context, place: Place) -> str | tuple[str, ...] | None:
    text = context.text_of(place.file)
    if text is None:
        return None
    shaped = Context(place.file, context.project_dir, context.environ, context.text_of)
    return document(place.format, text, shaped).read(place.key).value


def _compose_files(
    project_dir: Path, places: list[Place], service: str, project: tuple[str, ...]
) -> tuple[str, ...]:
    prefix = f"services.{service}."
    named = [p.file for p in places if p.format == "compose" and p.key.startswith(prefix)]
    if not named:
        # A map without a place in the service (all its values in an env_file): the files
        # compose is told, else its own default file at the root.
        named = list(project) or [n for n in DEFAULT_NAMES if (project_dir / n).is_file()][:1]
    if not named:
        raise NoComposeService(
            path=MAP_FILE,
            message=f"names no compose file for the database service {service!r}; "
            "add a place in it (`envsync adopt` writes them)",
        )
    unique = list(dict.fromkeys(named))
    return tuple(sorted(unique, key=lambda name: Path(name).name in OVERRIDE_NAMES))


def _service_value(
    workspace: Workspace, files: tuple[str, ...], service: str, *keys: str
) -> str | None:
    """The value compose ends with: an override file's wins over the base file's, and in each
    file the service's own over what it inherits through ``extends:``."""
    found: str | None = None
    for name in files:
        doc = compose_document(workspace, name)
        for base, base_service in service_chain(workspace, doc, service):
            value = base.read(join_locator("services", base_service, *keys)).value
            if isinstance(value, str):
                found = value
                break
    return found


def _app_url(context: Context, places: list[Place]) -> AppUrl | None:
    for place in places:
        if place.url is None or place.url.view != "host" or place.example:
            continue
        if place.format == "markdown" or place.url.parts.get("password") == "":
            continue  # the instructions' URL, written without its password: no app reads it
        if context.text_of(place.file) is None:
            raise FormatError(
                path=place.file, message="not found; run `envsync render` to create it"
            )
        value = _read(context, place)
        parsed = database_url.parse(value) if isinstance(value, str) else None
        if parsed is None or not parsed.user or parsed.password is None or not parsed.host:
            raise FormatError(
                path=place.file,
                message=f"{place.key} is missing or is not a postgresql URL with user, password "
                "and host; run `envsync render` to repair it",
            )
        return AppUrl(parsed, place.where())
    return None


@dataclass(frozen=True)
class ComposeService:
    """The database service as far as finding it goes: its compose files and host port."""

    name: str
    #: The compose files that declare the service, the base before its override.
    files: tuple[str, ...]
    #: What compose must be told (``-f``, the map's ``[compose] files``); empty: its own lookup.
    project: tuple[str, ...]
    #: The host port published for the container's 5432; ``None``: only its container reaches it.
    published: int | None


def _selected(
    project_dir: Path, service: str | None
) -> tuple[PlaceMap, Facts, Answers, list[Place]]:
    """The map, the facts, the answers of the database (the first, or ``service``) and its
    places."""
    place_map, _ = plan.load(project_dir)
    facts = facts_module.load(project_dir, place_map)
    own = facts_module.database_answers(facts, service or facts.answers.db_service)
    database = None if own.db_service == facts.answers.db_service else own.db_service
    places = [
        place.resolved(facts.values) for place in place_map.places if place.database == database
    ]
    return place_map, facts, own, places


def compose_service(project_dir: Path, service: str | None = None) -> ComposeService:
    """Where the database service is (compose files, published port), without the values it
    is given: a ``set`` that repairs those still finds it."""
    place_map, _, own, places = _selected(project_dir, service)
    workspace = Workspace(project_dir, {}, os.environ)
    return _compose_service(workspace, own.db_service, places, place_map.compose_files)


def _compose_service(
    workspace: Workspace, service: str, places: list[Place], project: tuple[str, ...]
) -> ComposeService:
    files = _compose_files(workspace.project_dir, places, service, project)
    published_text = _service_value(workspace, files, service, "ports")
    published = int(published_text) if published_text and published_text.isdigit() else None
    if published_text and published is None:
        raise FormatError(
            path=files[0],
            message=f"services.{service}.ports publishes 5432 on {published_text!r}, not a "
            "port number",
        )
    return ComposeService(service, files, project, published)


def load(project_dir: Path, service: str | None = None) -> ProjectDatabase:
    """Read the map, the facts and the compose file(s) of the project's database service (or
    of ``service``, a second database of the map)."""
    place_map, facts, own, places = _selected(project_dir, service)
    context = _reader(project_dir)
    workspace = Workspace(project_dir, {}, os.environ)
    found = _compose_service(workspace, own.db_service, places, place_map.compose_files)
    service, files, published = found.name, found.files, found.published
    prefix = f"services.{service}"
    environment = {
        key: _service_value(workspace, files, service, "environment", key)
        for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "POSTGRES_DB")
    }
    password = environment["POSTGRES_PASSWORD"]
    if not password and environment["POSTGRES_PASSWORD_FILE"]:
        # The image reads the password from a compose secret: a place of db_password.
        password = own.db_password
    if not password:
        raise FormatError(
            path=files[0],
            message=f"{prefix}.environment: POSTGRES_PASSWORD missing (the postgres image "
            "refuses to start without it); run `envsync render` to restore it",
        )
    user = environment["POSTGRES_USER"] or _IMAGE_USER
    spec = ServerSpec(
        user=user,
        password=password,
        # The image's default: POSTGRES_DB falls back to POSTGRES_USER.
        database=environment["POSTGRES_DB"] or user,
        port=published if published is not None else own.db_port,
        # Resolved inside the project: a cloned repository may commit `.envsync` as a symlink.
        data_dir=file_io.inside(project_dir, f"{VOLUMES_DIR.as_posix()}/{service}"),
    )
    alembic = tuple(dict.fromkeys(p.file for p in places if p.format == "ini"))
    return ProjectDatabase(
        project_dir,
        facts,
        service,
        files,
        place_map.compose_files,
        spec,
        published,
        _app_url(context, places),
        alembic,
    )


def state_dir(project_dir: Path) -> Path:
    """``.envsync/``, created (0700) with its own ``.gitignore`` before anything goes into it,
    so ``git add -A`` never stages a database; a symlink there is refused."""
    path = file_io.inside(project_dir, STATE_DIR)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise DatabaseError(f"{STATE_DIR}: cannot be created: {error.strerror}") from None
    if path.is_symlink() or not path.is_dir():
        raise DatabaseError(
            f"{STATE_DIR} is not a directory of this project (a symlink or a file); remove it"
        )
    # envsync's own file, like the check cache's: not a change of the project's plan.
    with contextlib.suppress(FileExistsError):
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(path / ".gitignore", flags, 0o644), "w") as handle:
            handle.write("*\n")
    return path
