"""Where adopt keeps each password it found: which tracked files already hold it, whether a
git-ignored env file can keep it (``secret_storage: local``), and each second database's facts,
its password in the map or kept in its git-ignored places."""

from __future__ import annotations

from pathlib import Path

from envsync import local_secret, redact
from envsync.errors import EnvsyncError
from envsync.places.discovery import Discovery
from envsync.places.model import TABLE_FACTS, Database


def databases(
    project_dir: Path, found: Discovery, decided: dict[str, str]
) -> tuple[dict[str, Database], dict[str, str], list[str]]:
    """The map's second databases with their facts, the passwords kept out of the map (those a
    git-ignored env file holds and no tracked file does, as ``secret_storage: local``), and
    notes naming the tracked files that already hold a password the map gets."""
    databases: dict[str, Database] = {}
    kept: dict[str, str] = {}
    notes: list[str] = []
    places = [f.place for f in found.found if f.place is not None]
    for other in found.others:
        prefix = f"{other.service}."
        facts = {
            name.removeprefix(prefix): value
            for name, value in decided.items()
            if name.startswith(prefix) and name.removeprefix(prefix) in TABLE_FACTS
        }
        password = facts.get("db_password")
        if not password:
            raise EnvsyncError(
                f"{other.files[0]}: no place gives the password of database {other.service}; "
                f"set POSTGRES_PASSWORD for services.{other.service}"
            )
        home = local_secret.places_holding(places, prefix + "db_password")
        spellings = redact.secret_spellings([password])
        tracked = local_secret.tracked_files_holding(project_dir, spellings)
        if home and not tracked:
            kept[prefix + "db_password"] = facts.pop("db_password")
        else:
            notes.append(
                f"database {other.service}: its password is in envsync.toml"
                + (f" (files git tracks hold it already: {', '.join(tracked)})" if tracked else "")
                + "; keep the map out of public repositories, or move the password to a "
                "git-ignored .env"
            )
        databases[other.service] = Database(other.service, facts)
    return databases, kept, notes


def password_home(found: Discovery) -> str | None:
    """The first dotenv place (or secret file) that holds the password: where local mode
    keeps it."""
    for f in found.found:
        place = f.place
        if place is None or place.format not in ("dotenv", "secret_file") or place.example:
            continue
        if place.value == "{db_password}":
            return place.file if place.format == "secret_file" else f"{place.key} in {place.file}"
        if place.url is not None and place.url.parts.get("password") == "{db_password}":
            return f"the password of {place.key} in {place.file}"
    return None


def tracked_holders(project_dir: Path, found: Discovery, password: str) -> tuple[str, ...]:
    """Files git tracks that hold the password, or a password place whose value adopt
    changes (--prefer): those get the password either way."""
    holders = set(
        local_secret.tracked_files_holding(project_dir, redact.secret_spellings([password]))
    )
    others = {
        f.values["db_password"]
        for f in found.found
        if "db_password" in f.values and f.place is not None and not f.place.example
    } - {password}
    if others:
        places = {f.file for f in found.found if "db_password" in f.values}
        spellings = redact.secret_spellings(list(others))
        holders |= set(local_secret.tracked_files_holding(project_dir, spellings)) & places
    return tuple(sorted(holders))


def storage(found: Discovery, password: str, tracked: tuple[str, ...]) -> tuple[str, str | None]:
    """``local`` when the password is in no tracked file and a git-ignored env file has it."""
    home = password_home(found)
    if tracked or home is None or local_secret.problem(password):
        return "answers", None
    return local_secret.LOCAL, home
