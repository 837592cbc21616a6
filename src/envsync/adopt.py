"""``envsync adopt``: take over an existing project without changing what already agrees.

Discovery (``places.discovery``) finds every place that spells the database's credentials and
what each holds. Adopt decides the facts (every place agrees, or ``--prefer PLACE`` says which
one holds the truth), then writes three things and nothing else: ``.copier-answers.yml`` (the
facts, with Copier's ``_src_path``/``_commit`` so ``copier update`` works), the map
(``envsync.toml``) and a section appended to CLAUDE.md or AGENTS.md. A place that disagrees is
repaired by the one plan every command uses; a place that agrees is not touched.

All or nothing: the plan reads every place with its consumer and checks every repair before the
first write, and the writes run in ``file_io.all_or_nothing``, which puts back every file
already written when a later one fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from envsync import (
    adopt_secrets,
    answers,
    apply,
    file_io,
    local_secret,
    plan,
    section,
    template_source,
)
from envsync import facts as facts_module
from envsync.answers import ANSWERS_FILE
from envsync.errors import EnvsyncError
from envsync.formats.compose_file import LOOPBACK
from envsync.live import probe
from envsync.places import map_file
from envsync.places.discovery import Discovery, Found, discover
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Fact, Ignore, Place, PlaceMap

# The facts adopt decides, in the order the table shows them.
ANSWER_FACTS = ("db_service", "db_user", "db_password", "db_name", "db_host", "db_port")
# The facts a login tries: a place that disagrees on one of them may hold the truth.
LOGIN_FACTS = ("db_user", "db_password", "db_name")
MAP_HEADER = """\
# envsync's map: every place where a fact is written, found by `envsync adopt`.
# `envsync check` compares each place with the facts (.copier-answers.yml and [facts] below),
# `envsync render` repairs the places that differ, `envsync set KEY=VALUE` changes a fact in
# every place. Add or remove places by hand: see "The map" in envsync's README.
"""


@dataclass(frozen=True)
class Options:
    service: str | None = None
    prefer: str | None = None
    add_port: bool = False
    # The compose files, as ``docker compose -f`` takes them; () for compose's own lookup.
    compose_files: tuple[str, ...] = ()
    # Places that belong to something else (a file, or ``FILE: KEY``): left out of the map.
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What adopt found and, unless places disagree unresolved, what it wrote."""

    found: Discovery
    facts: dict[str, str]
    disagreements: tuple[str, ...]
    reference: dict[str, Found]  # per fact, the place the others are compared with
    storage: str = answers.DEFAULTS["secret_storage"]  # type: ignore[assignment]
    changes: tuple[plan.Change, ...] = ()
    tracked: tuple[str, ...] = ()  # files git tracks that already hold the password
    notes: tuple[str, ...] = ()
    planned: plan.Plan | None = None
    # Place label -> whether its credentials log in to the server that answers on
    # ``probed``; empty when nothing answers or no driver is installed.
    logins: dict[str, bool] = field(default_factory=dict)
    probed: str | None = None

    @property
    def conflict(self) -> bool:
        return bool(self.disagreements)


def adopt(project_dir: Path, options: Options) -> Outcome:
    """Discover, decide, and (when the places agree or ``prefer`` decides) write."""
    for existing in (ANSWERS_FILE, MAP_FILE):
        if (project_dir / existing).exists():
            raise EnvsyncError(
                f"{existing}: already exists, so envsync manages this project: use "
                "`envsync check` and `envsync render`"
            )
    found = discover(
        project_dir,
        service=options.service,
        compose_files=options.compose_files,
        exclude=options.exclude,
    )
    decided, disagreements, reference = decide(project_dir, found, options.prefer)
    if disagreements:
        logins, probed = _logins(found, decided, disagreements)
        return Outcome(
            found, decided, tuple(disagreements), reference, logins=logins, probed=probed
        )
    password = decided.get("db_password")
    if not password:
        raise EnvsyncError(
            f"{found.database.files[0]}: no place gives the database password; set "
            f"POSTGRES_PASSWORD for services.{found.database.service} and run adopt again"
        )
    added: tuple[Place, ...] = ()
    if options.add_port and found.port_place is not None:
        added = (found.port_place,)
        # From here on the database publishes db_port: the section gives host and port.
        found = replace(found, database=replace(found.database, port=decided["db_port"]))
    tracked = adopt_secrets.tracked_holders(project_dir, found, password)
    storage, home = adopt_secrets.storage(found, password, tracked)
    raw = _answers(project_dir, found, decided, storage)
    adopted = answers.from_mapping({**raw, "db_password": password}, path=Path(ANSWERS_FILE))
    instructions = found.instructions or "CLAUDE.md"
    databases, kept, database_notes = adopt_secrets.databases(project_dir, found, decided)
    place_map = PlaceMap(
        facts={
            name: Fact(value, secret=False)
            for name, value in decided.items()
            if name not in ANSWER_FACTS and "." not in name
        },
        places=(
            *(f.place for f in found.found if f.place is not None),
            *added,
            *(
                ()
                if found.section
                else section.places(
                    instructions, adopted, home, published=found.database.port is not None
                )
            ),
        ),
        compose_files=found.compose_files,
        ignores=tuple(Ignore(place.file, place.key) for place in found.excluded),
        databases=databases,
    )
    map_text = map_file.dump(place_map, header=MAP_HEADER)
    if map_file.parse(map_text) != place_map:
        raise EnvsyncError(f"{MAP_FILE}: the map adopt wrote does not read back; please report")
    rewrites = [plan.Rewrite(MAP_FILE, map_text)]
    if not found.section:
        current = file_io.read(project_dir, instructions)
        text = section.appended(current, adopted, home, published=found.database.port is not None)
        rewrites.append(plan.Rewrite(instructions, text, ("credentials section",)))
    rewrites.append(
        plan.Rewrite(ANSWERS_FILE, answers.dump(raw), private=storage != local_secret.LOCAL)
    )
    facts = facts_module.from_answers(adopted, place_map, kept)
    planned = plan.plan(project_dir, facts, place_map, rewrites=rewrites)
    apply.apply(project_dir, planned.changes)
    changes = [change for change in planned.changes if change.path != ANSWERS_FILE]
    notes = [*found.notes, *_notes(found, planned, options.prefer), *database_notes]
    if added:
        notes.append(
            f"--add-port: {added[0].file} publishes the database on "
            f"{LOOPBACK}:{decided['db_port']} (this machine only)"
        )
    elif options.add_port:
        notes.append(f"--add-port: the database already publishes port {found.database.port}")
    if storage == local_secret.LOCAL:
        notes.append(
            f"secret_storage: local: the password stays out of files git tracks; envsync reads "
            f"it from {home}"
        )
    elif not tracked:
        notes.append(
            f"{ANSWERS_FILE} now holds the password (no git-ignored env file carries it): keep "
            "that file out of git"
        )
    if "_src_path" not in raw:
        notes.append(
            "copier update needs the template: add to .copier-answers.yml `_src_path:` the "
            "absolute path or git URL of a clone of the envsync repository (the directory with "
            "copier.yml) and `_commit:` the tag or commit of it that matches this envsync"
        )
    return Outcome(
        found,
        decided,
        (),
        reference,
        storage,
        tuple(changes),
        tracked,
        tuple(notes),
        planned,
    )


# -- deciding the facts ------------------------------------------------------------------------


def _preferred(project_dir: Path, found: Discovery, prefer: str) -> list[Found]:
    given = prefer.strip()
    file, sep, key = given.partition(": ")
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(project_dir.resolve())
        except ValueError:
            raise EnvsyncError(f"--prefer {prefer}: must be inside the project") from None
    file = PurePosixPath(path.as_posix()).as_posix()
    chosen = [
        f
        for f in found.found
        if f.counts and f.file == file and (not sep or (f.place and f.place.key == key.strip()))
    ]
    if not chosen:
        places = ", ".join(dict.fromkeys(f.file for f in found.found if f.counts))
        raise EnvsyncError(
            f"--prefer {prefer}: names no place adopt found; --prefer takes a file or "
            f"'FILE: KEY' among: {places}"
        )
    return chosen


def decide(
    project_dir: Path, found: Discovery, prefer: str | None
) -> tuple[dict[str, str], list[str], dict[str, Found]]:
    """Each fact's value: the one every voting place gives, else the preferred place's."""
    voters = [f for f in found.found if f.counts]
    preferred = _preferred(project_dir, found, prefer) if prefer else []
    names = list(ANSWER_FACTS)
    for f in found.found:
        names += [name for name in f.values if name not in names]
    decided: dict[str, str] = {}
    disagreements: list[str] = []
    reference: dict[str, Found] = {}
    for name in names:
        values = [f for f in voters if name in f.values]
        chosen = [f for f in preferred if name in f.values]
        if len({f.values[name] for f in chosen}) > 1:
            raise EnvsyncError(
                f"--prefer {prefer}: its places differ on {name}; name one with "
                f"--prefer 'FILE: KEY' ({', '.join(f.label for f in chosen)})"
            )
        if chosen:
            reference[name] = chosen[0]
        elif values:
            reference[name] = values[0]
        if name in reference:
            decided[name] = reference[name].values[name]
            if not chosen and len({f.values[name] for f in values}) > 1:
                disagreements.append(name)
    db = found.database
    defaults = {
        "db_service": db.service,
        "db_user": db.user,
        "db_name": db.name,
        "db_port": db.port or "5432",
        "db_host": found.db_host or str(answers.DEFAULTS["db_host"]),
    }
    for other in found.others:
        defaults |= {
            f"{other.service}.db_user": other.user,
            f"{other.service}.db_name": other.name,
            f"{other.service}.db_port": other.port or "5432",
        }
    for name, value in defaults.items():
        decided.setdefault(name, value)
    return decided, disagreements, reference


def _logins(
    found: Discovery, decided: dict[str, str], disagreements: list[str]
) -> tuple[dict[str, bool], str | None]:
    """Per place label, whether the credentials it names log in to the server that answers on
    the database's host address; the address tried (None when nothing could be tried)."""
    if found.database.port is None or not set(disagreements) & set(LOGIN_FACTS):
        return {}, None  # no host view: nothing on this machine is known to be the database
    host, port = decided["db_host"], decided["db_port"]
    if not port.isdigit():
        return {}, None
    # The parts of one set of credentials sit in several places (POSTGRES_USER and
    # POSTGRES_PASSWORD of one service, DB_* of one env file); a URL is a set on its own.
    groups: dict[tuple[str, str], list[Found]] = {}
    for f in found.found:
        if f.place is None or not f.counts or not set(f.values) & set(LOGIN_FACTS):
            continue
        within = f.place.key if f.place.url is not None else f.place.key.rpartition(".")[0]
        groups.setdefault((f.place.file, within), []).append(f)
    db = found.database
    candidates: dict[str, probe.Credentials] = {}
    for members in groups.values():
        values: dict[str, str] = {}
        for f in members:
            values = {**f.values, **values}
        if "db_password" not in values:
            continue  # a user or a database name alone is no login to try
        # What a place leaves out is the service's own (POSTGRES_PASSWORD alone: its user).
        credentials = probe.Credentials(
            values.get("db_user", db.user), values["db_password"], values.get("db_name", db.name)
        )
        candidates |= {f.label: credentials for f in members}
    if not candidates:
        return {}, None
    accepted = probe.logins(host, int(port), candidates.values())
    if not accepted:
        return {}, None
    return {label: accepted[c] for label, c in candidates.items()}, f"{host}:{port}"


def _compose_project_name(project_dir: Path, directory: str) -> str:
    name = (project_dir / directory).resolve().name
    # Compose's own normalisation: lower case, [a-z0-9_-], starting with a letter or digit.
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-") or "default"


def _drivers(found: Discovery) -> tuple[str, str]:
    """(app_driver, migrations_driver) for the answers, from the URLs' schemes."""
    app, migrations = None, None
    for f in found.found:
        place = f.place
        if place is None or place.url is None:
            continue
        driver = (f.scheme or "").partition("+")[2] or "psycopg2"
        if place.format == "ini":
            migrations = migrations or driver
        elif place.format in ("dotenv", "compose"):
            app = app or driver
    app = app if app in answers.APP_DRIVERS else str(answers.DEFAULTS["app_driver"])
    if migrations not in answers.MIGRATIONS_DRIVERS:
        migrations = app if app in answers.MIGRATIONS_DRIVERS else None
    return app, migrations or str(answers.DEFAULTS["migrations_driver"])


def _answers(
    project_dir: Path, found: Discovery, decided: dict[str, str], storage: str
) -> dict[str, object]:
    """Every answer, as ``copier copy`` records them (the password only in answers mode)."""
    db = found.database
    image = db.image if db.image and not answers.problem("db_image", db.image) else None
    container = db.container or (
        f"{_compose_project_name(project_dir, db.directory)}-{db.service}-1"
    )
    backend = next(
        (
            PurePosixPath(f.place.file).parent.as_posix()
            for f in found.found
            if f.place and f.place.format == "dotenv" and f.place.url is not None
        ),
        ".",
    )
    app_driver, migrations_driver = _drivers(found)
    values: dict[str, object] = {
        "project_name": project_dir.resolve().name,
        "db_service": decided["db_service"],
        "db_container": container,
        "db_image": image or answers.DEFAULTS["db_image"],
        "db_user": decided["db_user"],
        "secret_storage": storage,
        "db_password": decided["db_password"],
        "db_name": decided["db_name"],
        "db_host": decided["db_host"],
        "db_port": int(decided["db_port"]) if decided["db_port"].isdigit() else decided["db_port"],
        "backend_dir": backend if backend != "." else answers.DEFAULTS["backend_dir"],
        "app_driver": app_driver,
        "migrations_driver": migrations_driver,
        "use_pgvector": "pgvector" in (image or ""),
    }
    for key, value in values.items():
        reason = answers.problem(key, value)
        if reason:
            raise EnvsyncError(f"{db.files[0]}: {key} {reason}")
    if storage == local_secret.LOCAL:
        del values["db_password"]
    return {**template_source.source(), **values}


# -- what adopt says -----------------------------------------------------------------------------


def _notes(found: Discovery, planned: plan.Plan, prefer: str | None) -> list[str]:
    """What --prefer changed, by the places it repaired: a place repaired through a reference
    changed in the file that defines the variable, but it is still the database's."""
    notes: list[str] = []
    if prefer is None:
        return notes
    database_files = set(found.database.files)
    database_variables = {
        place.via for place in planned.place_map.places if place.file in database_files
    } - {None}
    written = {c.path for c in planned.changes if c.old is not None} - {MAP_FILE, ANSWERS_FILE}
    repaired = [f for f in planned.findings if f.path in written or f.path in database_files]
    database = sorted({f.path for f in repaired if f.path in database_files})
    if database:
        notes.append(
            f"{', '.join(database)}: POSTGRES_* changed; a database volume initialised with the "
            "old values keeps them (recreate it, or ALTER ROLE; `envsync doctor` tells)"
        )
    app = sorted(
        {
            f.path
            for f in repaired
            if f.path not in database_files
            and f.path != (found.instructions or "CLAUDE.md")
            and f.key not in database_variables
        }
    )
    if app:
        notes.append(f"--prefer changed what the application connects with, in {', '.join(app)}")
    return notes
