"""render, check and set, run as the ``envsync`` command on projects made by ``copier copy``."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import MANAGED, PORT, envsync, envsync_process, snapshot
from tests.readers import Credentials, all_credentials

# A port in the files only (drift), never a server's.
OTHER_PORT = PORT - 1


def test_render_recreates_exactly_what_copier_wrote(project: Path) -> None:
    copied = snapshot(project)
    for name in MANAGED:
        (project / name).unlink()
    result = envsync_process("render", cwd=project)
    assert result.returncode == 0, result.stderr
    assert snapshot(project) == copied
    for name in MANAGED:
        assert f"created {name}" in result.stdout


def test_render_from_answers_alone_matches_copier(project: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(project / ".copier-answers.yml", bare)
    assert envsync("render", cwd=bare).returncode == 0
    rendered = snapshot(bare)
    copied = snapshot(project)
    assert {name: rendered[name] for name in MANAGED} == {name: copied[name] for name in MANAGED}


def test_second_render_changes_no_byte_and_check_passes(project: Path) -> None:
    before = snapshot(project)
    result = envsync("render", cwd=project)
    assert result.returncode == 0
    assert result.stdout.strip() == "all files in sync"
    assert snapshot(project) == before
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync")


@dataclass(frozen=True)
class Drift:
    """A user's own additions to a file, then a hand edit of one managed value in it."""

    file: str
    key: str
    add: Callable[[str], str]
    edit: Callable[[str], str]


def _sub(pattern: str, replacement: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        changed, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
        assert count == 1, pattern
        return changed

    return apply


COMPOSE_ADDITIONS = _sub(
    r"^services:\n",
    "services:\n  # my web app\n  web:\n    image: nginx:1.27\n    ports:\n      - 8080:80\n",
)
ENV_ADDITIONS = _sub(r"\Z", "# my keys\nOPENAI_API_KEY=sk-test-123  # keep me\n")
INI_ADDITIONS = _sub(r"^(sqlalchemy\.url)", "# my note about the URL\n\\1")
CLAUDE_ADDITIONS = _sub(r"\Z", "\n## My notes\n\nRun `make test` before pushing.\n")
EXAMPLE_ADDITIONS = _sub(r"\Z", "OTHER_SETTING=1\n")

DRIFTS = [
    Drift("docker-compose.yml", "services.db.image", COMPOSE_ADDITIONS,
          _sub(r'image: "pgvector/pgvector:pg16"', "image: postgres:15")),
    Drift("docker-compose.yml", "services.db.container_name", COMPOSE_ADDITIONS,
          _sub(r'container_name: "myproject-db"', "container_name: other-db")),
    Drift("docker-compose.yml", "services.db.environment.POSTGRES_USER", COMPOSE_ADDITIONS,
          _sub(r"POSTGRES_USER: .*", "POSTGRES_USER: postgres")),
    Drift("docker-compose.yml", "services.db.environment.POSTGRES_PASSWORD", COMPOSE_ADDITIONS,
          _sub(r"POSTGRES_PASSWORD: .*", "POSTGRES_PASSWORD: password")),
    Drift("docker-compose.yml", "services.db.environment.POSTGRES_DB", COMPOSE_ADDITIONS,
          _sub(r"POSTGRES_DB: .*", "POSTGRES_DB: 'sparkle'")),
    Drift("docker-compose.yml", "services.db.ports", COMPOSE_ADDITIONS,
          _sub(f'- "127.0.0.1:{PORT}:5432"', f'- "127.0.0.1:{OTHER_PORT}:5432"')),
    Drift("docker-compose.yml", "services.db.healthcheck.test", COMPOSE_ADDITIONS,
          _sub(r'"-U", "myproject_user"', '"-U", "postgres"')),
    Drift("backend/.env", "DATABASE_URL (user)", ENV_ADDITIONS,
          _sub(r"//myproject_user:", "//sparkle_user:")),
    Drift("backend/.env", "DATABASE_URL (password)", ENV_ADDITIONS,
          _sub(r"(//myproject_user:)[^@]*@", r"\1sparkle_password@")),
    Drift("backend/.env", "DATABASE_URL (database)", ENV_ADDITIONS,
          _sub(r"/myproject$", "/sparkle_db")),
    Drift("backend/.env", "DATABASE_URL (host)", ENV_ADDITIONS,
          _sub(r"@127\.0\.0\.1:", "@localhost:")),
    Drift("backend/.env", "DATABASE_URL (port)", ENV_ADDITIONS,
          _sub(f":{PORT}/", f":{OTHER_PORT}/")),
    Drift("backend/.env", "DATABASE_URL (drivername)", ENV_ADDITIONS,
          _sub(r"postgresql\+asyncpg", "postgresql+psycopg2")),
    Drift("backend/.env.example", "DATABASE_URL (user)", EXAMPLE_ADDITIONS,
          _sub(r"//myproject_user:", "//postgres:")),
    Drift("backend/alembic.ini", "[alembic] sqlalchemy.url (user)", INI_ADDITIONS,
          _sub(r"//myproject_user:", "//postgres:")),
    Drift("backend/alembic.ini", "[alembic] sqlalchemy.url (password)", INI_ADDITIONS,
          _sub(r"(//myproject_user:)[^@]*@", r"\1password@")),
    Drift("backend/alembic.ini", "[alembic] sqlalchemy.url (database)", INI_ADDITIONS,
          _sub(r"/myproject$", "/sparkle")),
    Drift("CLAUDE.md", "credentials section (password)", CLAUDE_ADDITIONS,
          _sub(r"^password: .*$", "password: password")),
    Drift("CLAUDE.md", "credentials section (user)", CLAUDE_ADDITIONS,
          _sub(r"^user: .*$", "user: postgres")),
]  # fmt: skip


@pytest.mark.parametrize("drift", DRIFTS, ids=lambda d: f"{d.file}:{d.key}")
def test_hand_edit_is_caught_named_and_repaired_keeping_user_text(
    project: Path, drift: Drift
) -> None:
    path = project / drift.file
    path.write_text(drift.add(path.read_text()))
    assert envsync("check", cwd=project).returncode == 0, "user additions are not drift"
    with_user_text = path.read_bytes()

    path.write_text(drift.edit(path.read_text()))
    check = envsync("check", cwd=project)
    assert check.returncode == 1
    assert f"{drift.file}: {drift.key}:" in check.stdout
    report = json.loads(envsync("check", "--json", cwd=project).stdout)
    assert {(f["file"], f["key"]) for f in report["findings"]} == {(drift.file, drift.key)}

    assert envsync("render", cwd=project).returncode == 0
    assert path.read_bytes() == with_user_text
    assert envsync("check", cwd=project).returncode == 0


def test_comment_on_a_repaired_line_survives(project: Path) -> None:
    compose = project / "docker-compose.yml"
    text = compose.read_text()
    compose.write_text(text.replace('POSTGRES_DB: "myproject"', "POSTGRES_DB: other  # why"))
    assert envsync("render", cwd=project).returncode == 0
    assert compose.read_text() == text.replace(
        'POSTGRES_DB: "myproject"', 'POSTGRES_DB: "myproject"  # why'
    )


def test_list_form_environment_is_repaired_in_place(project: Path) -> None:
    compose = project / "docker-compose.yml"
    text = compose.read_text()
    listed = re.sub(r'POSTGRES_(USER|PASSWORD|DB): "(.*)"', r"- POSTGRES_\1=\2", text)
    compose.write_text(listed)
    assert envsync("check", cwd=project).returncode == 0
    compose.write_text(re.sub(r"- POSTGRES_PASSWORD=.*", "- POSTGRES_PASSWORD=pa$$word", listed))
    check = envsync("check", cwd=project)
    assert "services.db.environment.POSTGRES_PASSWORD: expected ********" in check.stdout
    assert envsync("render", cwd=project).returncode == 0
    assert envsync("check", cwd=project).returncode == 0
    assert yaml.safe_load(compose.read_text())["services"]["db"]["environment"][1] == (
        "POSTGRES_PASSWORD="
        + yaml.safe_load(text)["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    )


def test_a_host_address_bound_by_the_user_is_kept(project: Path) -> None:
    compose = project / "docker-compose.yml"
    bound = compose.read_text().replace(f'- "127.0.0.1:{PORT}:5432"', f"- 0.0.0.0:{PORT}:5432")
    compose.write_text(bound)
    assert envsync("check", cwd=project).returncode == 0
    compose.write_text(bound.replace(f"0.0.0.0:{PORT}:5432", "0.0.0.0:5433:5432"))
    check = envsync("check", cwd=project)
    assert f"services.db.ports: expected '{PORT}', found '5433'" in check.stdout
    assert envsync("render", cwd=project).returncode == 0
    assert f'- "0.0.0.0:{PORT}:5432"' in compose.read_text()
    assert envsync("check", cwd=project).returncode == 0


def test_requoting_or_reencoding_by_hand_is_not_drift(project: Path) -> None:
    compose = project / "docker-compose.yml"
    compose.write_text(
        compose.read_text().replace('POSTGRES_DB: "myproject"', "POSTGRES_DB: myproject")
    )
    env = project / "backend/.env"
    env.write_text(re.sub(r"DATABASE_URL=(.*)", r'export DATABASE_URL="\1"', env.read_text()))
    before = snapshot(project)
    assert envsync("check", cwd=project).returncode == 0
    assert envsync("render", cwd=project).returncode == 0
    assert snapshot(project) == before


def test_check_masks_secrets_unless_asked(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(re.sub(r"(//myproject_user:)[^@]*@", r"\1hunter2hunter2@", env.read_text()))
    password = yaml.safe_load((project / ".copier-answers.yml").read_text())["db_password"]
    for args in (["check"], ["check", "--json"], ["render", "--diff", "--dry-run"]):
        out = envsync(*args, cwd=project).stdout
        assert "hunter2hunter2" not in out and password not in out, args
    shown = envsync("check", "--show-secrets", cwd=project).stdout
    assert "hunter2hunter2" in shown and password in shown


def test_no_spelling_of_a_quoted_password_leaks_into_any_report(project: Path) -> None:
    assert envsync("set", "db_password=ab'c\\d x", cwd=project).returncode == 0
    env = project / "backend/.env"
    env.write_text(env.read_text() + "POSTGRES_PASSWORD=old-password\n")
    compose = project / "docker-compose.yml"
    compose.write_text(
        re.sub(r"POSTGRES_PASSWORD: .*", "POSTGRES_PASSWORD: other-one", compose.read_text())
    )
    # Written out by hand, not computed by envsync, so a spelling envsync forgets still fails.
    spellings = [
        "ab'c\\d x",  # raw
        "ab\\'c\\\\d x",  # python-dotenv single quotes
        "ab%27c%5Cd%20x",  # URL-encoded
        "ab%%27c%%5Cd%%20x",  # alembic.ini
        "ab'c\\\\d x",  # YAML double quotes
        "old-password",
        "other-one",
    ]
    for args in (["check"], ["check", "--json"], ["render", "--dry-run", "--diff"], ["render"]):
        result = envsync(*args, cwd=project)
        for spelling in spellings:
            assert spelling not in result.stdout + result.stderr, (args, spelling)


def test_dry_run_and_diff_write_nothing(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("//myproject_user:", "//other:"))
    before = snapshot(project)
    result = envsync("render", "--dry-run", "--diff", cwd=project)
    assert result.returncode == 1
    assert "-DATABASE_URL=postgresql+asyncpg://other:********@" in result.stdout
    assert "+DATABASE_URL=postgresql+asyncpg://myproject_user:********@" in result.stdout
    assert "would update backend/.env (DATABASE_URL (user))" in result.stdout
    assert snapshot(project) == before


def test_set_changes_every_file_at_once(project: Path) -> None:
    assignments = ["db_password=n3w:p@ss%", "db_port=6543", "db_user=app", "db_container=app-pg"]
    result = envsync("set", *assignments, cwd=project)
    assert result.returncode == 0, result.stderr
    found = all_credentials(project)
    database = yaml.safe_load((project / ".copier-answers.yml").read_text())["db_name"]
    assert found == dict.fromkeys(found, Credentials("app", "n3w:p@ss%", database, 6543))
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    assert compose["services"]["db"]["container_name"] == "app-pg"
    assert envsync("check", cwd=project).returncode == 0


def _assert_refused(project: Path, args: list[str], *, names: str) -> None:
    before = snapshot(project)
    result = envsync(*args, cwd=project)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0]
    assert snapshot(project) == before


@pytest.mark.parametrize("command", [["check"], ["render"], ["set", "db_port=6000"]])
def test_missing_answers_file(project: Path, command: list[str]) -> None:
    (project / ".copier-answers.yml").unlink()
    _assert_refused(project, command, names=".copier-answers.yml")


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda text: text + "db_port: [unclosed\n", ".copier-answers.yml"),
        (lambda text: "just text\n", ".copier-answers.yml"),
        (lambda text: text.replace(f"db_port: {PORT}", "db_port: 70000"), "db_port"),
        (lambda text: text.replace(f"db_port: {PORT}", f"db_port: '{PORT}'"), "db_port"),
        (lambda text: re.sub(r"db_user: .*", "db_user: " + "u" * 64, text), "db_user"),
        (lambda text: re.sub(r"db_user: .*", "db_user: pg_admin", text), "db_user"),
        (lambda text: re.sub(r"db_password: .*", lambda _: r'db_password: "a\nb"', text),
         "db_password"),
        (lambda text: re.sub(r"db_password: .*", 'db_password: ""', text), "db_password"),
        (lambda text: re.sub(r"db_name: .*", lambda _: r'db_name: "a\0b"', text), "db_name"),
        (lambda text: text.replace("app_driver: asyncpg", "app_driver: mysqlclient"), "app_driver"),
        (lambda text: text.replace("migrations_driver: psycopg", "migrations_driver: asyncpg"),
         "migrations_driver"),
        (lambda text: re.sub(r"db_user: .*\n", "", text), "db_user"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", [["check"], ["render"]])
def test_bad_answers_are_refused(
    project: Path, change: Callable[[str], str], names: str, command: list[str]
) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(change(answers.read_text()))
    for name in MANAGED:
        (project / name).write_text((project / name).read_text() + "\n# drifted\n")
    _assert_refused(project, command, names=names)


@pytest.mark.parametrize(
    ("assignment", "names"),
    [
        ("db_port=0", "db_port"),
        ("db_port=http", "db_port"),
        ("db_user=", "db_user"),
        ("db_name=" + "é" * 32, "db_name"),
        ("db_host=local host", "db_host"),
        ("nope=1", "nope"),
        ("no-equals-sign", "KEY=VALUE"),
    ],
)
def test_set_refuses_invalid_values(project: Path, assignment: str, names: str) -> None:
    _assert_refused(project, ["set", assignment], names=names)


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (lambda t: re.sub(r"<!-- envsync:begin.*\n", "", t), "CLAUDE.md:"),
        (lambda t: re.sub(r"<!-- envsync:end.*\n", "", t), "CLAUDE.md:"),
        (lambda t: t + "<!-- envsync:begin credentials -->\n", "CLAUDE.md:"),
        (lambda t: t + "\n<!-- envsync:end credentials -->\n", "CLAUDE.md:"),
        (lambda t: re.sub(r"<!-- envsync:(begin|end).*\n", "", t), "CLAUDE.md"),
    ],
)
@pytest.mark.parametrize("command", [["check"], ["render"]])
def test_claude_md_markers_must_be_exact(
    project: Path, change: Callable[[str], str], line: str, command: list[str]
) -> None:
    claude = project / "CLAUDE.md"
    claude.write_text(change(claude.read_text()))
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("//myproject_user:", "//other:"))
    _assert_refused(project, command, names=line)


def test_unparsable_files_are_refused_naming_the_line(project: Path) -> None:
    compose = project / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("    ports:\n", "    ports: [\n"))
    _assert_refused(project, ["render"], names="docker-compose.yml:")
