"""No spelling of a password reaches stdout or stderr without ``--show-secrets``.

Every command runs on drift and on each kind of bad input, with passwords that need escaping in
every format: percent-encoding (and an old file's lower-case encoding), YAML escapes, ``%`` for
configparser, ``${`` for compose and python-dotenv.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from envsync import database_url
from envsync.redact import secret_spellings
from tests.conftest import envsync

PASSWORDS = {
    "percent": "Ab/cd:Ef@gh?ij#k",
    "yaml": 'Yq"uo\\te é$x',
    "configparser": "pc%(here)s%41%",
    "interpolation": "Secret${123",
}
# An older password, left in files as a user or another tool spelled it.
OLD_SUFFIX = "-Old/Pw"


def spellings(password: str) -> set[str]:
    """Every spelling a file or a parser's message could give ``password``."""
    encoded = database_url.encode_component(password)
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), encoded)
    found = secret_spellings([password]) | {lower, lower.replace("%", "%%")}
    found |= {json.dumps(password)[1:-1], repr(password)[1:-1], _yaml_escaped(password)}
    return {spelling for spelling in found if len(spelling) >= 4}


def _yaml_escaped(password: str) -> str:
    """Every character as a YAML double-quoted ``\\uXXXX`` escape: the same value for YAML."""
    return "".join(f"\\u{ord(ch):04x}" for ch in password.replace("$", "$$"))


def _outputs(project: Path, password: str) -> Iterator[tuple[str, str]]:
    old = password + OLD_SUFFIX
    env = project / "backend/.env"
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), database_url.encode_component(old))
    env.write_text(re.sub(r"(//[^:]+:)[^@]*@", lambda m: m[1] + lower + "@", env.read_text()))
    compose = project / "docker-compose.yml"
    text = compose.read_text()
    # The same password in another YAML spelling: a context line of the diff, not drift.
    text = re.sub(r"(POSTGRES_PASSWORD: ).*", lambda m: f'{m[1]}"{_yaml_escaped(password)}"', text)
    compose.write_text(text.replace('"myproject_user"', '"someone_else"', 1))
    for args in (
        ["check"],
        ["check", "--json"],
        ["render", "--diff", "--dry-run"],
        ["render", "--dry-run"],
        ["render", "--diff"],
        ["render"],
        ["doctor"],
        ["db", "status"],
        ["adopt"],
        ["set", "db_port=6543"],
        ["set", f"db_password={old}"],
        ["set", f"db_password={password}"],
        ["set", "db_port=0"],
        ["set", f"db_password:{password}"],
        ["set", f"db_password={password}\n"],
    ):
        result = envsync(*args, cwd=project)
        yield " ".join(args), result.stdout + result.stderr
    yield from _bad_inputs(project, password)


def _bad_inputs(project: Path, password: str) -> Iterator[tuple[str, str]]:
    """Each file broken where the password sits; errors name file, line and key only."""
    encoded = database_url.encode_component(password)
    url = f"postgresql+psycopg://u:{encoded}@127.0.0.1:5432/d"
    breakages = {
        # configparser's own messages quote the rest of the value.
        "backend/alembic.ini": [
            (r"(?m)^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url}"),
            (r"(?m)^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url}%(nothing)s"),
        ],
        # compose's `${` that does not parse.
        "docker-compose.yml": [(r"POSTGRES_PASSWORD: .*", f'POSTGRES_PASSWORD: "{password}${{"')],
        "backend/.env": [(r"\Z", f"NOT A BINDING {password}\n")],
        ".copier-answers.yml": [
            (r"(?m)^db_password: .*$", "db_password: 2718281828459"),
            (r"(?m)^db_port: .*$", f"db_port: {yaml.safe_dump(password).splitlines()[0]}"),
        ],
    }
    for name, edits in breakages.items():
        path = project / name
        good = path.read_text()
        for pattern, replacement in edits:
            path.write_text(re.sub(pattern, replacement.replace("\\", "\\\\"), good, count=1))
            for args in (["check"], ["render", "--diff"], ["set", "db_port=6543"]):
                result = envsync(*args, cwd=project)
                if args == ["check"]:  # the breakage is one, not a silent no-op
                    assert result.returncode == 2, (name, result.stdout)
                yield f"{name} broken: {' '.join(args)}", result.stdout + result.stderr
        path.write_text(good)


@pytest.mark.parametrize("kind", sorted(PASSWORDS))
def test_no_output_holds_any_spelling_of_the_password(
    make_project: Callable[..., Path], kind: str
) -> None:
    password = PASSWORDS[kind]
    project = make_project(kind, db_password=password)
    hidden = spellings(password) | spellings(password + OLD_SUFFIX) | {"2718281828459"}
    for name, output in _outputs(project, password):
        leaked = sorted(s for s in hidden if s in output)
        assert not leaked, (name, leaked, output)


def test_show_secrets_shows_the_old_spelling_the_masking_hides(
    make_project: Callable[..., Path],
) -> None:
    """The diff searched above could have held the password: asked, it does."""
    password = PASSWORDS["percent"]
    project = make_project("shown", db_password=password)
    env = project / "backend/.env"
    encoded = urllib.parse.quote(password + OLD_SUFFIX, safe="").lower()
    env.write_text(re.sub(r"(//[^:]+:)[^@]*@", lambda m: m[1] + encoded + "@", env.read_text()))
    shown = envsync("render", "--diff", "--dry-run", "--show-secrets", cwd=project).stdout
    assert encoded in shown
    masked = envsync("render", "--diff", "--dry-run", cwd=project).stdout
    assert encoded not in masked and "-DATABASE_URL=" in masked


def test_a_dollar_brace_password_is_no_error_where_no_file_holds_the_key(
    make_project: Callable[..., Path],
) -> None:
    """copier copy accepts it, so every later command must too (point 7 of issue 12)."""
    project = make_project("dollar", db_password=PASSWORDS["interpolation"])
    assert envsync("check", cwd=project).returncode == 0
    assert envsync("set", "db_port=6543", cwd=project).returncode == 0
    assert envsync("set", "db_name=app${x", cwd=project).returncode == 0
    assert envsync("check", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        ("%40123@127.0.0.1:5432/db", "a '%' is neither '%%' nor a %(name)s reference"),
        ("%(x)s@127.0.0.1:5432/db", "a %(name)s reference names no option"),
    ],
)
def test_an_alembic_ini_error_names_file_line_key_and_problem(
    project: Path, tail: str, problem: str
) -> None:
    ini = project / "backend/alembic.ini"
    lines = ini.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("sqlalchemy.url"))
    lines[index] = f"sqlalchemy.url = postgresql+psycopg://u:Secret{tail}\n"
    ini.write_text("".join(lines))
    result = envsync("check", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"envsync: backend/alembic.ini:{index + 1}: [alembic] sqlalchemy.url: "
        f"cannot be read by Alembic: {problem}"
    ), result.stderr
    assert "Secret" not in result.stderr and tail not in result.stderr


def test_a_compose_interpolation_error_names_file_and_line_not_the_value(project: Path) -> None:
    compose = project / "docker-compose.yml"
    lines = compose.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "POSTGRES_PASSWORD:" in line)
    lines[index] = '      POSTGRES_PASSWORD: "Secret${123"\n'
    compose.write_text("".join(lines))
    result = envsync("check", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"envsync: docker-compose.yml:{index + 1}: invalid interpolation format"
    ), result.stderr
    assert "Secret" not in result.stderr


def test_diff_masks_a_password_by_where_it_sits_however_it_is_spelled(project: Path) -> None:
    """Spellings envsync never writes (a lower-case percent-encoding, a YAML escape) sit in
    context lines of a diff; they are masked because of where they are, not how they read."""
    assert envsync("set", "db_password=pa/ss:w0rd", cwd=project).returncode == 0
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("pa%2Fss%3Aw0rd", "pa%2fss%3aw0rd"))
    compose = project / "docker-compose.yml"
    compose.write_text(compose.read_text().replace('"pa/ss:w0rd"', '"\\x70a/ss\\x3aw0rd"'))
    assert envsync("check", cwd=project).returncode == 0  # the same password to every reader
    assert envsync("set", "db_name=renamed", "--files-only", cwd=project).returncode == 0
    for name in ("backend/.env", "docker-compose.yml"):
        path = project / name
        path.write_text(path.read_text().replace("renamed", "drifted"))
    result = envsync("render", "--dry-run", "--diff", cwd=project)
    assert result.returncode == 1, result.stderr
    for spelling in ("pa%2fss%3aw0rd", "\\x70a/ss\\x3aw0rd", "pa/ss:w0rd", "pa%2Fss%3Aw0rd"):
        assert spelling not in result.stdout, spelling
    assert "POSTGRES_PASSWORD: ********" in result.stdout
