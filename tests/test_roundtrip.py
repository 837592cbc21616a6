"""Every credential survives every file: render, read back with the real consumers, compare.

Each file is read by the parser that consumes it (PyYAML plus compose's ``$$``, python-dotenv with
its default interpolation, Alembic's ``Config``, SQLAlchemy's ``make_url``, the CLAUDE.md block),
and also by Docker Compose v2's ``config``, ``copier copy`` and a real PostgreSQL for samples.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from envsync import answers
from envsync.answers import ANSWERS_FILE
from envsync.facts import load_answers
from envsync.live import server
from envsync.live.server import ServerSpec
from tests import compose_v2
from tests.conftest import PORT, copier_copy, envsync, snapshot
from tests.readers import (
    Credentials,
    all_credentials,
    claude_md_fields,
    env_url,
    from_compose,
    from_url,
    ini_url,
)
from tests.test_cli import MANAGED, _assert_refused

BASE = {"project_name": "hostile", "db_container": "hostile-db"}
SAFE_USER = "app_user"

# Each value is hostile to at least one consumer; the comment says which and why.
HOSTILE = [
    "p@ss:w/rd%$x#1",  # the password: URL @ : /, configparser %, compose $, dotenv #
    "yes",  # YAML 1.1 boolean True (PyYAML), a string for compose's YAML 1.2
    "on",  # YAML 1.1 boolean, the classic Norway problem
    "null",  # YAML null
    "~",  # YAML null, one character
    "0123",  # YAML 1.1 octal 83
    "0o17",  # YAML 1.2 octal 15 (compose)
    "0x1F",  # YAML hexadecimal integer
    "1e3",  # YAML 1.2 float 1000; plain safe_dump leaves it unquoted
    "12:30",  # YAML 1.1 base-60 integer 750
    ".inf",  # YAML float infinity
    "2001-01-01",  # YAML timestamp (a date object in PyYAML)
    "*alias",  # leading * starts a YAML alias
    "&anchor",  # leading & starts a YAML anchor
    "!tag",  # leading ! starts a YAML tag
    "a: b",  # ': ' inside a plain scalar makes a mapping; list-form environment splits too
    "a #b",  # ' #' starts a comment in YAML and in an unquoted .env value
    "#start",  # a leading # is a comment line in .env
    "- item",  # a YAML sequence entry
    "? key",  # a YAML complex mapping key
    "[a, b]",  # a YAML flow sequence
    "{a: b}",  # a YAML flow mapping
    "|",  # a YAML literal block scalar indicator
    ">-",  # a YAML folded block scalar indicator
    "%(here)s",  # Alembic's configparser interpolation of the ini's directory
    "%40",  # looks already percent-encoded: make_url would decode a raw %40 to @
    "100%",  # a lone % is a configparser InterpolationSyntaxError
    "$HOME",  # compose interpolates $NAME
    "${HOME}",  # compose and python-dotenv (even in single quotes) interpolate ${NAME}
    "${X:-default}",  # compose and python-dotenv default syntax
    "$$",  # compose's escape for $: must not be unescaped twice
    "a$",  # a lone trailing $
    "a${b",  # an unclosed ${ fails the whole compose file
    "'single'",  # python-dotenv's single quotes
    '"double"',  # python-dotenv's and YAML's double quotes
    "back\\slash\\",  # escapes in YAML double quotes and python-dotenv quotes
    "\\n",  # python-dotenv decodes \n in double quotes to a newline
    "`code`",  # Markdown inline code ends at the next backtick
    "```",  # a Markdown code fence
    "a|b",  # a Markdown table cell separator, even inside code
    "<!-- envsync:end credentials -->",  # envsync's own marker inside the section
    "{{ db_user }}",  # Jinja syntax: must be written, never rendered again
    " lead",  # leading space: stripped by configparser, plain YAML and unquoted .env
    "trail ",  # trailing space: stripped the same way
    "a b",  # quote_plus writes + for a space, which SQLAlchemy decodes as +
    "a+b",  # + must survive percent-decoding
    "user@host/db?x=1",  # URL delimiters: userinfo, path and query
    "[::1]",  # brackets delimit an IPv6 host in a URL
    ";semi=colon",  # ; starts an ini comment line; = splits list-form environment items
    "é☃中",  # non-ASCII: UTF-8 multi-byte
    "🔑",  # four-byte UTF-8, outside the Basic Multilingual Plane
    "e\u0301\uff21",  # combining accent and fullwidth A: SCRAM's SASLprep normalises them
    "é" * 31,  # 62 bytes in 31 characters: just under PostgreSQL's 63-byte name limit
    "x" * 63,  # exactly 63 bytes: the longest name PostgreSQL keeps whole
]


def _assignments(value: str) -> dict[str, str]:
    """The value as password, and as user and database name wherever the validators allow."""
    return {
        "db_user": value if answers.problem("db_user", value) is None else SAFE_USER,
        "db_password": value,
        "db_name": value if answers.problem("db_name", value) is None else "app",
    }


def render_in_process(dst: Path, **values: object) -> Credentials:
    """Write an answers file and run ``envsync render`` on it in this process."""
    dst.mkdir(parents=True)
    (dst / ANSWERS_FILE).write_text(answers.dump({**BASE, **values}))
    result = envsync("render", cwd=dst)
    assert result.returncode == 0, result.stderr
    loaded = load_answers(dst)
    return Credentials(loaded.db_user, loaded.db_password, loaded.db_name, loaded.db_port)


def assert_round_trip(project: Path, expected: Credentials) -> None:
    """Every consumer reads ``expected`` back, and ``envsync check`` finds nothing to repair."""
    found = all_credentials(project)
    fields = claude_md_fields(project)
    found["CLAUDE.md (app url)"] = from_url(fields["app url"])
    found["CLAUDE.md (alembic url)"] = from_url(fields["alembic url"])
    assert found == dict.fromkeys(found, expected)
    assert make_url(env_url(project)).drivername == "postgresql+asyncpg"
    assert make_url(ini_url(project)).drivername == "postgresql+psycopg"
    service = yaml.safe_load((project / "docker-compose.yml").read_text())["services"]["db"]
    test = [word.replace("$$", "$") for word in service["healthcheck"]["test"]]
    assert (test[test.index("-U") + 1], test[test.index("-d") + 1]) == (
        expected.user,
        expected.database,
    )
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync"), check


@pytest.fixture(scope="module")
def hostile_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    projects = {}
    for index, value in enumerate(HOSTILE):
        projects[value] = root / str(index)
        render_in_process(projects[value], **_assignments(value))
    return projects


def test_the_hostile_list_is_long_and_each_value_is_a_legal_password() -> None:
    assert len(set(HOSTILE)) == len(HOSTILE) >= 30
    assert [v for v in HOSTILE if answers.problem("db_password", v)] == []


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_value_reaches_every_consumer_unchanged(
    hostile_projects: dict[str, Path], value: str
) -> None:
    values = _assignments(value)
    expected = Credentials(values["db_user"], value, values["db_name"], 5432)
    assert_round_trip(hostile_projects[value], expected)


def test_docker_compose_v2_reads_every_hostile_file_the_same(
    hostile_projects: dict[str, Path],
) -> None:
    for value, project in hostile_projects.items():
        service = compose_v2.config(project / "docker-compose.yml")["services"]["db"]
        values = _assignments(value)
        assert service["environment"] == {
            "POSTGRES_USER": values["db_user"],
            "POSTGRES_PASSWORD": value,
            "POSTGRES_DB": values["db_name"],
        }, value
        assert service["ports"] == [
            {
                "mode": "ingress",
                "host_ip": "127.0.0.1",
                "target": 5432,
                "published": "5432",
                "protocol": "tcp",
            }
        ]


# Through the real `copier copy`, as the README runs it (about a second each).
COPIER_SAMPLE = [
    ("p@ss:w/rd%#1", "p@ss:w/rd%$x#1", "p@ss:w/rd%$x#1"),
    ("yes", "null", "0123"),
    (" lead", "trail ", " both "),
    ("a: b #c", "${HOME}$$a${b", "%(here)s%40"),
    ("é☃中", "'\"\\`|```", "{{ db_user }}"),
    ("*alias", "<!-- envsync:end credentials -->", "[a, b]"),
    ("x" * 63, "🔑e\u0301\uff21", "é" * 31),
]


@pytest.mark.parametrize(("user", "password", "database"), COPIER_SAMPLE)
def test_copier_copy_writes_what_envsync_render_writes(
    template_src: Path, tmp_path: Path, user: str, password: str, database: str
) -> None:
    values = {"db_user": user, "db_password": password, "db_name": database}
    copied = tmp_path / "copied"
    result = copier_copy(template_src, copied, **BASE, **values)
    assert result.returncode == 0, result.stderr
    assert_round_trip(copied, Credentials(user, password, database, PORT))
    rendered = tmp_path / "rendered"
    render_in_process(rendered, db_port=PORT, **values)
    copied_files, rendered_files = snapshot(copied), snapshot(rendered)
    assert {n: copied_files[n] for n in MANAGED} == {n: rendered_files[n] for n in MANAGED}


# A real server started from the compose file's credentials, reached with the URLs of .env
# (asyncpg, the application's driver) and alembic.ini (psycopg, Alembic's).
POSTGRES_SAMPLE = [
    ("p@ss:w/rd%#1", "p@ss:w/rd%$x#1", "p@ss:w/rd%$x#1"),
    (" lead", "trail ", " both "),
    ("yes", "${HOME}'\"\\`|", "%(here)s"),
    ("é☃中", "🔑e\u0301\uff21", "Mixed Case db-ü"),
    ("a: b #c", "%40%25+ a", "```"),
    ("x" * 63, "<!-- envsync:end credentials -->", "é" * 31),
]


async def _async_identity(url: str) -> tuple[str, str]:
    engine = create_async_engine(make_url(url))
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text("select current_user, current_database()"))).one()
    finally:
        await engine.dispose()
    return row[0], row[1]


def _sync_identity(url: str) -> tuple[str, str]:
    engine = create_engine(make_url(url))
    try:
        with engine.connect() as connection:
            row = connection.execute(text("select current_user, current_database()")).one()
    finally:
        engine.dispose()
    return row[0], row[1]


@pytest.mark.parametrize(("user", "password", "database"), POSTGRES_SAMPLE)
def test_postgres_accepts_the_credentials_of_env_and_alembic_ini(
    tmp_path: Path, user: str, password: str, database: str
) -> None:
    project = tmp_path / "project"
    port = server.free_port()
    render_in_process(project, db_user=user, db_password=password, db_name=database, db_port=port)
    compose = from_compose(project)
    spec = ServerSpec(compose.user, compose.password, compose.database, port, tmp_path / "pgdata")
    server.start(spec)
    try:
        assert asyncio.run(_async_identity(env_url(project))) == (user, database)
        assert _sync_identity(ini_url(project)) == (user, database)
    finally:
        server.stop(spec.data_dir)


# Printable text as the answers validators allow it, biased towards what breaks formats.
_CHARACTERS = st.one_of(
    st.sampled_from(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    st.characters(codec="utf-8").filter(str.isprintable),
)


def _answer(key: str) -> st.SearchStrategy[str]:
    return st.text(_CHARACTERS, min_size=1, max_size=40).filter(
        lambda value: answers.problem(key, value) is None
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(user=_answer("db_user"), password=_answer("db_password"), database=_answer("db_name"))
def test_any_printable_credentials_reach_every_consumer_unchanged(
    user: str, password: str, database: str
) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        project = root / "project"
        expected = render_in_process(project, db_user=user, db_password=password, db_name=database)
        assert expected == Credentials(user, password, database, 5432)
        assert_round_trip(project, expected)
    finally:
        shutil.rmtree(root)


# Values no file can carry, refused before anything is written; test_cli.py covers the rest.
INVALID = [
    ("db_password", "a\x00b"),  # NUL ends a C string: initdb and libpq would cut the password
    ("db_password", "a\rb"),  # a line break: initdb --pwfile keeps the first line only
    ("db_user", "a\nb"),  # a line break splits the .env and ini lines
    ("db_password", "a\tb"),  # python-dotenv and compose disagree on tabs before '#'
    ("db_password", "a\u2028b"),  # U+2028: str.splitlines() ends a line there
    ("db_name", "a\x85b"),  # NEL: a line break for YAML 1.1 readers
    ("db_name", "d" * 64),  # 64 bytes: PostgreSQL would truncate the database name
    ("db_user", "é" * 32),  # 32 characters but 64 bytes
    ("db_user", 'a"b'),  # initdb refuses ", $, ' and \\ in the superuser's name
    ("db_user", "a$b"),
    ("db_user", "PG_monitor"),  # pg_ role names are reserved, whatever the case
    ("db_name", ""),  # empty: the image would fall back to the user's name
    ("db_password", ""),  # empty: the image refuses to start without trust auth
    ("db_port", "65536"),  # outside 1-65535
    ("db_port", "-1"),
    ("db_port", "5432.0"),  # not a whole number
    ("app_driver", "mysqlclient"),  # not a PostgreSQL driver SQLAlchemy knows
    ("migrations_driver", "asyncpg"),  # Alembic runs synchronously
    ("db_host", "-bad"),  # not a host name
]


def _break_a_file(project: Path) -> None:
    """Make render want to write, so that "nothing written" proves the refusal came first."""
    (project / "backend/.env").unlink()


@pytest.mark.parametrize(("key", "value"), INVALID)
def test_invalid_value_is_refused_by_set(project: Path, key: str, value: str) -> None:
    _break_a_file(project)
    _assert_refused(project, ["set", f"{key}={value}"], names=key)


@pytest.mark.parametrize(("key", "value"), INVALID)
@pytest.mark.parametrize("command", ["check", "render"])
def test_invalid_value_in_the_answers_file_is_refused(
    project: Path, key: str, value: str, command: str
) -> None:
    path = project / ANSWERS_FILE
    # JSON's escapes are YAML's double-quoted ones: a NEL or U+2028 stays one character.
    typed = json.dumps(answers.parse_assignment(f"{key}={value}")[1])
    edited, count = re.subn(
        rf"^{key}: .*$", lambda _: f"{key}: {typed}", path.read_text(), flags=re.M
    )
    assert count == 1
    path.write_text(edited)
    _break_a_file(project)
    _assert_refused(project, [command], names=key)


@pytest.mark.parametrize(
    "line",
    [
        "db_password: yes",  # unquoted, YAML reads a boolean
        "db_password: ~",  # unquoted, YAML reads null
        "db_name: 0123",  # unquoted, YAML 1.1 reads the integer 83
    ],
)
def test_a_value_yaml_reads_as_another_type_asks_for_quotes(project: Path, line: str) -> None:
    path = project / ANSWERS_FILE
    key = line.split(":")[0]
    path.write_text(re.sub(rf"^{key}: .*$", line, path.read_text(), flags=re.M))
    _break_a_file(project)
    _assert_refused(project, ["render"], names=f"{key}: must be text")
    assert "put the value in quotes" in envsync("render", cwd=project).stderr


WEB_SERVICES = {
    "short": '    ports:\n      - "8080:80"\n',
    "with host ip": '    ports:\n      - "127.0.0.1:8080:80/tcp"\n',
    "range": '    ports:\n      - "8000-8100:8000-8100"\n',
    "long": "    ports:\n      - target: 80\n        published: 8080\n",
}


@pytest.mark.parametrize("ports", WEB_SERVICES.values(), ids=WEB_SERVICES.keys())
def test_a_host_port_another_service_publishes_is_refused(project: Path, ports: str) -> None:
    compose = project / "docker-compose.yml"
    compose.write_text(
        compose.read_text().replace("services:\n", "services:\n  web:\n    image: nginx\n" + ports)
    )
    refusal = "db_port: host port 8080 is already published by service 'web' in docker-compose.yml"
    _assert_refused(project, ["set", "db_port=8080"], names=refusal)
    path = project / ANSWERS_FILE
    path.write_text(path.read_text().replace(f"db_port: {PORT}", "db_port: 8080"))
    _break_a_file(project)
    for command in ("check", "render"):
        _assert_refused(project, [command], names=refusal)
