"""``envsync adopt --update``: take into the map of a managed project the places discovery finds
that it does not have yet (a copy ``check`` reported outside the map).

The map's places and every file stay as they are: the new places are appended to the map's
text, every other byte kept. Whether a new place's value agrees with the facts is ``check``'s to
say afterwards, and ``render``'s to repair.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envsync import adopt_secrets, file_io
from envsync import facts as facts_module
from envsync.adopt import Options
from envsync.answers import ANSWERS_FILE
from envsync.apply import apply
from envsync.errors import EnvsyncError, MapError
from envsync.places import map_file
from envsync.places.discovery import discover
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Place, PlaceMap
from envsync.plan import Change


def update(project_dir: Path, options: Options) -> tuple[Place, ...]:
    """The places added to the map (none when it already names every place found)."""
    on_disk = file_io.read(project_dir, MAP_FILE)
    if on_disk is None or file_io.read(project_dir, ANSWERS_FILE) is None:
        raise EnvsyncError(
            f"{MAP_FILE}: envsync does not manage this project yet: run `envsync adopt` first"
        )
    place_map = map_file.parse(on_disk.text)
    facts = facts_module.load(project_dir, place_map)
    found = discover(
        project_dir,
        service=options.service or facts.values.get("db_service"),
        compose_files=options.compose_files or place_map.compose_files,
        exclude=options.exclude,
    )
    # A database service the map has no table for (adopted before envsync knew several) is
    # taken in as compose gives it to its container; check then reports any place that differs.
    new = [other for other in found.others if other.service not in place_map.databases]
    tables, kept, _ = adopt_secrets.databases(
        project_dir,
        replace(found, others=tuple(new)),
        {
            f"{other.service}.{name}": value
            for other in new
            for name, value in (
                ("db_user", other.user),
                ("db_password", other.password or ""),
                ("db_name", other.name),
                ("db_port", other.port or "5432"),
            )
        },
    )
    known = facts_module.from_answers(
        facts.answers,
        replace(place_map, databases={**place_map.databases, **tables}),
        {**facts_module.kept_secrets(project_dir, place_map), **kept},
    ).values
    named = {
        (resolved.file, resolved.key)
        for resolved in (place.resolved(known) for place in place_map.places)
    }
    added: list[Place] = []
    for place in (f.place for f in found.found if f.place is not None):
        resolved = place.resolved(known)
        if (resolved.file, resolved.key) in named:
            continue
        try:
            place.check_facts(known, MAP_FILE)
        except MapError:
            continue  # a fact this project does not have (a pinned name, the CI's password)
        named.add((resolved.file, resolved.key))
        added.append(place)
    if not added:
        return ()
    used = {place.database for place in added}
    addition = PlaceMap(
        {}, tuple(added), databases={name: t for name, t in tables.items() if name in used}
    )
    text = on_disk.text.rstrip("\n") + "\n\n" + map_file.dump(addition)
    if map_file.parse(text).places != (*place_map.places, *added):
        raise EnvsyncError(f"{MAP_FILE}: the places found do not read back; please report")
    apply(project_dir, [Change(MAP_FILE, on_disk.text, text, on_disk.bom, False, ())])
    return tuple(added)
