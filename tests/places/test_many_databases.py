"""Several databases in one project (places.md, "Several databases, one map"): a second
database on the same server pins its name; a second database service is a database of its own,
never a place of the first, whatever ``--service`` or ``--prefer`` say."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dotenv import dotenv_values

from tests import compose_v2
from tests.conftest import envsync, snapshot
from tests.layouts import GITIGNORE, Layout, git_project
from tests.places.test_compose_projects import NEW_PASSWORD, Case, adopt_check_and_set

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
    not_places=(
        "docker-compose.yml: services.db_test.environment.POSTGRES_PASSWORD",
        "docker-compose.yml: services.tests.environment.DATABASE_URL",
        ".env: TEST_DB_PASSWORD",
        ".env.test: POSTGRES_DB",
    ),
    storage="local",
)


def test_a_second_database_on_the_same_server_pins_its_name(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(DEV_AND_TEST_DATABASE))
    places = tomllib.loads((project / "envsync.toml").read_text())["place"]
    test_url = next(p for p in places if p["key"] == "DATABASE_TEST_URL")
    assert test_url["url"] == {"view": "host", "database": "app_test"}
    # The development database's name moves; the test database's stays its own.
    assert envsync("set", "db_name=app_main", cwd=project).returncode == 0
    env = dotenv_values(project / "backend/.env")
    assert env["DATABASE_URL"] == f"postgresql+asyncpg://app:{NEW_PASSWORD}@localhost:5450/app_main"
    assert env["DATABASE_TEST_URL"] == (
        f"postgresql+asyncpg://app:{NEW_PASSWORD}@localhost:5450/app_test"
    )
    environment = compose_v2.environment(project, "db")
    assert environment["POSTGRES_DB"] == "app_main"
    assert envsync("check", cwd=project).returncode == 0


def test_a_second_database_service_is_never_a_place_of_the_first(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(TWO_SERVICES))
    services = compose_v2.project_config(project)["services"]
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == "Test-db-pw"
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Test-db-pw@db_test:5432/app_test"
    )


def test_two_databases_with_one_password_are_still_two(tmp_path: Path) -> None:
    files = {
        **TWO_SERVICES_FILES,
        ".env": "POSTGRES_PASSWORD=Same-pw-9\nTEST_DB_PASSWORD=Same-pw-9\n",
    }
    project = git_project(tmp_path / "same", files)
    result = envsync("adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TEST_DB_PASSWORD" not in (project / "envsync.toml").read_text()
    assert envsync("set", f"db_password={NEW_PASSWORD}", cwd=project).returncode == 0
    services = compose_v2.project_config(project)["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert services["db_test"]["environment"]["POSTGRES_PASSWORD"] == "Same-pw-9"
    assert services["tests"]["environment"]["DATABASE_URL"] == (
        "postgresql://app:Same-pw-9@db_test:5432/app_test"
    )


def test_the_service_option_adopts_the_other_database_alone(tmp_path: Path) -> None:
    project = git_project(tmp_path / "test-db", TWO_SERVICES_FILES)
    result = envsync("adopt", "--service", "db_test", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (project / "envsync.toml").read_text()
    assert "services.db.environment" not in text and "services.web." not in text
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
