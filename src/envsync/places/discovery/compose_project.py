"""The compose project: which files compose reads, formed as compose forms it."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import yaml

from envsync.errors import EnvsyncError
from envsync.formats.compose_file import INTERPOLATION_FILE
from envsync.formats.compose_names import COMPOSE_NAME, DEFAULT_NAMES, OVERRIDE_NAMES
from envsync.places.discovery.compose_services import beside, directory_of
from envsync.places.discovery.credentials import is_database_image
from envsync.workspace import Workspace

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
    # Compose files no project reads (``docker-compose.db.yml``): compose needs them named.
    left: tuple[str, ...] = ()


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
        found = _named_project(workspace, files, named)
        return ComposeProjects(_with_includes(workspace, found.projects), found.notes)
    projects = []
    left: list[str] = []
    for directory in dict.fromkeys(directory_of(path) for path in files if _is_yaml(path)):
        shell = environ if directory == "." else {}
        project = _directory_project(workspace, directory, files, shell)
        if project is not None:
            projects.append(project)
        used = set(project.files) if project else set()
        used |= {part for path in used for part in _extended(workspace, path)}
        left += [
            path
            for path in files
            if directory_of(path) == directory
            and COMPOSE_NAME.fullmatch(PurePosixPath(path).name)
            and path not in used
        ]
    notes = tuple(_left(path) for path in left)
    return ComposeProjects(_with_includes(workspace, tuple(projects)), notes, tuple(left))


def _with_includes(
    workspace: Workspace, projects: tuple[ComposeProject, ...]
) -> tuple[ComposeProject, ...]:
    """Each project with the files its ``include:`` brings in (after the file that includes
    them); a directory whose files another project includes is no project of its own."""
    expanded = []
    for project in projects:
        files = list(project.files)
        for path in files:  # grows while it runs: includes of includes
            files += [name for name in _included(workspace, path) if name not in files]
        expanded.append(replace(project, files=tuple(files)))
    included = {
        path
        for project, before in zip(expanded, projects, strict=True)
        for path in project.files
        if path not in before.files
    }
    return tuple(project for project in expanded if not set(project.files) <= included)


def _extended(workspace: Workspace, path: str) -> set[str]:
    """The files ``path`` refers to: its ``include:`` and its services' ``extends: file:``."""
    try:
        data = yaml.safe_load(workspace.text(path) or "")
    except yaml.YAMLError:
        return set()
    services = data.get("services") if isinstance(data, dict) else None
    named = [
        spec["extends"].get("file")
        for spec in (services.values() if isinstance(services, dict) else ())
        if isinstance(spec, dict) and isinstance(spec.get("extends"), dict)
    ]
    files = {beside(path, name) for name in named if isinstance(name, str) and name}
    return files | set(_included(workspace, path))


def _included(workspace: Workspace, path: str) -> list[str]:
    """The files ``path`` names under its top-level ``include:`` (a path, a list of them, or
    ``{path: ...}``), relative to its own directory; none outside the project."""
    try:
        data = yaml.safe_load(workspace.text(path) or "")
    except yaml.YAMLError:
        return []
    entries = data.get("include") if isinstance(data, dict) else None
    names: list[object] = []
    for entry in entries if isinstance(entries, list) else []:
        given = entry.get("path") if isinstance(entry, dict) else entry
        names += given if isinstance(given, list) else [given]
    found = [beside(path, name) for name in names if isinstance(name, str) and name]
    return [name for name in found if not name.startswith("../")]


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
    candidates = [
        path for path in here if _is_yaml(path) and not _PRODUCTION.search(PurePosixPath(path).name)
    ]
    # A file another one extends or includes is a part, not a project of its own.
    parts = {path: _extended(workspace, path) for path in candidates}
    taken = {part for found in parts.values() for part in found}
    lone = [
        path
        for path in candidates
        if path not in taken
        and any(_runs_postgres(workspace, name) for name in (path, *sorted(parts[path])))
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
            workspace.text(beside(path, str(item))) if isinstance(item, str) else None
            for item in env_files
        )
        if (
            is_database_image(str(spec.get("image", "")))
            or any(key.startswith("POSTGRES_") for key in keys)
            or any(text and _POSTGRES_LINE.search(text) for text in texts)
        ):
            return True
    return False
