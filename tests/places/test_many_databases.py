"""Several databases in one project (places.md, "Several databases, one map"): a second
database on the same server pins its name; a second database service is a database of its own
in the map (``[database.SERVICE]``, its places marked ``database = SERVICE``), whose facts never
fill a place of the first, whatever ``--service`` or ``--prefer`` say; ``envsync set
SERVICE.db_password=...`` changes it alone."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from dotenv import dotenv_values

from envsync.places import map_file
from tests import compose_v2
from tests.conftest import envsync, snapshot
from tests.host_ports import moved
from tests.layouts import GITIGNORE, Layout, git_project
from tests.places.test_compose_projects import NEW_PASSWORD, Case, adopt_check_and_set
from tests.test_copier_update import _commit_all

DEV_AND_TEST_DATABASE = Layout(
    "dev-and-test-database-on-one-server",
    {
        ".gitignore": GITIGNORE,
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: app
                  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}
                  POSTGRES_DB: app_dev
                ports:
                  - "5450:5432"
            """,
        ".env": "POSTGRES_PASSWORD=Two-db-pw-1\n",
        "backend/.env": """
            DATABASE_URL=postgresql+asyncpg://app:Two-db-pw-1@localhost:5450/app_dev
            DATABASE_TEST_URL=postgresql+asyncpg://app:Two-db-pw-1@localhost:5450/app_test
            """,
    },
    password="Two-db-pw-1",
    places=("backend/.env: DATABASE_URL", "backend/.env: DATABASE_TEST_URL"),
    storage="local",
)

TWO_SERVICES_FILES = {
    ".gitignore": GITIGNORE,
    "docker-compose.yml": """
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}
              POSTGRES_DB: app
            ports: ["5451:5432"]
          db_test:
            image: postgres:16
            env_file: .env.test
            environment:
              POSTGRES_PASSWORD: ${TEST_DB_PASSWORD:?}
            ports: ["5452:5432"]
            tmpfs: [/var/lib/postgresql/data]
          web:
            build: .
            depends_on: [db]
            environment:
              DATABASE_URL: postgresql://app:${POSTGRES_PASSWORD}@db:5432/app
          tests:
            build: .
            depends_on: [db_test]
            environment:
              DATABASE_URL: postgresql://app:${TEST_DB_PASSWORD}@db_test:5432/app_test
        """,
    ".env": "POSTGRES_PASSWORD=Main-db-pw\nTEST_DB_PASSWORD=Test-db-pw\n",
    ".env.test": "POSTGRES_USER=app\nPOSTGRES_DB=app_test\n",
}
TWO_SERVICES = Layout(
    "two-database-services",
    TWO_SERVICES_FILES,
    password="Main-db-pw",
    places=(
        "docker-compose.yml: services.db.environment.POSTGRES_PASSWORD",
        ".env: POSTGRES_PASSWORD",
    ),
    storage="local",
)
# The places of the test database, as the map marks them.
TEST_DATABASE_PLACES = {
    "docker-compose.yml: services.db_test.environment.POSTGRES_USER",
    "docker-compose.yml: services.db_test.environment.POSTGRES_PASSWORD",
    "docker-compose.yml: services.db_test.environment.POSTGRES_DB",
    "docker-compose.yml: services.db_test.ports",
    "docker-compose.yml: services.tests.environment.DATABASE_URL",
    ".env: TEST_DB_PASSWORD",
    ".env.test: POSTGRES_USER",
    ".env.test: POSTGRES_DB",
}
OTHER_NEW_PASSWORD = "Test-db-new-4"


def _places_by_database(project: Path) -> dict[str | None, set[str]]:
    found: dict[str | None, set[str]] = {}
    for place in tomllib.loads((project / "envsync.toml").read_text())["place"]:
        label = f"{place['file']}: {place['key']}"
        found.setdefault(place.get("database"), set()).add(label)
    return found


def test_a_second_database_on_the_same_server_pins_its_name(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(DEV_AND_TEST_DATABASE))
    places = tomllib.loads((project / "envsync.toml").read_text())["place"]
    test_url = next(p for p in places if p["key"] == "DATABASE_TEST_URL")
    assert test_url["url"] == {"view": "host", "database": "app_test"}
    # The development database's name moves; the test database's stays its own.
    assert envsync("set", "db_name=app_main", cwd=project).returncode == 0
    env = dotenv_values(project / "backend/.env")
    server = f"app:{NEW_PASSWORD}@localhost:{moved(5450)}"
    assert env["DATABASE_URL"] == f"postgresql+asyncpg://{server}/app_main"
    assert env["DATABASE_TEST_URL"] == f"postgresql+asyncpg://{server}/app_test"
    environment = compose_v2.environment(project, "db")
    assert environment["POSTGRES_DB"] == "app_main"
    assert envsync("check", cwd=project).returncode == 0


def test_a_second_database_service_is_a_database_of_its_own(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(TWO_SERVICES))
    by_database = _places_by_database(project)
    assert by_database["db_test"] == TEST_DATABASE_PLACES
    assert not by_database[None] & TEST_DATABASE_PLACES
    place_map = tomllib.loads((project / "envsync.toml").read_text())
    # Its password is in a git-ignored file only (.env): the tracked map does not get it.
    assert place_map["database"] == {
        "db_test": {"db_user": "app", "db_name": "app_test", "db_port": str(moved(5452))}
    }
    services = compose_v2.project_config(project)["services"]
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == "Test-db-pw"
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Test-db-pw@db_test:5432/app_test"
    )

    compose_text = (project / "docker-compose.yml").read_text()
    result = envsync("set", f"db_test.db_password={OTHER_NEW_PASSWORD}", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    services = compose_v2.project_config(project)["services"]
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == OTHER_NEW_PASSWORD
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        f"postgresql://app:{OTHER_NEW_PASSWORD}@db_test:5432/app_test"
    )
    # The project's own database keeps the password adopt_check_and_set gave it.
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert services["web"]["environment"]["DATABASE_URL"] == (
        f"postgresql://app:{NEW_PASSWORD}@db:5432/app"
    )
    # Written where it is defined: every reference is still a reference.
    assert (project / "docker-compose.yml").read_text() == compose_text
    assert dotenv_values(project / ".env") == {
        "POSTGRES_PASSWORD": NEW_PASSWORD,
        "TEST_DB_PASSWORD": OTHER_NEW_PASSWORD,
    }
    assert "Test-db" not in (project / "envsync.toml").read_text()
    assert envsync("check", cwd=project).returncode == 0


def test_a_second_databases_other_facts_go_to_its_table(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(TWO_SERVICES))
    result = envsync("set", "db_test.db_name=app_t2", "db_test.db_port=5453", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    tables = tomllib.loads((project / "envsync.toml").read_text())["database"]
    assert tables["db_test"] == {"db_user": "app", "db_name": "app_t2", "db_port": "5453"}
    assert compose_v2.published(project, "db_test") == [("5453", 5432)]
    assert compose_v2.published(project, "db") == [(str(moved(5451)), 5432)]
    assert dotenv_values(project / ".env.test")["POSTGRES_DB"] == "app_t2"
    services = compose_v2.project_config(project)["services"]
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Test-db-pw@db_test:5432/app_t2"
    )
    assert services["db"]["environment"]["POSTGRES_DB"] == "app"
    assert envsync("check", cwd=project).returncode == 0
    assert envsync("rotate", "--database", "db_test", cwd=project).returncode == 0
    rotated = dotenv_values(project / ".env")
    assert rotated["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert rotated["TEST_DB_PASSWORD"] not in ("Test-db-pw", NEW_PASSWORD)
    assert envsync("check", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (["db_tset.db_password=x"], "names no database of envsync.toml"),
        (["db_test.db_pasword=x"], "is none of db_user, db_password"),
        (["db_test.db_port=99999"], "db_test.db_port"),
        (["db_test.db_password=x", "db_password=y"], "change more than one database"),
    ],
)
def test_a_bad_database_assignment_is_refused_with_nothing_written(
    tmp_path: Path, assignments: list[str], message: str
) -> None:
    project = git_project(tmp_path / "bad", TWO_SERVICES_FILES)
    assert envsync("adopt", cwd=project).returncode == 0
    before = snapshot(project)
    result = envsync("set", *assignments, cwd=project)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(project) == before


def test_two_databases_with_one_password_are_still_two(tmp_path: Path) -> None:
    files = {
        **TWO_SERVICES_FILES,
        ".env": "POSTGRES_PASSWORD=Same-pw-9\nTEST_DB_PASSWORD=Same-pw-9\n",
    }
    project = git_project(tmp_path / "same", files)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database db_test: a database of its own ([database.db_test] in the map, 8 places)" in (
        result.stdout
    )
    assert _places_by_database(project)["db_test"] == TEST_DATABASE_PLACES
    assert envsync("set", f"db_password={NEW_PASSWORD}", cwd=project).returncode == 0
    services = compose_v2.project_config(project)["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == "Same-pw-9"
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Same-pw-9@db_test:5432/app_test"
    )


def test_prefer_never_gives_one_databases_value_to_another(tmp_path: Path) -> None:
    """The web service's URL is stale; --prefer .env settles the project's database, and the
    test database's places keep the test database's values."""
    compose = TWO_SERVICES_FILES["docker-compose.yml"].replace(
        "postgresql://app:${POSTGRES_PASSWORD}@db:5432/app",
        "postgresql://app:Stale-pw@db:5432/app",
    )
    project = git_project(tmp_path / "stale", {**TWO_SERVICES_FILES, "docker-compose.yml": compose})
    result = envsync("adopt", cwd=project)
    assert result.returncode == 1
    assert "services.web.environment.DATABASE_URL" in result.stdout
    result = envsync("adopt", "--prefer", ".env", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    services = compose_v2.project_config(project)["services"]
    assert services["web"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Main-db-pw@db:5432/app"
    )
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == "Test-db-pw"
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Test-db-pw@db_test:5432/app_test"
    )
    assert envsync("check", cwd=project).returncode == 0


def test_a_second_database_that_disagrees_is_a_row_of_the_table(tmp_path: Path) -> None:
    compose = TWO_SERVICES_FILES["docker-compose.yml"].replace(
        "postgresql://app:${TEST_DB_PASSWORD}@db_test:5432/app_test",
        "postgresql://app:Old-test-pw@db_test:5432/app_test",
    )
    project = git_project(tmp_path / "stale", {**TWO_SERVICES_FILES, "docker-compose.yml": compose})
    before = snapshot(project)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 1
    assert "db_test.db_password" in result.stdout
    assert "services.tests.environment.DATABASE_URL" in result.stdout
    assert snapshot(project) == before
    result = envsync("adopt", "--prefer", ".env: TEST_DB_PASSWORD", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    services = compose_v2.project_config(project)["services"]
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Test-db-pw@db_test:5432/app_test"
    )
    assert services["web"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Main-db-pw@db:5432/app"
    )


def test_the_service_option_chooses_the_project_database(tmp_path: Path) -> None:
    project = git_project(tmp_path / "test-db", TWO_SERVICES_FILES)
    result = envsync("adopt", "--service", "db_test", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    by_database = _places_by_database(project)
    assert "docker-compose.yml: services.db.environment.POSTGRES_PASSWORD" in by_database["db"]
    assert "docker-compose.yml: services.web.environment.DATABASE_URL" in by_database["db"]
    assert envsync("set", f"db_password={NEW_PASSWORD}", cwd=project).returncode == 0
    services = compose_v2.project_config(project)["services"]
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        f"postgresql://app:{NEW_PASSWORD}@db_test:5432/app_test"
    )
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "Main-db-pw"
    assert services["web"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Main-db-pw@db:5432/app"
    )


def test_two_databases_no_app_uses_are_refused_naming_the_option(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": """
            services:
              primary:
                image: postgres:16
                environment: {POSTGRES_PASSWORD: a}
              analytics:
                image: postgres:16
                environment: {POSTGRES_PASSWORD: b}
            """
    }
    project = git_project(tmp_path / "two", files)
    before = snapshot(project)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 2
    assert "choose one with --service NAME" in result.stderr
    assert snapshot(project) == before


def test_a_fresh_clone_renders_a_password_for_each_database(tmp_path: Path) -> None:
    project = git_project(tmp_path / "origin", TWO_SERVICES_FILES)
    assert envsync("adopt", cwd=project).returncode == 0
    _commit_all(project, "adopted")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    assert not (clone / ".env").exists()
    assert envsync("check", cwd=clone).returncode == 1
    result = envsync("render", cwd=clone)
    assert result.returncode == 0, result.stdout + result.stderr
    env = dotenv_values(clone / ".env")
    assert set(env) == {"POSTGRES_PASSWORD", "TEST_DB_PASSWORD"}
    assert env["POSTGRES_PASSWORD"] != env["TEST_DB_PASSWORD"]
    assert (clone / ".env").stat().st_mode & 0o777 == 0o600
    services = compose_v2.project_config(clone)["services"]
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        f"postgresql://app:{env['TEST_DB_PASSWORD']}@db_test:5432/app_test"
    )
    assert envsync("check", cwd=clone).returncode == 0


def test_update_takes_in_a_database_an_older_map_left_out(tmp_path: Path) -> None:
    """A map written before envsync knew several databases: ``adopt --update`` adds the
    second database's table and places as ``adopt`` writes them today, and nothing else."""
    project = git_project(tmp_path / "older", TWO_SERVICES_FILES)
    assert envsync("adopt", cwd=project).returncode == 0
    today = (project / "envsync.toml").read_text()
    older = tomllib.loads(today)
    parsed = map_file.parse(today)
    one_database = replace(
        parsed, places=tuple(p for p in parsed.places if p.database is None), databases={}
    )
    (project / "envsync.toml").write_text(map_file.dump(one_database))
    result = envsync("adopt", "--update", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    updated = tomllib.loads((project / "envsync.toml").read_text())
    assert updated["database"] == older["database"]
    assert sorted(map(str, updated["place"])) == sorted(map(str, older["place"]))
    assert envsync("check", cwd=project).returncode == 0
    assert envsync("set", f"db_test.db_password={OTHER_NEW_PASSWORD}", cwd=project).returncode == 0
    assert dotenv_values(project / ".env")["TEST_DB_PASSWORD"] == OTHER_NEW_PASSWORD


def test_two_services_on_one_password_variable_are_not_two_databases(tmp_path: Path) -> None:
    """Both services read ``${POSTGRES_PASSWORD}``: one value configures both, so the second is
    no database of its own (its password would have no git-ignored home but the first's); the
    project is adopted as before, the password stays out of the map, and set changes it once."""
    compose = (
        TWO_SERVICES_FILES["docker-compose.yml"]
        .replace("${TEST_DB_PASSWORD:?}", "${POSTGRES_PASSWORD:?}")
        .replace("${TEST_DB_PASSWORD}", "${POSTGRES_PASSWORD}")
    )
    files = {
        **TWO_SERVICES_FILES,
        "docker-compose.yml": compose,
        ".env": "POSTGRES_PASSWORD=One-pw\n",
    }
    project = git_project(tmp_path / "shared", files)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database db_test: not managed as a database of its own: its password is" in (
        result.stdout
    )
    text = (project / "envsync.toml").read_text()
    assert "[database." not in text and "One-pw" not in text
    assert envsync("set", f"db_password={NEW_PASSWORD}", cwd=project).returncode == 0
    services = compose_v2.project_config(project)["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert envsync("check", cwd=project).returncode == 0


def test_excluding_a_databases_password_places_leaves_it_out(tmp_path: Path) -> None:
    project = git_project(tmp_path / "excluded", TWO_SERVICES_FILES)
    result = envsync(
        "adopt",
        "--exclude",
        "docker-compose.yml: services.db_test.environment.POSTGRES_PASSWORD",
        "--exclude",
        ".env: TEST_DB_PASSWORD",
        "--exclude",
        "docker-compose.yml: services.tests.environment.DATABASE_URL",
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database db_test: not managed (--exclude left no place that gives its password)" in (
        result.stdout
    )
    text = (project / "envsync.toml").read_text()
    assert "[database." not in text and 'database = "db_test"' not in text
    assert envsync("check", cwd=project).returncode == 0


def test_the_project_databases_own_name_means_its_answers(tmp_path: Path) -> None:
    project = git_project(tmp_path / "own", TWO_SERVICES_FILES)
    assert envsync("adopt", cwd=project).returncode == 0
    rotated = envsync("rotate", "--database", "db", cwd=project)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    env = dotenv_values(project / ".env")
    assert env["POSTGRES_PASSWORD"] != "Main-db-pw" and env["TEST_DB_PASSWORD"] == "Test-db-pw"
    assert envsync("check", cwd=project).returncode == 0


def test_a_place_of_a_database_without_a_table_names_the_table(tmp_path: Path) -> None:
    project = git_project(tmp_path / "untabled", TWO_SERVICES_FILES)
    assert envsync("adopt", cwd=project).returncode == 0
    with (project / "envsync.toml").open("a") as handle:
        handle.write('\n[[place]]\nfile = ".env"\nkey = "X"\nvalue = "{db_other.db_password}"\n')
    before = snapshot(project)
    result = envsync("check", cwd=project)
    assert result.returncode == 2
    assert "names 'db_other.db_password' of a database the map has no table for" in result.stderr
    assert "[database.db_other]" in result.stderr
    assert snapshot(project) == before


def test_a_password_tracked_already_is_named_when_the_map_gets_it(tmp_path: Path) -> None:
    compose = (
        TWO_SERVICES_FILES["docker-compose.yml"]
        .replace("${TEST_DB_PASSWORD:?}", "Test-literal-pw")
        .replace("${TEST_DB_PASSWORD}", "Test-literal-pw")
    )
    files = {**TWO_SERVICES_FILES, "docker-compose.yml": compose, ".env": "POSTGRES_PASSWORD=M\n"}
    project = git_project(tmp_path / "literal", files)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "database db_test: its password is in envsync.toml (files git tracks hold it already: "
        "docker-compose.yml)" in result.stdout
    )
    table = tomllib.loads((project / "envsync.toml").read_text())["database"]["db_test"]
    assert table["db_password"] == "Test-literal-pw"
    assert envsync("check", cwd=project).returncode == 0
