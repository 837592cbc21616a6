"""Discovery: every place where an existing project already spells its database credentials.

``envsync adopt`` starts here. Each file is read as its consumer reads it (compose with its
interpolation, python-dotenv, Alembic's configparser, a workflow as plain YAML) and becomes
places, each with the values it holds now. Nothing here writes, and nothing here decides which
value is the truth: that is adopt's business.

The rooms: ``walk`` (the project's files), ``compose_project`` (which compose files),
``compose_services`` (a service as compose sees it), ``database_service`` (which service is the
database), ``compose_places`` (the places compose and its env files hold),
``credentials`` (is this value the database's?), ``sources`` (alembic, CI workflows, the
instruction file). Each reader returns what it found; this module puts them in order.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from envsync.errors import EnvsyncError
from envsync.places.discovery import (
    compose_places,
    compose_project,
    credentials,
    database_service,
    sources,
    walk,
)
from envsync.places.discovery.results import Database, Discovery, Found, Harvest
from envsync.places.model import Place
from envsync.workspace import Workspace


def discover(
    project_dir: Path,
    *,
    service: str | None = None,
    compose_files: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> Discovery:
    """Every place of the database service (``service``, when named) of the compose project
    (``compose_files``, when named as with ``docker compose -f``), but those the user says
    belong elsewhere (``exclude``: a file, or ``FILE: KEY``)."""
    files = walk.project_files(project_dir)
    workspace = Workspace(project_dir, {}, os.environ)
    projects = compose_project.compose_projects(workspace, files, compose_files, os.environ)
    db, project, other_projects = database_service.find_database(workspace, projects, service)
    instructions, section, section_places = sources.instructions(workspace)
    owned = compose_places.owners(workspace, db)
    harvest = Harvest.of(
        [
            Harvest(notes=[*projects.notes, *other_projects]),
            compose_places.database_places(workspace, db),
            compose_places.service_places(workspace, db),
            *(
                compose_places.env_file_places(workspace, db, path, owned=owned)
                for path in compose_places.app_env_files(workspace, db, files, owned)
            ),
            *(
                sources.alembic(workspace, db, path)
                for path in files
                if PurePosixPath(path).name == "alembic.ini"
            ),
            *(sources.workflow(workspace, db, path) for path in files if walk.is_workflow(path)),
            section_places,
        ]
    )
    shared = compose_places.one_place_per_node(workspace, _first_of_each(harvest.found))
    kept, excluded = _excluding(shared.found, exclude)
    found, db_host = credentials.settle_host(kept)
    return Discovery(
        db,
        tuple(found),
        db_host,
        instructions,
        section,
        (*harvest.notes, *shared.notes, *(f"{p.where()}: left out (--exclude)" for p in excluded)),
        compose_places.port_place(db),
        project.files if project.named else (),
        tuple(excluded),
    )


def _excluding(found: list[Found], exclude: tuple[str, ...]) -> tuple[list[Found], list[Place]]:
    """The places but those ``--exclude`` names, and those."""
    if not exclude:
        return found, []
    named = [f for f in found if f.place is not None and {f.label, f.file} & set(exclude)]
    unknown = [name for name in exclude if not any(name in (f.label, f.file) for f in named)]
    if unknown:
        raise EnvsyncError(
            f"--exclude {unknown[0]}: no place found there (a file, or 'FILE: KEY' as the "
            "table shows it)"
        )
    return [f for f in found if f not in named], [f.place for f in named if f.place]


def _first_of_each(found: list[Found]) -> list[Found]:
    """A place read twice (an env file compose and the app both load) counts once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for f in found:
        if f.place is not None:
            key = (f.place.file, f.place.key)
            if key in seen:
                continue
            seen.add(key)
        kept.append(f)
    return kept


__all__ = ["Database", "Discovery", "Found", "discover"]
