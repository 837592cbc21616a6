"""Every bad map, answers file or project file is one line of error, never a traceback
(issue 22, item 3).

Hypothesis writes maps with random keys, locators, file names, values and TOML shapes, answers
files of random YAML shapes, and random text into each managed file, then runs the command. A
run ends with exit 0 or 1, or with exit 2 and one line on stderr; a run that fails writes
nothing; no run writes under ``.git/`` or outside the project. Inputs that are bad by
construction (a place under ``.git/``, a locator no format reads, a TOML shape the map does not
have) must end with exit 2. The CI profile (tests/conftest.py) draws the same examples on every
run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MANAGED, envsync, snapshot

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MAP = "envsync.toml"
ANSWERS = ".copier-answers.yml"
COMMANDS = (("check",), ("render",), ("render", "--dry-run"))

# Characters that mean something to some locator, path or pattern syntax.
SYNTAX = ".[]{}/\"' =#:$%\\-_*!&|@~"
CONTROL = "\n\r\t\x00\x85\u2028"
LETTERS = list("abcXYZ019é_")
PRINTABLE = st.text(st.sampled_from(list(SYNTAX) + LETTERS), max_size=16)
# Mostly printable text; now and then a control character among it.
TEXT = st.one_of(
    PRINTABLE, PRINTABLE, PRINTABLE, st.text(st.sampled_from([*SYNTAX, *CONTROL, *LETTERS]))
)
WORD = st.text(st.sampled_from(LETTERS), min_size=1, max_size=8)
FACT = st.sampled_from(["{db_user}", "{db_password}", "{db_port}", "{ci_db_password}", "{nope}"])
PATTERN = st.one_of(FACT, st.lists(st.one_of(TEXT, FACT), max_size=3).map("".join))
FILES = st.one_of(
    st.sampled_from([*MANAGED, ".env", "CLAUDE.md", "other.ini", "compose.yaml", "sub/.env"]),
    st.sampled_from([".git/config", ".git/hooks/pre-commit", "a/.git/x", "/etc/x", "../x"]),
    TEXT.filter(bool),
)
SEGMENT = st.one_of(WORD, TEXT, st.sampled_from(["{db_service}", '"a.b"', ""]))
KEYS = st.one_of(
    st.sampled_from(
        [
            "services.db.environment.POSTGRES_PASSWORD",
            "services..db",
            "[alembic",
            "[alembic] sqlalchemy.url",
            "DATABASE_URL",
            "credentials/password",
            "jobs.migrate.env.DATABASE_URL",
            "services.{db_service}.ports",
        ]
    ),
    st.lists(SEGMENT, min_size=1, max_size=4).map(".".join),
    st.tuples(SEGMENT, SEGMENT).map(lambda pair: f"[{pair[0]}] {pair[1]}"),
    st.tuples(WORD, TEXT).map("/".join),
    WORD,
    TEXT.filter(bool),
)
SCALARS = st.one_of(st.booleans(), st.integers(-5, 70000), TEXT)
URLS = st.one_of(
    st.sampled_from(["host", "network", "sideways"]),
    st.dictionaries(
        st.sampled_from(["view", "scheme", "user", "password", "host", "port", "database", "x"]),
        st.one_of(PATTERN, st.integers(-1, 70000), st.booleans()),
        max_size=4,
    ),
)


def toml_value(value: object) -> str:
    """``value`` as TOML: strings as JSON strings (ASCII, so every control character is an
    escape TOML reads), lists as arrays, dicts as inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    fields = (f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items())
    return "{ " + ", ".join(fields) + " }"


@st.composite
def places(draw: st.DrawFn) -> dict[str, object]:
    place: dict[str, object] = {"file": draw(FILES), "key": draw(KEYS)}
    if draw(st.booleans()):
        place["format"] = draw(
            st.sampled_from(["compose", "dotenv", "ini", "markdown", "workflow", "xml"])
        )
    spelling = draw(st.sampled_from(["value", "list", "url", "both", "neither"]))
    if spelling in ("value", "both"):
        place["value"] = draw(PATTERN)
    if spelling == "list":
        place["value"] = draw(st.lists(PATTERN, max_size=3))
    if spelling in ("url", "both"):
        place["url"] = draw(URLS)
    for field in ("example", "via", "extra", "database"):
        if draw(st.integers(0, 8)) == 0:
            place[field] = draw(st.one_of(SCALARS, WORD, st.just("db_test")))
    return place


def map_text(
    facts: dict[str, object],
    entries: list[dict[str, object]],
    databases: dict[str, dict[str, object]] | None = None,
) -> str:
    lines = ["[facts]"]
    lines += [f"{json.dumps(name)} = {toml_value(value)}" for name, value in facts.items()]
    for service, table in (databases or {}).items():
        lines.append(f"[database.{json.dumps(service)}]")
        lines += [f"{json.dumps(name)} = {toml_value(value)}" for name, value in table.items()]
    for entry in entries:
        lines.append("[[place]]")
        lines += [f"{json.dumps(name)} = {toml_value(value)}" for name, value in entry.items()]
    return "\n".join(lines) + "\n"


FACT_VALUES = st.one_of(
    WORD,
    WORD,
    TEXT,
    st.fixed_dictionaries({"value": TEXT}, optional={"secret": st.one_of(st.booleans(), WORD)}),
    st.integers(),
)
FACT_NAMES = st.sampled_from(["redis", "ci_db_password", "token", "db_port", "a b"])
DATABASE_FACT_NAMES = st.sampled_from(["db_user", "db_password", "db_port", "db_service", "x"])
MAPS = st.builds(
    map_text,
    st.dictionaries(FACT_NAMES, FACT_VALUES, max_size=2),
    st.lists(places(), min_size=1, max_size=3),
    st.dictionaries(
        st.sampled_from(["db_test", "db", "a b", "x.y", ""]),
        st.dictionaries(DATABASE_FACT_NAMES, FACT_VALUES, max_size=3),
        max_size=2,
    ),
)
# TOML shapes the map does not have: wrong table kinds, wrong field types, broken syntax.
BAD_SHAPES = st.sampled_from(
    [
        'facts = ["a"]\n',
        "facts = 3\n",
        'place = { file = "a", key = "b", value = "c" }\n',
        'place = ["x"]\n',
        "[[place]]\nfile = 1\nkey = 2\nvalue = 3\n",
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = { a = 1 }\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = ["a", 1]\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nurl = ["host"]\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = "x"\nexample = "yes"\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = "x"\nvia = 3\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = "x"\nformat = ["dotenv"]\n',
        '[facts]\nx = { value = "a", secret = "no" }\n',
        '[facts]\nx = { value = "a\\nb" }\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = "{"\n',
        '[[place]]\nfile = "backend/.env"\nkey = "{0}"\nvalue = "x"\n',
        '[[place]]\nfile = "backend/.env"\nkey = "A"\nvalue = "{db_user!r}"\n',
        "[other]\n",
        "database = 3\n",
        '[database]\ndb_test = "x"\n',
        '[database.db_test]\ndb_port = "²"\n',
        "[[place]\n",
        'key = "unterminated\n',
        "\x00",
    ]
)
# Locators no file of their format can hold.
BAD_LOCATORS = st.sampled_from(
    [
        ("docker-compose.yml", "services..db"),
        ("docker-compose.yml", 'services."db'),
        ("docker-compose.yml", "services.db."),
        ("backend/alembic.ini", "[alembic"),
        ("backend/alembic.ini", "alembic sqlalchemy.url"),
        ("backend/alembic.ini", "[] x"),
        ("backend/.env", "A B"),
        ("backend/.env", "A=B"),
        ("backend/.env", "#A"),
        ("backend/.env", "'A'"),
        (".github/workflows/ci.yml", "jobs..env"),
    ]
)
BAD_FILES = st.one_of(
    st.sampled_from([".git/config", ".GIT/hooks/pre-commit", "x/.git/config", "./.git/x"]),
    st.sampled_from(["/etc/cron.d/envsync", "../outside", "a/../../outside", "a\x00b"]),
)


@pytest.fixture
def workspace(project: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The project as a clone has it (with .git/), the pristine copy, and a directory beside."""
    from tests.git_repo import git

    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-q", "-m", "clone", cwd=project)
    pristine = Path(shutil.copytree(project, tmp_path / "pristine", symlinks=True))
    yield project, pristine


def _fresh(project: Path, pristine: Path) -> None:
    shutil.rmtree(project)
    shutil.copytree(pristine, project, symlinks=True)


def _run(project: Path, command: tuple[str, ...]) -> tuple[int, list[str]]:
    """The command in this process: an exception escaping the CLI fails the test with it."""
    outside = project.parent
    beside = {p.name for p in outside.iterdir()}
    before = snapshot(project)
    git_before = snapshot(project / ".git")
    result = envsync(*command, cwd=project)
    lines = result.stderr.splitlines()
    assert result.returncode in (0, 1, 2), result
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert len(lines) == 1 and lines[0].startswith("envsync: "), lines
        assert snapshot(project) == before
    if command != ("render",):
        assert snapshot(project) == before
    assert snapshot(project / ".git") == git_before
    assert {p.name for p in outside.iterdir()} == beside
    return result.returncode, lines


@FUZZ
@given(text=MAPS, command=st.sampled_from(COMMANDS))
def test_any_map_is_a_result_or_one_line(
    workspace: tuple[Path, Path], text: str, command: tuple[str, ...]
) -> None:
    project, pristine = workspace
    _fresh(project, pristine)
    (project / MAP).write_text(text)
    _run(project, command)


@FUZZ
@given(text=BAD_SHAPES, command=st.sampled_from(COMMANDS))
def test_a_map_of_the_wrong_shape_is_refused(
    workspace: tuple[Path, Path], text: str, command: tuple[str, ...]
) -> None:
    project, pristine = workspace
    _fresh(project, pristine)
    (project / MAP).write_text(text)
    code, lines = _run(project, command)
    assert code == 2, lines
    assert lines[0].startswith(f"envsync: {MAP}"), lines


def _append_place(project: Path, place: dict[str, object]) -> None:
    with (project / MAP).open("a") as handle:
        handle.write("\n[[place]]\n")
        handle.writelines(f"{name} = {toml_value(value)}\n" for name, value in place.items())


@FUZZ
@given(located=BAD_LOCATORS, value=PATTERN, command=st.sampled_from(COMMANDS))
def test_a_locator_no_format_reads_is_refused_naming_the_place(
    workspace: tuple[Path, Path], located: tuple[str, str], value: str, command: tuple[str, ...]
) -> None:
    project, pristine = workspace
    _fresh(project, pristine)
    file, key = located
    _append_place(project, {"file": file, "key": key, "value": value})
    code, lines = _run(project, command)
    assert code == 2, lines
    assert lines[0].startswith(f"envsync: {MAP}: place #"), lines


@FUZZ
@given(file=BAD_FILES, key=KEYS, command=st.sampled_from(COMMANDS))
def test_a_file_outside_the_project_or_under_git_is_refused(
    workspace: tuple[Path, Path], file: str, key: str, command: tuple[str, ...]
) -> None:
    project, pristine = workspace
    _fresh(project, pristine)
    _append_place(project, {"file": file, "key": key, "value": "x"})
    code, lines = _run(project, command)
    assert code == 2, lines
    assert lines[0].startswith(f"envsync: {MAP}: place #"), lines


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)


@FUZZ
@given(
    changes=st.dictionaries(
        st.sampled_from(
            ["db_user", "db_password", "db_port", "db_service", "backend_dir", "secret_storage"]
        ),
        YAML_VALUES,
        min_size=1,
        max_size=3,
    ),
    command=st.sampled_from(COMMANDS),
)
def test_any_answers_file_is_a_result_or_one_line(
    workspace: tuple[Path, Path], changes: dict[str, object], command: tuple[str, ...]
) -> None:
    project, pristine = workspace
    _fresh(project, pristine)
    answers = yaml.safe_load((project / ANSWERS).read_text())
    answers.update(changes)
    (project / ANSWERS).write_text(yaml.safe_dump(answers, allow_unicode=True))
    _run(project, command)


@FUZZ
@given(
    name=st.sampled_from([*MANAGED, ANSWERS, MAP, ".gitignore", ".env"]),
    text=st.one_of(
        st.text(max_size=200),
        st.lists(st.one_of(TEXT, st.sampled_from(["key: [", "a=${", "[x", "<<<<<<< x"]))).map(
            "\n".join
        ),
    ),
    command=st.sampled_from(COMMANDS),
)
def test_any_project_file_is_a_result_or_one_line(
    workspace: tuple[Path, Path], name: str, text: str, command: tuple[str, ...]
) -> None:
    project, pristine = workspace
    _fresh(project, pristine)
    (project / name).write_text(text)
    _run(project, command)
