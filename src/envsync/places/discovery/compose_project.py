"""The compose project and its database service: which files compose reads, which service runs
PostgreSQL, and what that service is (user, password, name, published port) as compose sees it."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from envsync.errors import EnvsyncError
from envsync.formats.compose_file import INTERPOLATION_FILE, ComposeDocument
from envsync.formats.compose_names import COMPOSE_NAME, DEFAULT_NAMES, OVERRIDE_NAMES
from envsync.formats.dotenv_file import DotenvDocument
from envsync.formats.yaml_document import join_locator
from envsync.places.discovery.credentials import HOST_PARTS, is_database_image
from envsync.places.discovery.results import Database
from envsync.plan import Workspace

# What the postgres image does without POSTGRES_USER / POSTGRES_DB.
IMAGE_DEFAULT_USER = "postgres"
# Files that describe another database than the development one.
_PRODUCTION = re.compile(r"prod", re.I)
_POSTGRES_LINE = re.compile(r"^\s*(export\s+)?POSTGRES_", re.M)


@dataclass(frozen=True)
class ComposeProject:
    """The files compose reads for one project, in its order, and whether they must be named
    (``-f``, ``COMPOSE_FILE`` from the shell, a lone file found by its content): the map records
    those, since compose would not find them by itself."""

    directory: str
    files: tuple[str, ...]
    named: bool = False


@dataclass(frozen=True)
class ComposeProjects:
    projects: tuple[ComposeProject, ...]
    notes: tuple[str, ...]


def compose_projects(
    workspace: Workspace,
    files: list[str],
    named: tuple[str, ...] = (),
    environ: Mapping[str, str] | None = None,
) -> ComposeProjects:
    """The compose projects of the project, formed as compose forms them: the files named with
    ``-f``; else, per directory, ``COMPOSE_FILE`` (the shell's at the root, the ``.env``'s), the
    default file plus the one override beside it, or a lone file whose services run PostgreSQL."""
    environ = os.environ if environ is None else environ
    if named:
        return _named_project(workspace, files, named)
    projects = []
    notes = []
    for directory in dict.fromkeys(directory_of(path) for path in files if _is_yaml(path)):
        shell = environ if directory == "." else {}
        project = _directory_project(workspace, directory, files, shell)
        if project is not None:
            projects.append(project)
        used = set(project.files) if project else set()
        notes += [
            _left(path)
            for path in files
            if directory_of(path) == directory
            and COMPOSE_NAME.fullmatch(PurePosixPath(path).name)
            and path not in used
        ]
    return ComposeProjects(tuple(projects), tuple(notes))


def _is_yaml(path: str) -> bool:
    return path.endswith((".yml", ".yaml")) and not path.startswith(".github/")


def _left(path: str) -> str:
    if _PRODUCTION.search(PurePosixPath(path).name):
        return f"{path}: not read (a production compose file)"
    return f"{path}: not read (compose reads it only when named with -f or in COMPOSE_FILE)"


def _named_project(
    workspace: Workspace, files: list[str], named: tuple[str, ...]
) -> ComposeProjects:
    named = tuple(posixpath.normpath(path) for path in named)
    for path in named:
        if path.startswith("../") or workspace.text(path) is None:
            raise EnvsyncError(f"-f {path}: no such file in the project")
    notes = tuple(
        _left(path)
        for path in files
        if COMPOSE_NAME.fullmatch(PurePosixPath(path).name) and path not in named
    )
    return ComposeProjects((ComposeProject(directory_of(named[0]), named, True),), notes)


def _directory_project(
    workspace: Workspace, directory: str, files: list[str], shell: Mapping[str, str]
) -> ComposeProject | None:
    here = [path for path in files if directory_of(path) == directory]
    settings = _compose_settings(workspace, directory, shell)
    listed = settings.get("COMPOSE_FILE")
    if listed:
        separator = settings.get("COMPOSE_PATH_SEPARATOR") or ":"
        chosen = tuple(
            posixpath.normpath(posixpath.join(directory, name))
            for name in listed.split(separator)
            if name
        )
        where = "COMPOSE_FILE" if "COMPOSE_FILE" in shell else f"{directory}/.env: COMPOSE_FILE"
        for path in chosen:
            if workspace.text(path) is None:
                raise EnvsyncError(f"{where.removeprefix('./')}: {path} is not a file")
        return ComposeProject(directory, chosen, named="COMPOSE_FILE" in shell)
    names = {PurePosixPath(path).name: path for path in here}
    default = next((names[name] for name in DEFAULT_NAMES if name in names), None)
    if default is not None:
        override = next((names[name] for name in OVERRIDE_NAMES if name in names), None)
        return ComposeProject(directory, (default,) if override is None else (default, override))
    lone = [
        path
        for path in here
        if _is_yaml(path)
        and not _PRODUCTION.search(PurePosixPath(path).name)
        and _runs_postgres(workspace, path)
    ]
    if len(lone) > 1:
        raise EnvsyncError(
            f"{', '.join(lone)}: each could be the compose project's file; name the ones you "
            "run with -f FILE (as many as compose takes)"
        )
    return ComposeProject(directory, (lone[0],), named=True) if lone else None


def _compose_settings(
    workspace: Workspace, directory: str, shell: Mapping[str, str]
) -> dict[str, str]:
    """``COMPOSE_FILE`` and ``COMPOSE_PATH_SEPARATOR`` as compose sees them: the shell's over
    the ``.env`` of the project directory."""
    from envsync.formats import compose_env_file

    path = posixpath.join(directory, INTERPOLATION_FILE) if directory != "." else INTERPOLATION_FILE
    text = workspace.text(path)
    found = {} if text is None else compose_env_file.values(text, environ=shell, path=path)
    found.update(shell)
    return {key: found[key] for key in ("COMPOSE_FILE", "COMPOSE_PATH_SEPARATOR") if key in found}


def _runs_postgres(workspace: Workspace, path: str) -> bool:
    """Whether a YAML file is a compose file with a PostgreSQL service (an image of one, or
    ``POSTGRES_*`` in its environment or env files), read as plain YAML."""
    try:
        data = yaml.safe_load(workspace.text(path) or "")
    except yaml.YAMLError:
        return False
    services = data.get("services") if isinstance(data, dict) else None
    for spec in services.values() if isinstance(services, dict) else ():
        if not isinstance(spec, dict):
            continue
        environment = spec.get("environment")
        keys = [str(key) for key in environment] if isinstance(environment, list | dict) else []
        listed = spec.get("env_file")
        env_files = listed if isinstance(listed, list) else [listed] if listed else []
        texts = (
            workspace.text(_beside(path, str(item))) if isinstance(item, str) else None
            for item in env_files
        )
        if (
            is_database_image(str(spec.get("image", "")))
            or any(key.startswith("POSTGRES_") for key in keys)
            or any(text and _POSTGRES_LINE.search(text) for text in texts)
        ):
            return True
    return False


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


def scalar(doc: ComposeDocument, service: str, key: str) -> str | None:
    """A service's single value (``image``), merge keys followed; None when absent or not one."""
    return scalar_at(doc, join_locator("services", service, key))


def scalar_at(doc: ComposeDocument, locator: str) -> str | None:
    node = doc.find(locator).node
    return doc.string(node) if isinstance(node, yaml.ScalarNode) else None


def environment_keys(doc: ComposeDocument, service: str) -> list[str]:
    node = doc.find(join_locator("services", service, "environment")).node
    if isinstance(node, yaml.MappingNode):
        return doc.keys(node)
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


def service_chain(
    workspace: Workspace, doc: ComposeDocument, service: str
) -> list[tuple[ComposeDocument, str]]:
    """The service, then the services it ``extends:`` (in its file or another), nearest first:
    a key the service does not set comes from the first of them that does, as in compose."""
    chain = [(doc, service)]
    while True:
        doc, service = chain[-1]
        extends = join_locator("services", service, "extends")
        node = doc.find(extends).node
        if isinstance(node, yaml.ScalarNode):
            path, target = doc.path, doc.string(node)
        elif isinstance(node, yaml.MappingNode):
            named = scalar_at(doc, f"{extends}.file")
            path = doc.path if named is None else _beside(doc.path, named)
            target = scalar_at(doc, f"{extends}.service")
        else:
            return chain
        base = None if path.startswith("../") else workspace.document(path, "compose")
        if target is None or not isinstance(base, ComposeDocument):
            return chain
        if any(d.path == path and s == target for d, s in chain):
            return chain  # compose refuses a circle; discovery stops at it
        chain.append((base, target))


def _beside(compose_path: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(directory_of(compose_path), relative))


def resolved_environment(
    workspace: Workspace, doc: ComposeDocument, service: str
) -> dict[str, str | None]:
    """The service's variables with those it inherits through ``extends:``."""
    found: dict[str, str | None] = {}
    for base, name in reversed(service_chain(workspace, doc, service)):
        found.update(service_environment(workspace, base, name))
    return found


def resolved_scalar(
    workspace: Workspace, doc: ComposeDocument, service: str, key: str
) -> str | None:
    for base, name in service_chain(workspace, doc, service):
        value = scalar(base, name, key)
        if value is not None:
            return value
    return None


def find_database(
    workspace: Workspace, found: ComposeProjects, wanted: str | None
) -> tuple[Database, ComposeProject, tuple[str, ...]]:
    """The service that runs PostgreSQL (``wanted``, when named), its compose project, and notes
    on the compose files of other projects, which are not read."""
    if not found.projects:
        raise EnvsyncError(
            f"{workspace.project_dir}: no compose file (compose.yaml, docker-compose.yml, ...) "
            "here or in a subdirectory; name it with -f FILE, or run adopt with -C DIR on the "
            "directory that holds it"
        )
    by_image: dict[tuple[str, str], list[str]] = {}
    by_environment: dict[tuple[str, str], list[str]] = {}
    mentioned: dict[tuple[str, str], list[str]] = {}
    hosts: set[tuple[str, str]] = set()
    projects = {project.directory: project for project in found.projects}
    for project in found.projects:
        for path in project.files:
            doc = compose_document(workspace, path)
            for name, _ in services(doc):
                key = (project.directory, name)
                mentioned.setdefault(key, []).append(path)
                image = resolved_scalar(workspace, doc, name, "image")
                if image is not None and is_database_image(image):
                    by_image.setdefault(key, []).append(path)
                    continue
                environment = resolved_environment(workspace, doc, name)
                if any(k.startswith("POSTGRES_") for k in environment):
                    by_environment.setdefault(key, []).append(path)
                    hosts.update(
                        (project.directory, value or "")
                        for k, value in environment.items()
                        if k.endswith(HOST_PARTS)
                    )
    # Without a database image, the service others name as their host is the database
    # (the app carries the same POSTGRES_* file, with POSTGRES_HOST pointing at it).
    named = [key for key in by_environment if key in hosts]
    candidates = list(dict.fromkeys(by_image)) or named or list(by_environment)
    if wanted is not None:
        candidates = [key for key in mentioned if key[1] == wanted]
        if not candidates:
            raise EnvsyncError(
                f"--service {wanted}: no compose file here has that service "
                f"(found: {', '.join(sorted({k[1] for k in mentioned}))})"
            )
    if not candidates:
        first = found.projects[0].files[0]
        raise EnvsyncError(
            f"{first}: no database service (no postgres, pgvector, postgis or "
            "timescale image, no POSTGRES_* environment); name it with --service NAME"
        )
    if len(candidates) > 1:
        raise EnvsyncError(_ambiguous(candidates))
    directory, name = candidates[0]
    project = projects[directory]
    notes = tuple(
        f"{path}: not read (another compose project than {project.files[0]})"
        for other in found.projects
        if other is not project
        for path in other.files
    )
    files = tuple(dict.fromkeys(mentioned[(directory, name)]))
    return read_database(workspace, project, name, files), project, notes


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
    workspace: Workspace, project: ComposeProject, service: str, files: tuple[str, ...]
) -> Database:
    environment: dict[str, str | None] = {}
    image = container = port = None
    for path in files:
        doc = compose_document(workspace, path)
        environment.update(resolved_environment(workspace, doc, service))
        image = resolved_scalar(workspace, doc, service, "image") or image
        container = resolved_scalar(workspace, doc, service, "container_name") or container
        published = doc.read(join_locator("services", service, "ports"))
        if isinstance(published.value, str) and published.value.isdigit():
            port = published.value
    user = environment.get("POSTGRES_USER") or IMAGE_DEFAULT_USER
    return Database(
        directory=project.directory,
        files=files,
        project=project.files,
        service=service,
        image=image,
        container=container,
        user=user,
        password=environment.get("POSTGRES_PASSWORD") or None,
        name=environment.get("POSTGRES_DB") or user,
        port=port,
    )
