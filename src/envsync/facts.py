"""The single source: facts by name, from the answers and from the map's own ``[facts]``.

The answers (``.copier-answers.yml``) hold the template's facts; a team adds facts of its own in
the map. Which facts are secret decides what every report masks. With ``secret_storage: local``
the password is in no answer: it is found here, and only here, in the project's git-ignored
place the map gives it (a fresh clone gets a new random one, which ``envsync render`` writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from envsync import answers as answers_module
from envsync import local_secret
from envsync.answers import ANSWERS_FILE, LOCAL, Answers
from envsync.errors import AnswersError, MapError
from envsync.places.map_file import MAP_FILE
from envsync.places.model import DATABASE_FACTS, PlaceMap

SECRET_ANSWERS = frozenset({"db_password"})


@dataclass(frozen=True)
class Facts:
    values: Mapping[str, str]
    secret: frozenset[str]
    answers: Answers

    def is_secret(self, names: tuple[str, ...]) -> bool:
        return any(name in self.secret for name in names)

    def secret_values(self) -> list[str]:
        return [self.values[name] for name in sorted(self.secret) if name in self.values]


def from_answers(
    answers: Answers, place_map: PlaceMap, kept: Mapping[str, str] | None = None
) -> Facts:
    """The facts: the answers, the map's own, and each second database's (its password from
    the map, else from ``kept``: what its git-ignored places hold, see :func:`kept_secrets`)."""
    values = {key: str(value) for key, value in answers.context().items()}
    secret = set(SECRET_ANSWERS)
    for service, database in place_map.databases.items():
        if service == answers.db_service:
            raise MapError(
                path=MAP_FILE,
                message=f"database.{service} is the project's own database (db_service in "
                f"{ANSWERS_FILE}); give its places no database",
            )
        values.update(database.values(values))
        password = f"{service}.db_password"
        secret.add(password)
        if password not in values:
            # As with secret_storage: local, a fresh clone has none of the git-ignored places:
            # a new random password, which `envsync render` writes there.
            values[password] = (kept or {}).get(password) or answers_module.random_password()
    for name, fact in place_map.facts.items():
        if name in values:
            raise MapError(
                path=MAP_FILE,
                message=f"facts.{name} is already an answer in {ANSWERS_FILE}; "
                "change it with `envsync set` instead",
            )
        values[name] = fact.value
        if fact.secret:
            secret.add(name)
    for place in place_map.places:
        place.check_facts(values, MAP_FILE)
    return Facts(values, frozenset(secret), answers)


def complete(project_dir: Path, raw: Mapping[str, object], place_map: PlaceMap | None) -> Answers:
    """Validate ``raw`` answers, with the locally kept password when they leave it out."""
    if raw.get("secret_storage") == LOCAL and "db_password" not in raw:
        backend_dir = str(raw.get("backend_dir", answers_module.DEFAULTS["backend_dir"]))
        stored = local_secret.read(project_dir, place_map, backend_dir)
        raw = {**raw, "db_password": stored or answers_module.random_password()}
    validated = answers_module.from_mapping(raw, path=ANSWERS_FILE)
    if validated.secret_storage == LOCAL:
        reason = local_secret.problem(validated.db_password)
        if reason:
            raise AnswersError(path=ANSWERS_FILE, key="db_password", message=reason)
    return validated


def load_answers(project_dir: Path, place_map: PlaceMap | None = None) -> Answers:
    """The project's answers, the locally kept password included (``place_map`` says where it
    is kept; without it, the project's map on disk, else the template's places)."""
    if place_map is None:
        place_map = _map_on_disk(project_dir)
    return complete(project_dir, answers_module.read(project_dir), place_map)


def kept_password(
    project_dir: Path, backend_dir: str, place_map: PlaceMap | None = None
) -> str | None:
    """The password the project keeps locally (Copier's default in ``secret_storage: local``,
    and what a switch back to ``answers`` moves into the answers)."""
    if place_map is None:
        place_map = _map_on_disk(project_dir)
    return local_secret.read(project_dir, place_map, backend_dir)


def _map_on_disk(project_dir: Path) -> PlaceMap | None:
    from envsync.errors import EnvsyncError
    from envsync.places import map_file

    try:
        return map_file.load(project_dir)
    except EnvsyncError:
        return None


def kept_secrets(project_dir: Path, place_map: PlaceMap) -> dict[str, str]:
    """The passwords of second databases the map does not give, from their git-ignored places."""
    kept = {}
    for service, database in place_map.databases.items():
        name = f"{service}.db_password"
        value = None
        if "db_password" not in database.facts:
            value = local_secret.read_fact(project_dir, place_map, name)
        if value is not None:
            kept[name] = value
    return kept


def database_answers(facts: Facts, service: str) -> Answers:
    """The answers as the live half reads them, describing the database ``service`` instead of
    the project's own (a second database of the map)."""
    if service == facts.answers.db_service:
        return facts.answers
    if f"{service}.db_service" not in facts.values:
        raise MapError(
            path=MAP_FILE,
            message=f"--database {service}: no [database.{service}] table (the project's own "
            f"database is {facts.answers.db_service})",
        )
    values = {name: facts.values[f"{service}.{name}"] for name in DATABASE_FACTS}
    port = values["db_port"]
    return replace(
        facts.answers,
        db_service=service,
        db_container=service,
        db_user=values["db_user"],
        db_password=values["db_password"],
        db_name=values["db_name"],
        db_host=values["db_host"],
        db_port=int(port) if port.isascii() and port.isdigit() else 5432,
    )


def load(project_dir: Path, place_map: PlaceMap) -> Facts:
    answers = load_answers(project_dir, place_map)
    return from_answers(answers, place_map, kept_secrets(project_dir, place_map))
