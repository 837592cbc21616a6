"""``secret_storage: local``: the database password is in no file that git tracks.

The project's ``.env`` (git-ignored) is the source: compose reads ``POSTGRES_PASSWORD`` from it to
interpolate ``${POSTGRES_PASSWORD:?...}``, and envsync reads it instead of ``.copier-answers.yml``.
``backend/.env`` (git-ignored too) carries it in ``DATABASE_URL`` for the application and Alembic.
A fresh clone has neither file: the password is then recovered from ``backend/.env`` if that
exists, or a new random one is made, and ``envsync render`` writes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from envsync import database_url, file_io
from envsync.answers import LOCAL
from envsync.formats import dotenv_file, secret_file
from envsync.places.model import Place, PlaceMap

__all__ = ["LOCAL", "places_holding", "problem", "read", "read_fact", "tracked_files_holding"]

LOCAL_FILE = ".env"
KEY = "POSTGRES_PASSWORD"
FROM_LOCAL_FILE = f"(the {KEY} of {LOCAL_FILE})"

# compose's .env reader and python-dotenv disagree on these inside quotes (compose keeps `\` and
# `\'` as written), and python-dotenv expands `${`: no spelling of them reaches both unchanged.
_UNSPELLABLE = ("'", "\\", "${")


def read(project_dir: Path, place_map: PlaceMap | None, backend_dir: str) -> str | None:
    """The password kept locally, from the first git-ignored place the map gives it.

    That is the map's first dotenv place spelling ``{db_password}`` (the project's ``.env``
    ``POSTGRES_PASSWORD`` in a generated project), or the password of its first dotenv URL.
    Without a map (or a place), ``.env``'s ``POSTGRES_PASSWORD``, else backend/.env's URL.
    """
    places = _places(place_map, "db_password") or [
        (LOCAL_FILE, KEY, False),
        (f"{backend_dir}/.env", dotenv_file.URL_KEY, True),
    ]
    return _first_stored(project_dir, place_map, places)


def read_fact(project_dir: Path, place_map: PlaceMap, fact: str) -> str | None:
    """A secret fact kept only in the git-ignored places of the map (a second database's
    password, ``db_test.db_password``): the first place that holds it."""
    return _first_stored(project_dir, place_map, _places(place_map, fact))


def _first_stored(
    project_dir: Path, place_map: PlaceMap | None, places: list[tuple[str, str, bool]]
) -> str | None:
    for path, key, url in places:
        found = file_io.read(project_dir, path)
        if found is None:
            continue
        if key == secret_file.CONTENT and _is_secret_file(place_map, path):
            return secret_file.value(found.text) or None
        stored = dotenv_file.checked_values(found.text, path=path).get(key)
        if url:
            parsed = database_url.parse(stored or "")
            stored = parsed.password if parsed is not None else None
        if stored:
            return stored
    return None


def _places(place_map: PlaceMap | None, fact: str) -> list[tuple[str, str, bool]]:
    return places_holding(place_map.places if place_map else (), fact)


def places_holding(places: Iterable[Place], fact: str) -> list[tuple[str, str, bool]]:
    """(file, key, is a URL) of the dotenv places (and secret files) that may hold ``fact``,
    in order: where a secret is kept out of the files git tracks."""
    found = []
    spelled = "{" + fact + "}"
    for place in places:
        if place.format not in ("dotenv", "secret_file") or place.example:
            continue
        if place.value == spelled:
            found.append((place.file, place.key, False))
        elif place.url is not None and place.url.parts.get("password") == spelled:
            found.append((place.file, place.key, True))
    return found


def _is_secret_file(place_map: PlaceMap | None, path: str) -> bool:
    places = place_map.places if place_map else ()
    return any(place.file == path and place.format == "secret_file" for place in places)


def problem(password: str) -> str | None:
    """Why ``password`` cannot be kept in the project's .env, or None."""
    refused = [text for text in _UNSPELLABLE if text in password]
    if not refused:
        return None
    return (
        f"must not contain {' or '.join(refused)} with secret_storage: local (compose and "
        f"python-dotenv would read it differently from {LOCAL_FILE}); choose another password"
    )


def tracked_files_holding(project_dir: Path, spellings: set[str]) -> list[str]:
    """Files git tracks in ``project_dir`` whose working-tree text holds any of ``spellings``.

    The patterns go to ``git grep`` on stdin, never on its command line, where every local user
    could read them in the process list. Outside a git repository nothing is tracked.
    """
    import subprocess  # only local mode runs git: keep it off every other check's path

    patterns = "".join(f"{spelling}\n" for spelling in sorted(spellings) if spelling)
    if not patterns:
        return []
    try:
        result = subprocess.run(
            ["git", "grep", "--fixed-strings", "--files-with-matches", "-z", "-f", "-"],
            cwd=project_dir,
            input=patterns.encode(),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return []
    if result.returncode != 0:
        return []  # 1: no match; 128: not a repository
    return sorted(name for name in result.stdout.decode().split("\0") if name)
