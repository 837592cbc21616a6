"""``envsync.toml``: the tracked, human-readable map of every place where a fact is written.

```toml
[facts]                      # facts of your own; the database facts come from the answers
redis_password = { value = "s3cret", secret = true }

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
file = "backend/.env"
key = "DATABASE_URL"
url = "host"  # or "network", or { view = "host", scheme = "postgresql+{app_driver}" }

[compose]                    # only when compose must be told the files (`docker compose -f`)
files = ["local.yml"]

[database.db_test]           # a second database: a compose service with facts of its own
db_user = "app"
db_name = "app_test"
db_port = "5452"             # no db_password: it is kept in the database's git-ignored places

[[place]]
database = "db_test"         # {db_password} here is db_test's password, never the project's
file = "docker-compose.yml"
key = "services.db_test.environment.POSTGRES_PASSWORD"
value = "{db_password}"
```

The format of a file follows from its name (``*.md``, ``*.ini``, ``.github/workflows/*``, compose
file names, anything else is a dotenv file) unless the place says ``format = ...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from envsync import answers, file_io
from envsync.errors import MapError
from envsync.formats.compose_names import COMPOSE_NAME
from envsync.places.model import (
    FORMATS,
    TABLE_FACTS,
    URL_PARTS,
    VIEWS,
    Database,
    Fact,
    Ignore,
    Place,
    PlaceMap,
    Url,
    fact_names,
)

MAP_FILE = "envsync.toml"
_URL_KEYS = {"view", "scheme", *URL_PARTS}
_LIST_FORMATS = ("compose", "workflow")
_PLACE_KEYS = {"file", "key", "format", "value", "url", "example", "via", "database"}


def format_of(file: str) -> str:
    path = PurePosixPath(file)
    if path.suffix == ".md":
        return "markdown"
    if path.suffix == ".ini":
        return "ini"
    if path.suffix in {".yml", ".yaml"}:
        if path.parent.as_posix().endswith(".github/workflows"):
            return "workflow"
        if COMPOSE_NAME.fullmatch(path.name):
            return "compose"
    return "dotenv"


def parse(text: str, *, path: str = MAP_FILE) -> PlaceMap:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib puts "(at line N, column M)" in its message: the line goes where every
        # error names it (path:line), so a machine reader (check --json) gets it too.
        where = re.search(r" \(at line (\d+), column (\d+)\)$", str(error))
        if where is None:
            raise MapError(path=path, message=f"is not valid TOML: {error}") from None
        reason = str(error)[: where.start()]
        raise MapError(
            path=path,
            line=int(where[1]),
            message=f"is not valid TOML: {reason} (column {where[2]})",
        ) from None
    unknown = set(data) - {"facts", "place", "compose", "ignore", "database"}
    if unknown:
        raise MapError(
            path=path,
            message=f"unknown table {sorted(unknown)[0]!r} "
            "(use facts, place, compose, ignore, database)",
        )
    own_facts = data.get("facts", {})
    if not isinstance(own_facts, dict):
        raise MapError(path=path, message="'facts' must be a table ([facts])")
    facts = {name: _fact(name, value, path) for name, value in own_facts.items()}
    entries = data.get("place", [])
    if not isinstance(entries, list):
        raise MapError(path=path, message="'place' must be an array of tables ([[place]])")
    databases = _databases(data.get("database", {}), path)
    places = tuple(_place(index, entry, path, databases) for index, entry in enumerate(entries, 1))
    ignores = data.get("ignore", [])
    if not isinstance(ignores, list):
        raise MapError(path=path, message="'ignore' must be an array of tables ([[ignore]])")
    ignored = tuple(_ignore(index, entry, path) for index, entry in enumerate(ignores, 1))
    return PlaceMap(
        facts=facts,
        places=places,
        compose_files=_compose_files(data, path),
        ignores=ignored,
        databases=databases,
    )


def _databases(tables: object, path: str) -> dict[str, Database]:
    """``[database.SERVICE]``: the databases besides the project's own, with their facts."""
    if not isinstance(tables, dict):
        raise MapError(path=path, message="'database' must be tables ([database.SERVICE])")
    databases = {}
    for service, table in tables.items():
        where = f"database.{service}"
        if answers.problem("db_service", service) or "." in service:
            raise MapError(path=path, message=f"{where}: not a compose service name")
        if not isinstance(table, dict):
            raise MapError(path=path, message=f"{where} must be a table")
        unknown = set(table) - set(TABLE_FACTS)
        if unknown:
            raise MapError(
                path=path,
                message=f"{where}: unknown fact {sorted(unknown)[0]!r} "
                f"(a database has {', '.join(TABLE_FACTS)})",
            )
        facts = {}
        for name, value in table.items():
            text = str(value) if name == "db_port" and isinstance(value, int) else value
            if not isinstance(text, str):
                raise MapError(path=path, message=f"{where}.{name} must be text")
            problem = answers.typed_problem(name, text)
            if problem:
                raise MapError(path=path, message=f"{where}.{name} {problem}")
            facts[name] = text
        databases[service] = Database(service, facts)
    return databases


def _ignore(index: int, entry: object, path: str) -> Ignore:
    """``[[ignore]]``: a copy outside the map that the team keeps on purpose."""
    where = f"ignore #{index}"
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry["file"]:
        raise MapError(path=path, message=f"{where} needs a text field 'file'")
    unknown = set(entry) - {"file", "key", "line"}
    if unknown:
        raise MapError(path=path, message=f"{where}: unknown field {sorted(unknown)[0]!r}")
    problem = _file_problem(entry["file"])
    if problem:
        raise MapError(path=path, message=f"{where}: file {entry['file']!r} {problem}")
    key, line = entry.get("key"), entry.get("line")
    if any(field is not None and not isinstance(field, str) for field in (key, line)):
        raise MapError(path=path, message=f"{where}: key and line must be text")
    return Ignore(entry["file"], key, line)


def _compose_files(data: dict[str, Any], path: str) -> tuple[str, ...]:
    compose = data.get("compose", {})
    files = compose.get("files", []) if isinstance(compose, dict) else None
    if (
        not isinstance(compose, dict)
        or set(compose) - {"files"}
        or not isinstance(files, list)
        or not all(isinstance(name, str) and name for name in files)
    ):
        raise MapError(path=path, message='compose must be a table: files = ["compose.yml", ...]')
    for name in files:
        problem = _file_problem(name)
        if problem:
            raise MapError(path=path, message=f"compose file {name!r} {problem}")
    return tuple(files)


def _fact(name: str, value: object, path: str) -> Fact:
    if not name.isidentifier():
        raise MapError(path=path, message=f"facts.{name}: a fact's name is letters, digits and '_'")
    fact = None
    if isinstance(value, str):
        fact = Fact(value, secret=False)
    elif isinstance(value, dict) and isinstance(value.get("value"), str):
        extra = set(value) - {"value", "secret"}
        if not extra and isinstance(value.get("secret", False), bool):
            fact = Fact(value["value"], secret=value.get("secret", False))
    if fact is None:
        raise MapError(
            path=path, message=f'facts.{name} must be text or {{ value = "...", secret = true }}'
        )
    problem = _text_problem(fact.value)
    if problem:
        raise MapError(path=path, message=f"facts.{name} {problem}")
    return fact


def _text_problem(text: str) -> str | None:
    """A value or key must be one line of printable text: a line break would write a line of
    its own into a .env or an ini file, and other readers split lines at NEL or U+2028."""
    bad = next((character for character in text if not character.isprintable()), None)
    if bad is None:
        return None
    return f"holds the non-printable character U+{ord(bad):04X}"


def _place(index: int, entry: object, path: str, databases: Mapping[str, Database]) -> Place:
    where = f"place #{index}"
    if not isinstance(entry, dict):
        raise MapError(path=path, message=f"{where} must be a table")
    unknown = set(entry) - _PLACE_KEYS
    if unknown:
        raise MapError(path=path, message=f"{where}: unknown field {sorted(unknown)[0]!r}")
    file, key = entry.get("file"), entry.get("key")
    if not isinstance(file, str) or not file or not isinstance(key, str) or not key:
        raise MapError(path=path, message=f"{where} needs text fields 'file' and 'key'")
    problem = _file_problem(file)
    if problem:
        raise MapError(path=path, message=f"{where}: file {file!r} {problem}")
    problem = _text_problem(key)
    if problem:
        raise MapError(path=path, message=f"{where}: key {problem}")
    where = f"{where} ({file}: {key})"
    fmt = entry.get("format", format_of(file))
    if fmt not in FORMATS:
        raise MapError(path=path, message=f"{where}: format must be one of {', '.join(FORMATS)}")
    problem = _locator_problem(fmt, key)
    if problem:
        raise MapError(path=path, message=f"{where}: {problem}")
    value, url = entry.get("value"), entry.get("url")
    if (value is None) == (url is None):
        raise MapError(path=path, message=f"{where} needs exactly one of 'value' and 'url'")
    example = entry.get("example", False)
    if not isinstance(example, bool):
        raise MapError(path=path, message=f"{where}: example must be true or false")
    via = entry.get("via")
    if via is not None and (not isinstance(via, str) or not via.isidentifier()):
        raise MapError(path=path, message=f"{where}: via must name a variable")
    database = entry.get("database")
    if database is not None and not isinstance(database, str):
        raise MapError(path=path, message=f"{where}: database must name a [database.SERVICE] table")
    if database is not None and database not in databases:
        raise MapError(
            path=path,
            message=f"{where}: database {database!r} has no [database.{database}] table",
        )
    try:
        spelled_value = None if value is None else _value(value)
        if isinstance(spelled_value, tuple) and fmt not in _LIST_FORMATS:
            raise ValueError(f"a list value fits a {' or '.join(_LIST_FORMATS)} file only")
        spelled_url = None if url is None else _url(url)
        place = Place(file, fmt, key, spelled_value, spelled_url, example, via, origin=where)
        place.facts()
        fact_names(key)
    except ValueError as error:
        raise MapError(path=path, message=f"{where}: {error}") from None
    return place if database is None else place.of_database(database)


def _file_problem(file: str) -> str | None:
    """Why ``file`` can be no place: the map is a cloned repository's input, so a path out of
    the project, or into ``.git/`` (whose config and hooks run commands), is refused here."""
    problem = _text_problem(file)
    if problem:
        return problem
    posix = PurePosixPath(file)
    if posix.is_absolute() or ".." in posix.parts:
        return "must stay inside the project"
    if any(part.lower() == file_io.GIT_DIR for part in posix.parts):
        return "is under .git/, where envsync never writes (its settings and hooks run commands)"
    return None


def _locator_problem(fmt: str, key: str) -> str | None:
    """Why ``key`` locates nothing in a file of format ``fmt``, or None."""
    from envsync.formats import dotenv_file, ini_file, yaml_document

    splitters: dict[str, Callable[[str], object]] = {
        "compose": yaml_document.split_locator,
        "workflow": yaml_document.split_locator,
        "ini": ini_file.split_locator,
        "dotenv": dotenv_file.check_key,
    }
    try:
        splitters.get(fmt, str)(key)
    except ValueError as error:
        return str(error)
    return None


def _value(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        spelled: str | tuple[str, ...] = value
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        spelled = tuple(value)
    else:
        raise ValueError("value must be a pattern of facts ('{db_user}') or a list of them")
    for pattern in (spelled,) if isinstance(spelled, str) else spelled:
        problem = _text_problem(pattern)
        if problem:
            raise ValueError(f"value {problem}")
    return spelled


def _url(url: object) -> Url:
    if isinstance(url, str):
        url = {"view": url}
    if not isinstance(url, dict):
        raise ValueError("url must be a view ('host', 'network') or a table")
    unknown = set(url) - _URL_KEYS
    if unknown:
        raise ValueError(f"url: unknown field {sorted(unknown)[0]!r}")
    view = url.get("view", "host")
    if view not in VIEWS:
        raise ValueError(f"url view must be one of {', '.join(VIEWS)}")
    parts: dict[str, str | None] = {"drivername": None, **VIEWS[view]}
    for name in URL_PARTS:
        given = url.get("scheme" if name == "drivername" else name)
        if given is not None:
            if not isinstance(given, str):
                raise ValueError(f"url.{name} must be text")
            problem = _text_problem(given)
            if problem:
                raise ValueError(f"url.{name} {problem}")
            fact_names(given)
            parts[name] = given
    return Url(parts=parts, view=view)


def load(project_dir: Path) -> PlaceMap | None:
    """The project's map, or None when it has none."""
    found = file_io.read(project_dir, MAP_FILE)
    return None if found is None else parse(found.text)


def toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML has no \/ (json never writes it).
    # Imported here: a check reads the map, only adopt and render write it.
    import json

    return json.dumps(value, ensure_ascii=False)


def dump(place_map: PlaceMap, *, header: str = "") -> str:
    """The map as text, in the same shape ``copier copy`` writes it."""
    lines = [header.rstrip("\n")] if header else []
    if place_map.facts:
        lines += ["", "[facts]"]
        for name, fact in place_map.facts.items():
            secret = ", secret = true" if fact.secret else ""
            lines.append(f"{name} = {{ value = {toml_string(fact.value)}{secret} }}")
    for service, database in place_map.databases.items():
        lines += ["", f"[database.{service}]"]
        lines += [f"{name} = {toml_string(value)}" for name, value in database.facts.items()]
    for place in (place.as_written() for place in place_map.places):
        lines += ["", "[[place]]"]
        if place.database:
            lines.append(f"database = {toml_string(place.database)}")
        lines.append(f"file = {toml_string(place.file)}")
        if place.format != format_of(place.file):
            lines.append(f"format = {toml_string(place.format)}")
        lines.append(f"key = {toml_string(place.key)}")
        lines.append(_spelling_line(place))
        if place.example:
            lines.append("example = true")
        if place.via:
            lines.append(f"via = {toml_string(place.via)}")
    if place_map.compose_files:
        files = ", ".join(toml_string(name) for name in place_map.compose_files)
        lines += ["", "[compose]", f"files = [{files}]"]
    for entry in place_map.ignores:
        lines += ["", "[[ignore]]", f"file = {toml_string(entry.file)}"]
        lines += [
            f"{name} = {toml_string(value)}"
            for name, value in (("key", entry.key), ("line", entry.line))
            if value is not None
        ]
    return "\n".join(lines).lstrip("\n") + "\n"


def _spelling_line(place: Place) -> str:
    if place.url is None:
        value = place.value
        if isinstance(value, str):
            return f"value = {toml_string(value)}"
        assert value is not None
        return f"value = [{', '.join(toml_string(item) for item in value)}]"
    defaults: Mapping[str, Any] = {"drivername": None, **VIEWS[place.url.view]}
    extra = {
        ("scheme" if name == "drivername" else name): part
        for name, part in place.url.parts.items()
        if part != defaults[name]
    }
    if not extra:
        return f"url = {toml_string(place.url.view)}"
    fields = [f"view = {toml_string(place.url.view)}"] + [
        f"{name} = {toml_string(part or '')}" for name, part in extra.items()
    ]
    return f"url = {{ {', '.join(fields)} }}"
