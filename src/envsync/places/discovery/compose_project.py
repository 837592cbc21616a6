"""The compose project and its database service: which files compose reads, which service runs
PostgreSQL, and what that service is (user, password, name, published port) as compose sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from envsync.errors import EnvsyncError
from envsync.formats import yaml_nodes
from envsync.formats.compose_file import ComposeDocument
from envsync.formats.compose_names import COMPOSE_NAME, DEFAULT_NAMES, OVERRIDE
from envsync.formats.dotenv_file import DotenvDocument
from envsync.formats.yaml_document import join_locator
from envsync.places.discovery.credentials import HOST_PARTS, is_database_image
from envsync.places.discovery.results import Database
from envsync.plan import Workspace

# What the postgres image does without POSTGRES_USER / POSTGRES_DB.
IMAGE_DEFAULT_USER = "postgres"
# Files that describe another database than the development one.
_PRODUCTION = re.compile(r"prod", re.I)


@dataclass(frozen=True)
class ComposeProject:
    """The compose files discovery reads, in compose's order, and the ones it leaves."""

    files: tuple[str, ...]
    notes: tuple[str, ...]


def compose_files(files: list[str]) -> ComposeProject:
    found = []
    notes = []
    for path in files:
        name = PurePosixPath(path).name
        if not COMPOSE_NAME.fullmatch(name) or path.startswith(".github/"):
            continue
        if _PRODUCTION.search(name):
            notes.append(f"{path}: not read (a production compose file)")
            continue
        found.append(path)

    def order(path: str) -> tuple[int, int, str]:
        name = PurePosixPath(path).name
        rank = (
            DEFAULT_NAMES.index(name)
            if name in DEFAULT_NAMES
            else len(DEFAULT_NAMES) + (0 if OVERRIDE.fullmatch(name) else 1)
        )
        return path.count("/"), rank, path

    return ComposeProject(tuple(sorted(found, key=order)), tuple(notes))


def compose_document(workspace: Workspace, path: str) -> ComposeDocument:
    doc = workspace.document(path, "compose")
    assert isinstance(doc, ComposeDocument), path
    return doc


def directory_of(path: str) -> str:
    return PurePosixPath(path).parent.as_posix()


def services(doc: ComposeDocument) -> Iterator[tuple[str, yaml.MappingNode]]:
    node = doc.find("services").node
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.MappingNode):
            yield key.value, value


def scalar(doc: ComposeDocument, node: yaml.MappingNode, key: str) -> str | None:
    pair = yaml_nodes.mapping_get(node, key, doc.path)
    if pair is None or not isinstance(pair[1], yaml.ScalarNode):
        return None
    return doc.string(pair[1])


def environment_keys(doc: ComposeDocument, service: str) -> list[str]:
    node = doc.find(join_locator("services", service, "environment")).node
    if isinstance(node, yaml.MappingNode):
        return [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    if isinstance(node, yaml.SequenceNode):
        return [
            item.value.partition("=")[0] for item in node.value if isinstance(item, yaml.ScalarNode)
        ]
    return []


def env_files(doc: ComposeDocument, service: str) -> list[str]:
    """The service's ``env_file:`` paths inside the project (one outside is not ours)."""
    return [path for path in doc.env_files(service) if not path.startswith("../")]


def dotenv_keys(doc: object) -> list[str]:
    if not isinstance(doc, DotenvDocument):
        return []
    return list(dict.fromkeys(b.key for b in doc.bindings if b.key))


def service_environment(
    workspace: Workspace, doc: ComposeDocument, service: str
) -> dict[str, str | None]:
    """The service's variables (``environment:`` over ``env_file:``), as compose gives them."""
    found: dict[str, str | None] = {}
    for path in env_files(doc, service):
        document = workspace.document(path, "dotenv")
        for key in dotenv_keys(document):
            assert document is not None
            value = document.read(key).value
            found[key] = value if isinstance(value, str) else None
    for key in environment_keys(doc, service):
        value = doc.read(join_locator("services", service, "environment", key)).value
        found[key] = value if isinstance(value, str) else None
    return found


def find_database(
    workspace: Workspace, project: ComposeProject, wanted: str | None
) -> tuple[Database, tuple[str, ...]]:
    """The service that runs PostgreSQL (``wanted``, when named), and notes on the compose files
    of other projects, which are not read."""
    if not project.files:
        raise EnvsyncError(
            f"{workspace.project_dir}: no compose file (compose.yaml, docker-compose.yml, ...) "
            "here or in a subdirectory; run adopt with -C DIR on the directory that holds it"
        )
    by_image: dict[tuple[str, str], list[str]] = {}
    by_environment: dict[tuple[str, str], list[str]] = {}
    mentioned: dict[tuple[str, str], list[str]] = {}
    hosts: set[tuple[str, str]] = set()
    for path in project.files:
        doc = compose_document(workspace, path)
        directory = directory_of(path)
        for name, node in services(doc):
            key = (directory, name)
            mentioned.setdefault(key, []).append(path)
            image = scalar(doc, node, "image")
            if image is not None and is_database_image(image):
                by_image.setdefault(key, []).append(path)
                continue
            environment = service_environment(workspace, doc, name)
            if any(k.startswith("POSTGRES_") for k in environment):
                by_environment.setdefault(key, []).append(path)
                hosts.update(
                    (directory, value or "")
                    for k, value in environment.items()
                    if k.endswith(HOST_PARTS)
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
            f"{project.files[0]}: no database service (no postgres, pgvector, postgis or "
            "timescale image, no POSTGRES_* environment); name it with --service NAME"
        )
    if len(candidates) > 1:
        raise EnvsyncError(_ambiguous(candidates))
    directory, name = candidates[0]
    files = tuple(mentioned[(directory, name)])
    notes = tuple(
        f"{path}: not read (another compose project than {files[0]})"
        for path in project.files
        if directory_of(path) != directory
    )
    return read_database(workspace, directory, name, files), notes


def _ambiguous(candidates: list[tuple[str, str]]) -> str:
    shown = ", ".join(
        f"{name} ({directory}/)" if directory != "." else name for directory, name in candidates
    )
    directories = {directory for directory, _ in candidates}
    way = (
        "choose one with --service NAME"
        if len(directories) == 1
        else "choose one with --service NAME, or run adopt with -C DIR on one directory"
    )
    return f"services {shown} could each be the database; {way}"


def read_database(
    workspace: Workspace, directory: str, service: str, files: tuple[str, ...]
) -> Database:
    environment: dict[str, str | None] = {}
    image = container = port = None
    for path in files:
        doc = compose_document(workspace, path)
        environment.update(service_environment(workspace, doc, service))
        node = doc.find(join_locator("services", service)).node
        if isinstance(node, yaml.MappingNode):
            image = scalar(doc, node, "image") or image
            container = scalar(doc, node, "container_name") or container
        published = doc.read(join_locator("services", service, "ports"))
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
