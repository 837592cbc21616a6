"""Places in the compose project: the database service's own ``POSTGRES_*`` and port, the
``.env`` lines they refer to, the other services' environments, and the env files compose and
the application read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from envsync.formats import secret_file
from envsync.formats.compose_file import ComposeDocument, interpolation_file
from envsync.formats.compose_names import OVERRIDE_NAMES
from envsync.formats.yaml_document import join_locator
from envsync.places.discovery import compose_secrets, credentials, walk
from envsync.places.discovery.compose_services import (
    compose_document,
    dotenv_keys,
    env_files,
    environment_keys,
    service_chain,
    services,
)
from envsync.places.discovery.database_service import IMAGE_DEFAULT_USER, connects_to
from envsync.places.discovery.results import Database, Found, Harvest
from envsync.places.model import Place
from envsync.workspace import Workspace

_SERVICE_FACTS = (
    ("POSTGRES_USER", "db_user"),
    ("POSTGRES_PASSWORD", "db_password"),
    ("POSTGRES_DB", "db_name"),
)


def database_places(workspace: Workspace, db: Database) -> Harvest:
    """The service's ``POSTGRES_*`` (in compose or its env files) and its published port; what
    the image does by default where the project sets nothing."""
    harvest = Harvest()
    has = {"POSTGRES_USER": False, "POSTGRES_DB": False}
    for path in db.files:
        chain = service_chain(workspace, compose_document(workspace, path), db.service)
        for key, fact in _SERVICE_FACTS:
            for doc, service in chain:
                locator = join_locator("services", service, "environment", key)
                reading = doc.read(locator)
                if not isinstance(reading.value, str):
                    continue
                has[key] = True
                via = credentials.whole_reference(doc, reading.source)
                place = Place(doc.path, "compose", locator, f"{{{fact}}}", via=via)
                harvest.found.append(Found(place.where(), {fact: reading.value}, place))
                if via is not None:
                    harvest.add(_definition(workspace, doc, via, fact))
                break
        harvest.add(_password_secret(workspace, db, chain))
        for doc, service in chain:
            for env_file in env_files(doc, service):
                harvest.add(env_file_places(workspace, db, env_file, database=True))
        locator = join_locator("services", db.service, "ports")
        reading = chain[0][0].read(locator)
        if isinstance(reading.value, str) and reading.value.isdigit():
            place = Place(path, "compose", locator, "{db_port}")
            harvest.found.append(Found(place.where(), {"db_port": reading.value}, place))
    defined = {
        f.place.key for f in harvest.found if f.place is not None and f.place.format == "dotenv"
    }
    defaults = {}
    if not has["POSTGRES_USER"] and "POSTGRES_USER" not in defined:
        defaults["db_user"] = IMAGE_DEFAULT_USER
    if not has["POSTGRES_DB"] and "POSTGRES_DB" not in defined:
        defaults["db_name"] = db.user
    if defaults:
        label = f"{db.files[0]}: {join_locator('services', db.service)} (the image's default)"
        harvest.found.append(Found(label, defaults))
    return harvest


def _password_secret(
    workspace: Workspace, db: Database, chain: list[tuple[ComposeDocument, str]]
) -> Harvest:
    """The secret ``POSTGRES_PASSWORD_FILE`` names: a file whose content is the password, or
    the interpolation ``.env`` line of the variable compose takes it from."""
    for doc, service in chain:
        locator = join_locator("services", service, "environment", "POSTGRES_PASSWORD_FILE")
        mounted = doc.read(locator).value
        if not isinstance(mounted, str):
            continue
        secret = compose_secrets.mounted_at(workspace, db.project, doc, service, mounted)
        if secret is None:
            return Harvest(notes=[f"{doc.path}: {locator}: not managed (no secret mounted there)"])
        if secret.variable is not None:
            return _definition(workspace, doc, secret.variable, "db_password")
        assert secret.file is not None
        text = workspace.document(secret.file, "secret_file")
        if text is None:
            return Harvest(notes=[f"{secret.file}: not managed (secret {secret.name}: no file)"])
        place = Place(secret.file, "secret_file", secret_file.CONTENT, "{db_password}")
        value = text.read(secret_file.CONTENT).value
        assert isinstance(value, str)
        return Harvest([Found(place.where(), {"db_password": value}, place)])
    return Harvest()


def _definition(workspace: Workspace, doc: ComposeDocument, name: str, fact: str) -> Harvest:
    """The interpolation ``.env`` line that defines a variable a place refers to."""
    target = doc.definition(name)
    env = None if target is None else workspace.document(target.file, "dotenv")
    if target is None or env is None:
        return Harvest()
    reading = env.read(target.key)
    if not isinstance(reading.value, str):
        return Harvest()
    place = Place(target.file, "dotenv", target.key, f"{{{fact}}}")
    return Harvest([Found(place.where(), {fact: reading.value}, place)])


def service_places(workspace: Workspace, db: Database) -> Harvest:
    """URLs and parts in the ``environment:`` of every other service."""
    harvest = Harvest()
    for path in db.project:
        doc = compose_document(workspace, path)
        for name, _ in services(doc):
            if name == db.service or name in db.others:
                continue
            keys = [
                (join_locator("services", name, "environment", key), key)
                for key in environment_keys(doc, name)
            ]
            connects = db.service in connects_to(workspace, doc, name)
            harvest.add(credentials.scan(db, doc, path, "compose", keys, loaded=connects))
    return harvest


@dataclass(frozen=True)
class Owners:
    """Whose env files and variables are whose. The project's other databases (``db_test``)
    own the env files only they load and the variables their ``environment:`` refers to: never
    places of this one. The applications' env files (``env_file:`` of the other services) hold
    candidate URLs even on another port."""

    theirs: frozenset[str] = frozenset()
    their_variables: frozenset[str] = frozenset()
    applications: frozenset[str] = frozenset()


def owners(workspace: Workspace, db: Database) -> Owners:
    theirs: set[str] = set()
    ours: set[str] = set()
    applications: set[str] = set()
    variables: set[str] = set()
    for path in db.project:
        doc = compose_document(workspace, path)
        for name, _ in services(doc):
            loaded = env_files(doc, name)
            if name not in db.others:
                ours.update(loaded)
                if name != db.service:
                    applications.update(loaded)
                continue
            theirs.update(loaded)
            for key in environment_keys(doc, name):
                source = doc.read(join_locator("services", name, "environment", key)).source
                if isinstance(source, str):
                    variables.update(doc.references(source))
    return Owners(frozenset(theirs - ours), frozenset(variables), frozenset(applications))


def app_env_files(workspace: Workspace, db: Database, files: list[str], owned: Owners) -> list[str]:
    """Env files to read: compose's interpolation ``.env``, every service's ``env_file:``, and
    every file of the project named like an env file; not those only other databases load."""
    named: list[str] = []
    for path in db.project:
        doc = compose_document(workspace, path)
        for name, _ in services(doc):
            named += env_files(doc, name)
    interpolation = interpolation_file(db.project[0])
    found = [interpolation, *named, *(p for p in files if walk.is_env_file(p))]
    return [
        p for p in dict.fromkeys(found) if p not in owned.theirs and workspace.text(p) is not None
    ]


def env_file_places(
    workspace: Workspace,
    db: Database,
    path: str,
    *,
    database: bool = False,
    owned: Owners = Owners(),
) -> Harvest:
    doc = workspace.document(path, "dotenv")
    if doc is None:
        return Harvest()
    keys = [(key, key) for key in dotenv_keys(doc) if key not in owned.their_variables]
    loaded = path in owned.applications
    return credentials.scan(db, doc, path, "dotenv", keys, database=database, loaded=loaded)


def port_place(db: Database) -> Place | None:
    """Where ``adopt --add-port`` publishes the port: the override file when the project has one
    (a published port is a local choice; the base file may be the one a deployment reads), else
    the database's own compose file."""
    if db.port is not None:
        return None
    overrides = [path for path in db.project if PurePosixPath(path).name in OVERRIDE_NAMES]
    file = overrides[0] if overrides else db.files[0]
    return Place(file, "compose", join_locator("services", db.service, "ports"), "{db_port}")


def one_place_per_node(workspace: Workspace, found: list[Found]) -> Harvest:
    """A value written once under an anchor and used through aliases and merge keys
    (``environment: *db-env``, ``<<: *db-env``) is one place: the node that holds it, where a
    repair goes. The other services that use it are named in a note."""
    kept = Harvest()
    holders: dict[tuple[str, int], Found] = {}
    sharing: dict[str, list[str]] = {}
    for f in found:
        node = _node_of(workspace, f.place) if f.place is not None else None
        if f.place is None or node is None:
            kept.found.append(f)
            continue
        first = holders.setdefault((f.place.file, node), f)
        if first is f:
            kept.found.append(f)
        else:
            sharing.setdefault(first.label, []).append(f.place.key)
    kept.notes += [
        f"{label}: written once (a YAML anchor) and used by {', '.join(keys)} too; "
        "a change is made there"
        for label, keys in sharing.items()
    ]
    return kept


def _node_of(workspace: Workspace, place: Place) -> int | None:
    """Where the YAML node a compose place reads starts in its file."""
    if place.format != "compose":
        return None
    node = compose_document(workspace, place.file).find(place.key).node
    return None if node is None else node.start_mark.index
