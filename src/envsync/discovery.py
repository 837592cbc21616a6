"""What an existing project already says about its database, read as each consumer reads it.

``envsync adopt`` starts here: find the compose file and its database service, the backend's
.env, alembic.ini (and whether its env.py takes the URL from the environment) and CLAUDE.md, and
turn each into a ``Reading``: the credentials that file gives, or None where it says nothing.
Nothing here writes; every file that cannot be read is a ``FormatError`` naming it.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from envsync import answers, database_url, file_io
from envsync.errors import EnvsyncError, FormatError
from envsync.formats import dotenv_file, ini_file, markdown_section, yaml_nodes
from envsync.formats.compose_file import ComposeView
from envsync.formats.compose_interpolation import InterpolationError, interpolate
from envsync.project import compose_variables

# In the order compose itself looks for them.
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DEFAULT_ENV_FILE = "backend/.env"
CLAUDE_MD = "CLAUDE.md"
FIELDS = ("user", "password", "database", "host", "port")
# What the postgres image does without POSTGRES_USER, and where libpq goes without a port.
IMAGE_DEFAULT_USER = "postgres"
DEFAULT_PORT = 5432

# The last path component of the images built on the official postgres image (and its clones).
_DATABASE_IMAGE = re.compile(r"(postgres(ql)?|pgvector|postgis|timescaledb(-ha)?)")
_POSTGRES_KEY = re.compile(r"POSTGRES_[A-Z_]+")
_SYNC_DRIVERS = re.compile(r"postgresql\+(psycopg2|psycopg|pg8000)\b")


@dataclass(frozen=True)
class Reading:
    """The credentials one file gives. ``counts`` is False when nothing uses them (alembic.ini's
    URL when env.py reads ``DATABASE_URL``, alembic init's placeholder)."""

    file: str
    label: str
    user: str | None = None
    password: str | None = None
    database: str | None = None
    host: str | None = None
    port: int | None = None
    counts: bool = True
    note: str = ""

    def value(self, name: str) -> str | None:
        value = getattr(self, name)
        return None if value is None else str(value)


@dataclass(frozen=True)
class ComposeService:
    path: str
    text: str
    service: str
    image: str | None
    container: str
    reading: Reading


@dataclass(frozen=True)
class BackendEnv:
    path: str
    backend_dir: str
    readings: tuple[Reading, ...]
    driver: str | None


@dataclass(frozen=True)
class AlembicIni:
    path: str
    reading: Reading | None
    driver: str | None
    env_py: str | None
    env_py_reads_environment: bool


@dataclass(frozen=True)
class Discovery:
    compose: ComposeService
    env: BackendEnv
    alembic: AlembicIni | None
    claude_md: file_io.TextFile | None
    claude_md_has_section: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def readings(self) -> tuple[Reading, ...]:
        ini = (self.alembic.reading,) if self.alembic and self.alembic.reading else ()
        return (self.compose.reading, *self.env.readings, *ini)


def discover(
    project_dir: Path,
    *,
    compose_file: str | None = None,
    service: str | None = None,
    env_file: str | None = None,
) -> Discovery:
    compose = read_compose(project_dir, compose_file, service)
    env = read_backend_env(project_dir, env_file)
    alembic = read_alembic(project_dir, env.backend_dir)
    notes = []
    if alembic is None and (project_dir / "alembic.ini").is_file():
        notes.append(
            f"alembic.ini at the project root is not managed: envsync manages "
            f"{env.backend_dir}/alembic.ini, next to {env.path}"
        )
    claude = file_io.read(project_dir / CLAUDE_MD, CLAUDE_MD)
    has_section = False
    if claude is not None:
        has_section = (
            markdown_section.locate(claude.text.splitlines(keepends=True), CLAUDE_MD) is not None
        )
    return Discovery(compose, env, alembic, claude, has_section, tuple(notes))


def relative_path(project_dir: Path, given: str, what: str) -> Path:
    path = Path(given)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(project_dir.resolve())
        except ValueError:
            raise EnvsyncError(f"{given}: {what} must be inside the project") from None
    if ".." in path.parts:
        raise EnvsyncError(f"{given}: {what} must be inside the project")
    return path


def find_compose_file(project_dir: Path, given: str | None) -> str:
    if given is not None:
        path = relative_path(project_dir, given, "the compose file")
        if len(path.parts) != 1:
            # Compose resolves relative paths (build contexts, volumes, env_file) from the
            # file's directory; it must stay where envsync manages it: the project directory.
            raise EnvsyncError(f"{given}: the compose file must be in the project directory")
        if not (project_dir / path).is_file():
            raise EnvsyncError(f"{given}: not found")
        return str(path)
    found = [name for name in COMPOSE_NAMES if (project_dir / name).is_file()]
    if not found:
        raise EnvsyncError(
            f"{project_dir}: no compose file ({', '.join(COMPOSE_NAMES)}); "
            "name it with --compose-file"
        )
    if len(found) > 1:
        raise EnvsyncError(
            f"{project_dir}: {' and '.join(found)} both exist (compose reads {found[0]}); "
            "remove one or name it with --compose-file"
        )
    return found[0]


def _scalar(node: yaml.Node, path: str, variables: Mapping[str, str]) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise FormatError(
            path=path, line=yaml_nodes.line_of(node), message="expected a single value"
        )
    try:
        return interpolate(node.value, variables)
    except InterpolationError as error:
        raise FormatError(path=path, line=yaml_nodes.line_of(node), message=str(error)) from None


def _env_files(
    project_dir: Path, service: yaml.MappingNode, path: str, variables: Mapping[str, str]
) -> dict[str, str]:
    """The variables a service's ``env_file:`` entries give, later files winning."""
    entry = yaml_nodes.mapping_get(service, "env_file", path)
    if entry is None:
        return {}
    node = entry[1]
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    result: dict[str, str] = {}
    for item in items:
        required = True
        if isinstance(item, yaml.MappingNode):
            fields = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
            if "path" not in fields:
                raise FormatError(
                    path=path, line=yaml_nodes.line_of(item), message="env_file entry has no path"
                )
            name = _scalar(fields["path"], path, variables)
            if "required" in fields:
                required = _scalar(fields["required"], path, variables).lower() != "false"
        else:
            name = _scalar(item, path, variables)
        found = file_io.read(project_dir / name, name)
        if found is None:
            if required:
                raise FormatError(
                    path=path,
                    line=yaml_nodes.line_of(item),
                    message=f"env_file {name} not found (compose would refuse to start)",
                )
            continue
        values = dotenv_file.checked_values(found.text, path=name)
        result.update({key: value or "" for key, value in values.items()})
    return result


def _environment_keys(
    service: yaml.MappingNode, path: str, variables: Mapping[str, str]
) -> set[str]:
    entry = yaml_nodes.mapping_get(service, "environment", path)
    if entry is None:
        return set()
    node = entry[1]
    if isinstance(node, yaml.MappingNode):
        return {key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)}
    if isinstance(node, yaml.SequenceNode):
        return {_scalar(item, path, variables).partition("=")[0] for item in node.value}
    return set()


def _is_database_image(image: str) -> bool:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return _DATABASE_IMAGE.fullmatch(name) is not None


def _database_service(
    project_dir: Path, view: ComposeView, path: str, variables: Mapping[str, str]
) -> str:
    """The service running PostgreSQL: by image first; by ``POSTGRES_*`` environment only when
    no image says so, because application services carry ``POSTGRES_*`` keys too."""
    by_image, by_environment = [], []
    for key, node in view.services.value:
        if not isinstance(node, yaml.MappingNode):
            continue
        image = yaml_nodes.mapping_get(node, "image", path)
        if image is not None and _is_database_image(_scalar(image[1], path, variables)):
            by_image.append(key.value)
            continue
        keys = _environment_keys(node, path, variables) | set(
            _env_files(project_dir, node, path, variables)
        )
        if any(_POSTGRES_KEY.fullmatch(k) for k in keys):
            by_environment.append(key.value)
    candidates = by_image or by_environment
    if not candidates:
        raise FormatError(
            path=path,
            message="no database service (no postgres, pgvector, postgis or timescale image, "
            "no POSTGRES_* environment); name it with --service",
        )
    if len(candidates) > 1:
        raise FormatError(
            path=path,
            message=f"services {', '.join(candidates)} could each be the database; "
            "choose one with --service",
        )
    return candidates[0]


def _host_port(published: str | None) -> int | None:
    """The published host port; None when compose picks a random one."""
    return int(published) if published and published.isdigit() else None


def _compose_project_name(project_dir: Path, root: yaml.MappingNode, path: str) -> str:
    """The name compose prefixes containers with: ``name:``, else the directory's name."""
    entry = yaml_nodes.mapping_get(root, "name", path)
    name = entry[1].value if entry and isinstance(entry[1], yaml.ScalarNode) else None
    name = name or project_dir.resolve().name
    # Compose's own normalisation: lower case, [a-z0-9_-], starting with a letter or digit.
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-") or "default"


def read_compose(project_dir: Path, given: str | None, service: str | None) -> ComposeService:
    path = find_compose_file(project_dir, given)
    found = file_io.read(project_dir / path, path)
    assert found is not None
    variables = compose_variables(project_dir)
    overview = ComposeView(found.text, path=path, service=service or "", variables=variables)
    if service is None:
        service = _database_service(project_dir, overview, path, variables)
    elif overview.service_node is None:
        raise FormatError(path=path, message=f"has no service {service!r} (--service)")
    view = ComposeView(found.text, path=path, service=service, variables=variables)
    assert view.service_node is not None
    owned = {slot.key.rsplit(".", 1)[-1]: slot.value for slot in view.slots()}
    environment = _env_files(project_dir, view.service_node, path, variables)
    environment.update({k: v for k, v in owned.items() if k.startswith("POSTGRES_") and v})
    user = environment.get("POSTGRES_USER") or IMAGE_DEFAULT_USER
    reading = Reading(
        file=path,
        label=f"{path} (service {service})",
        user=user,
        password=environment.get("POSTGRES_PASSWORD") or None,
        database=environment.get("POSTGRES_DB") or user,
        port=_host_port(owned["ports"]),
    )
    container = yaml_nodes.mapping_get(view.service_node, "container_name", path)
    root = yaml_nodes.compose(found.text, path)
    assert isinstance(root, yaml.MappingNode)
    container_name = (
        _scalar(container[1], path, variables)
        if container
        else f"{_compose_project_name(project_dir, root, path)}-{service}-1"
    )
    return ComposeService(path, found.text, service, owned["image"], container_name, reading)


def _url_reading(
    file: str, label: str, url: str, *, key: str, counts: bool = True, note: str = ""
) -> tuple[Reading, str | None]:
    """A reading from a SQLAlchemy URL, and its driver (None: SQLAlchemy's default)."""
    parsed = database_url.parse(url)
    if parsed is None:
        raise FormatError(path=file, message=f"{key} is not a database URL")
    dialect, _, driver = parsed.drivername.partition("+")
    if dialect not in {"postgresql", "postgres"}:
        # alembic init writes ``driver://user:pass@localhost/dbname``: a placeholder, unused.
        return Reading(file, label, counts=False, note=f"not a PostgreSQL URL ({dialect})"), None
    reading = Reading(
        file,
        label,
        user=parsed.user,
        password=parsed.password,
        database=parsed.database,
        host=parsed.host,
        port=parsed.port or DEFAULT_PORT,
        counts=counts,
        note=note,
    )
    return reading, driver or "psycopg2"


def read_backend_env(project_dir: Path, given: str | None) -> BackendEnv:
    path = relative_path(project_dir, given or DEFAULT_ENV_FILE, "the backend's .env")
    shown = path.as_posix()
    if path.name != ".env":
        raise EnvsyncError(f"{shown}: envsync manages a file named .env in the backend directory")
    backend_dir = path.parent.as_posix()
    reason = answers.problem("backend_dir", backend_dir)
    if reason or backend_dir == ".":
        raise EnvsyncError(
            f"{shown}: must be in the backend's directory (the project's own .env is compose's "
            "interpolation file); name it with --env-file DIR/.env"
        )
    found = file_io.read(project_dir / path, shown)
    if found is None:
        raise EnvsyncError(f"{shown}: not found; create it or name the backend's with --env-file")
    values = dotenv_file.checked_values(found.text, path=shown)
    readings = []
    driver = None
    url = values.get(dotenv_file.URL_KEY)
    if url:
        reading, driver = _url_reading(shown, shown, url, key=dotenv_file.URL_KEY)
        readings.append(reading)
    postgres = {k: v for k, v in values.items() if k.startswith("POSTGRES_") and v}
    if postgres:
        port = postgres.get("POSTGRES_PORT", "")
        readings.append(
            Reading(
                shown,
                f"{shown} (POSTGRES_*)",
                user=postgres.get("POSTGRES_USER"),
                password=postgres.get("POSTGRES_PASSWORD"),
                database=postgres.get("POSTGRES_DB"),
                host=postgres.get("POSTGRES_HOST") or postgres.get("POSTGRES_SERVER"),
                port=int(port) if port.isdigit() else None,
            )
        )
    return BackendEnv(shown, backend_dir, tuple(readings), driver)


def _env_py(ini_text: str, ini_path: str, here: Path) -> Path | None:
    parser = configparser.ConfigParser(defaults={"here": str(here)})
    parser.read_string(ini_text, source=ini_path)
    if not parser.has_option(ini_file.SECTION, "script_location"):
        return None
    location = parser.get(ini_file.SECTION, "script_location")
    if ":" in location and not Path(location).is_absolute():
        return None  # ``package:directory``: inside an installed package, not this project
    return here / location / "env.py"


def _code(text: str) -> str:
    """Python source without its comment lines, so that a commented-out line does not count."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def read_alembic(project_dir: Path, backend_dir: str) -> AlembicIni | None:
    path = f"{backend_dir}/alembic.ini"
    found = file_io.read(project_dir / path, path)
    if found is None:
        return None
    here = (project_dir / path).parent.absolute()
    url = ini_file.read_url(found.text, path=path, here=here)
    env_py = _env_py(found.text, path, here)
    env_text = file_io.read(env_py, str(env_py)) if env_py else None
    code = _code(env_text.text) if env_text else ""
    reads_environment = dotenv_file.URL_KEY in code
    env_py_shown = env_py.relative_to(project_dir.absolute()).as_posix() if env_text else None
    label = f"{path} (sqlalchemy.url)"
    if url is None:
        reading, driver = None, None
    else:
        note = f"unused: {env_py_shown} reads {dotenv_file.URL_KEY}" if reads_environment else ""
        reading, driver = _url_reading(
            path, label, url, key=ini_file.KEY, counts=not reads_environment, note=note
        )
    if driver is None and code:
        # env.py swapping the app's async driver for a sync one names the sync driver.
        match = _SYNC_DRIVERS.search(code)
        driver = match[1] if match else None
    return AlembicIni(path, reading, driver, env_py_shown, reads_environment)
