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
from dataclasses import replace
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
from envsync.places.model import DATABASE_FACTS, Place
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
    harvest = Harvest.of(
        [
            Harvest(notes=[*projects.notes, *other_projects]),
            _places_of(workspace, files, db),
            section_places,
        ]
    )
    shared = compose_places.one_place_per_node(workspace, _first_of_each(harvest.found))
    found = shared.found
    others_notes: list[str] = []
    others = []
    for other in database_service.other_databases(workspace, project, db):
        own, note = _of_database(
            workspace, _places_of(workspace, files, other).found, other.service, found
        )
        if note is None:
            found += own
            others.append(other)
        else:
            others_notes.append(note)
    kept, excluded = _excluding(found, exclude)
    kept, left = _with_passwords(kept, others)
    settled, db_host = credentials.settle_host(kept)
    # What the project's own database left as another's is now that database's place.
    claimed = tuple(f"{f.label}: not managed" for f in kept if f.place and f.place.database)
    notes = [note for note in harvest.notes if not note.startswith(claimed)]
    return Discovery(
        db,
        tuple(settled),
        db_host,
        instructions,
        section,
        (
            *notes,
            *shared.notes,
            *others_notes,
            *(f"{p.where()}: left out (--exclude)" for p in excluded),
            *(
                f"database {other.service}: not managed (--exclude left no place that gives "
                "its password)"
                for other in others
                if other not in left
            ),
        ),
        compose_places.port_place(db),
        project.files if project.named else (),
        tuple(excluded),
        tuple(left),
    )


def _with_passwords(
    found: list[Found], others: list[Database]
) -> tuple[list[Found], list[Database]]:
    """The second databases that still have a place giving their password (``--exclude`` may
    have taken them all), and the places without those of the databases that have none."""
    dropped = {
        other.service
        for other in others
        if not any(f"{other.service}.db_password" in f.values for f in found if f.place)
    }
    kept = [f for f in found if not {name.partition(".")[0] for name in f.values} & dropped]
    return kept, [other for other in others if other.service not in dropped]


def _places_of(workspace: Workspace, files: list[str], db: Database) -> Harvest:
    """Every place of the database ``db``: compose's, the env files', Alembic's, CI's."""
    owned = compose_places.owners(workspace, db)
    return Harvest.of(
        [
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
        ]
    )


def _of_database(
    workspace: Workspace, found: list[Found], service: str, taken: list[Found]
) -> tuple[list[Found], str | None]:
    """A second database's places, their facts named for it (``db_test.db_password``); a
    place the project's own database has already is not also this one's. A password read from
    the project database's own place (both services on ``${POSTGRES_PASSWORD}``) is one value
    for two databases: no database of its own then, and the note that says so."""
    held = {(f.place.file, f.place.key) for f in taken if f.place is not None}
    shared = compose_places.one_place_per_node(workspace, _first_of_each(found)).found
    common = next(
        (
            f
            for f in shared
            if f.place is not None
            and (f.place.file, f.place.key) in held
            and "db_password" in f.values
        ),
        None,
    )
    if common is not None:
        return [], (
            f"database {service}: not managed as a database of its own: its password is "
            f"{common.label}, the project database's too (they change together)"
        )
    return [
        replace(
            f,
            values={
                (f"{service}.{name}" if name in DATABASE_FACTS else name): value
                for name, value in f.values.items()
            },
            place=None if f.place is None else f.place.of_database(service),
        )
        for f in shared
        if f.place is None or (f.place.file, f.place.key) not in held
    ], None


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
