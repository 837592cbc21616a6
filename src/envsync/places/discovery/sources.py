"""Sources besides compose and env files: ``alembic.ini``, CI workflows' database containers
and jobs' URLs, and the envsync section of CLAUDE.md or AGENTS.md."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

import yaml

from envsync.formats import markdown_section
from envsync.formats.yaml_document import join_locator
from envsync.places.discovery import credentials
from envsync.places.discovery.database_service import IMAGE_DEFAULT_USER
from envsync.places.discovery.results import Database, Found, Harvest
from envsync.places.model import Place
from envsync.workspace import Workspace

# Where assistants read the project's notes, in the order adopt prefers them.
INSTRUCTION_FILES = ("CLAUDE.md", "AGENTS.md")
# Facts the CI database has of its own (a throwaway, never the development password).
CI_PASSWORD = "ci_db_password"
_EXPRESSION = "${{"  # a GitHub Actions expression: the runner's, not a value
_ALEMBIC_URL = "[alembic] sqlalchemy.url"
_SECTION_FACTS = (
    ("service", "db_service"),
    ("user", "db_user"),
    ("password", "db_password"),
    ("database", "db_name"),
    ("host", "db_host"),
    ("port", "db_port"),
)

# -- alembic.ini ---------------------------------------------------------------------------------


def alembic(workspace: Workspace, db: Database, path: str) -> Harvest:
    doc = workspace.document(path, "ini")
    if doc is None:
        return Harvest()
    reading = doc.read(_ALEMBIC_URL)
    value = reading.value if isinstance(reading.value, str) else None
    parsed = credentials.postgres_url(value)
    if parsed is None:
        if value:
            return Harvest(notes=[f"{path}: sqlalchemy.url is a placeholder; left as it is"])
        return Harvest()
    harvest = credentials.url(db, path, "ini", _ALEMBIC_URL, parsed)
    env_py = _env_py(workspace, path)
    if env_py is None or not harvest.found:
        return harvest
    own = {"db_user": db.user, "db_password": db.password, "db_name": db.name, "db_port": db.port}
    values = harvest.found[0].values
    if any(values.get(fact) not in (None, value) for fact, value in own.items()):
        harvest.found = []
        harvest.notes.append(
            f"{path}: sqlalchemy.url is unused ({env_py} sets the URL itself) and differs; "
            "left as it is"
        )
    else:
        harvest.notes.append(f"{path}: sqlalchemy.url is unused ({env_py} sets the URL)")
    return harvest


def _env_py(workspace: Workspace, ini_path: str) -> str | None:
    """env.py beside ``ini_path`` when it takes the URL from elsewhere than the ini."""
    doc = workspace.document(ini_path, "ini")
    assert doc is not None
    location = doc.read("[alembic] script_location").value
    if not isinstance(location, str) or (":" in location and not location.startswith("/")):
        return None
    project_dir = workspace.project_dir
    here = project_dir / PurePosixPath(ini_path).parent
    env_py = (Path(location) if Path(location).is_absolute() else here / location) / "env.py"
    try:
        shown = env_py.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return None
    text = workspace.text(shown)
    if text is None:
        return None
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    if "set_main_option" in code or "create_engine(" in code or "create_async_engine(" in code:
        return shown
    return None


# -- CI workflows --------------------------------------------------------------------------------


def workflow(workspace: Workspace, db: Database, path: str) -> Harvest:
    try:
        data = yaml.safe_load(workspace.text(path) or "")
    except yaml.YAMLError:
        return Harvest(notes=[f"{path}: not read (not valid YAML)"])
    jobs = data.get("jobs") if isinstance(data, dict) else None
    harvest = Harvest()
    for job, spec in (jobs or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("services"), dict):
            continue
        for name, container in spec["services"].items():
            if not isinstance(container, dict):
                continue
            if not credentials.is_database_image(str(container.get("image", ""))):
                continue
            harvest.add(_ci_service(db, path, str(job), str(name), container, spec))
    return harvest


def _ci_service(
    db: Database,
    path: str,
    job: str,
    name: str,
    container: Mapping[str, object],
    spec: Mapping[str, object],
) -> Harvest:
    """A job's database container: its ``POSTGRES_*`` and the job's URLs that point at it."""
    given = container.get("env")
    env: Mapping[object, object] = given if isinstance(given, dict) else {}
    user = str(env.get("POSTGRES_USER", IMAGE_DEFAULT_USER))
    database = str(env.get("POSTGRES_DB", user))
    facts = {
        "user": "db_user" if user == db.user else "ci_db_user",
        "name": "db_name" if database == db.name else "ci_db_name",
        "password": CI_PASSWORD,
    }
    harvest = Harvest()
    for key, part in (
        ("POSTGRES_USER", "user"),
        ("POSTGRES_PASSWORD", "password"),
        ("POSTGRES_DB", "name"),
    ):
        value = env.get(key)
        if not isinstance(value, str | int) or _EXPRESSION in str(value):
            continue
        locator = join_locator("jobs", job, "services", name, "env", key)
        place = Place(path, "workflow", locator, f"{{{facts[part]}}}")
        harvest.found.append(Found(place.where(), {facts[part]: str(value)}, place))
    for where, variables in _job_environments(job, spec):
        for variable, spelled in variables.items():
            parsed = credentials.postgres_url(spelled) if isinstance(spelled, str) else None
            if parsed is None or _EXPRESSION in str(spelled):
                continue
            locator = join_locator(*where, str(variable))
            harvest.add(credentials.url(db, path, "workflow", locator, parsed, ci=facts))
    return harvest


def _job_environments(
    job: str, spec: Mapping[str, object]
) -> Iterator[tuple[tuple[str, ...], Mapping[object, object]]]:
    """Each ``env:`` of the job and of its steps, with the locator segments that lead to it."""
    env = spec.get("env")
    if isinstance(env, dict):
        yield ("jobs", job, "env"), env
    steps = spec.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and isinstance(step.get("env"), dict):
            yield ("jobs", job, "steps", str(index), "env"), step["env"]


# -- CLAUDE.md / AGENTS.md -----------------------------------------------------------------------


def instructions(workspace: Workspace) -> tuple[str | None, bool, Harvest]:
    """The instruction file adopt writes its section into, whether it has the section already,
    and the section's values (which never vote: the section follows the facts)."""
    for name in INSTRUCTION_FILES:
        text = workspace.text(name)
        if text is None:
            continue
        section = markdown_section.locate(text.splitlines(keepends=True), name)
        if section is None:
            return name, False, Harvest()
        return name, True, _section_places(workspace, name)
    return None, False, Harvest()


def _section_places(workspace: Workspace, path: str) -> Harvest:
    doc = workspace.document(path, "markdown")
    assert doc is not None
    harvest = Harvest()
    for label, fact in _SECTION_FACTS:
        reading = doc.read(label)
        if isinstance(reading.value, str) and reading.value:
            place = Place(path, "markdown", label, f"{{{fact}}}")
            harvest.found.append(Found(place.where(), {fact: reading.value}, place, counts=False))
    return harvest
