"""The database service: which service of the compose project runs PostgreSQL, and what it is
(user, password, name, published port) as compose sees it."""

from __future__ import annotations

import re
from dataclasses import replace

import yaml

from envsync.errors import EnvsyncError
from envsync.formats import secret_file
from envsync.formats.compose_file import ComposeDocument
from envsync.formats.yaml_document import join_locator
from envsync.places.discovery import compose_secrets
from envsync.places.discovery.compose_project import ComposeProject, ComposeProjects
from envsync.places.discovery.compose_services import (
    compose_document,
    resolved_environment,
    resolved_scalar,
    services,
)
from envsync.places.discovery.credentials import HOST_PARTS, is_database_image, postgres_url
from envsync.places.discovery.results import Database
from envsync.workspace import Workspace

# What the postgres image does without POSTGRES_USER / POSTGRES_DB.
IMAGE_DEFAULT_USER = "postgres"
# A service named for a test stack (``db_test``, ``postgres-test``, ``test_db``, ``ci-db``).
_FOR_TESTS = re.compile(r"(^|[_-])(test|tests|testing|ci|e2e)($|[_-])", re.I)


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
        hint = f", or the compose files you run with -f FILE ({', '.join(found.left)})"
        raise EnvsyncError(
            f"{first}: no database service (no postgres, pgvector, postgis or "
            "timescale image, no POSTGRES_* environment); name it with --service NAME"
            + (hint if found.left else "")
        )
    if len(candidates) > 1 and wanted is None:
        candidates = _the_applications(workspace, found, candidates)
    if len(candidates) > 1:
        raise EnvsyncError(_ambiguous(candidates))
    directory, name = candidates[0]
    # Every other database service is a database of its own, whose places are never this one's.
    others = frozenset(n for d, n in by_image if d == directory and n != name)
    project = projects[directory]
    notes = tuple(
        f"{path}: not read (another compose project than {project.files[0]})"
        for other in found.projects
        if other is not project
        for path in other.files
    )
    files = tuple(dict.fromkeys(mentioned[(directory, name)]))
    return replace(read_database(workspace, project, name, files), others=others), project, notes


def _from_secret(
    workspace: Workspace,
    project: ComposeProject,
    files: tuple[str, ...],
    service: str,
    mounted: str | None,
) -> str | None:
    """The password in the secret ``POSTGRES_PASSWORD_FILE`` names, as the image reads it."""
    for path in files if mounted else ():
        doc = compose_document(workspace, path)
        secret = compose_secrets.mounted_at(workspace, project.files, doc, service, str(mounted))
        if secret is None:
            continue
        if secret.variable is not None:
            return doc.variables.get(secret.variable)
        found = workspace.document(str(secret.file), "secret_file")
        value = found.read(secret_file.CONTENT).value if found else None
        return value if isinstance(value, str) else None
    return None


def _the_applications(
    workspace: Workspace, found: ComposeProjects, candidates: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Of several database services, the one the project's own application uses: the only one
    the other services depend on or connect to, else the only one not named for tests."""
    names = {name for _, name in candidates}
    used: set[tuple[str, str]] = set()
    for project in found.projects:
        for path in project.files:
            doc = compose_document(workspace, path)
            for service, _ in services(doc):
                if service not in names:
                    used.update(
                        (project.directory, name)
                        for name in connects_to(workspace, doc, service)
                        if name in names
                    )
    chosen = [key for key in candidates if key in used]
    if len(chosen) == 1:
        return chosen
    chosen = [key for key in chosen or candidates if not _FOR_TESTS.search(key[1])]
    return chosen if len(chosen) == 1 else candidates


def connects_to(workspace: Workspace, doc: ComposeDocument, service: str) -> set[str]:
    """The services ``service`` depends on, and the hosts its variables name."""
    node = doc.find(join_locator("services", service, "depends_on")).node
    named: set[str] = set()
    if isinstance(node, yaml.SequenceNode):
        named.update(item.value for item in node.value if isinstance(item, yaml.ScalarNode))
    elif isinstance(node, yaml.MappingNode):
        named.update(doc.keys(node))
    for value in resolved_environment(workspace, doc, service).values():
        parsed = postgres_url(value)
        named.add(parsed.host if parsed is not None and parsed.host else value or "")
    return named


def _ambiguous(candidates: list[tuple[str, str]]) -> str:
    shown = ", ".join(
        f"{name} ({directory}/)" if directory != "." else name for directory, name in candidates
    )
    directories = {directory for directory, _ in candidates}
    way = (
        "choose one with --service NAME"
        if len(directories) == 1
        else "choose one with --service NAME or -f FILE (its compose project's files), or "
        "run adopt with -C DIR on one directory"
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
    password = environment.get("POSTGRES_PASSWORD") or _from_secret(
        workspace, project, files, service, environment.get("POSTGRES_PASSWORD_FILE")
    )
    user = environment.get("POSTGRES_USER") or IMAGE_DEFAULT_USER
    return Database(
        directory=project.directory,
        files=files,
        project=project.files,
        service=service,
        image=image,
        container=container,
        user=user,
        password=password or None,
        name=environment.get("POSTGRES_DB") or user,
        port=port,
    )


def other_databases(
    workspace: Workspace, project: ComposeProject, db: Database
) -> tuple[Database, ...]:
    """The project's other database services that have a password: databases of their own."""
    found = []
    for name in sorted(db.others):
        files = tuple(
            path
            for path in project.files
            if any(service == name for service, _ in services(compose_document(workspace, path)))
        )
        other = read_database(workspace, project, name, files)
        if other.password:
            found.append(replace(other, others=frozenset({db.service, *db.others} - {name})))
    return tuple(found)
