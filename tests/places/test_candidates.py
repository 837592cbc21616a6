"""The incident rule (issue 20, item 6): a URL in a file the application loads is a candidate
place of the database even when every part differs, another port included. It is a row of the
disagreement table, never a silent note; one that truly belongs elsewhere is left out with
``--exclude``, not by a guess."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dotenv import dotenv_values

from tests import compose_v2
from tests.conftest import envsync, snapshot
from tests.host_ports import moved, own_files
from tests.layouts import GITIGNORE, Layout, git_project
from tests.places.test_compose_projects import Case, adopt_check_and_set

NEW_PASSWORD = "N3w-pass"
URL = "backend/.env: DATABASE_URL"
# The seed incident with one more wrong value: the URL is on 5432, compose publishes 15432.
ANOTHER_PORT = own_files(
    {
        ".gitignore": GITIGNORE,
        "docker-compose.yml": """
        services:
          sparkle_db:
            image: pgvector/pgvector:pg16
            environment:
              POSTGRES_USER: postgres
              POSTGRES_PASSWORD: Compose-pw-15
              POSTGRES_DB: sparkle
            ports:
              - "15432:5432"
          backend:
            build: ./backend
            env_file: backend/.env
        """,
        "backend/.env": (
            "DATABASE_URL=postgresql+asyncpg://sparkle_user:sparkle_password@localhost:5432/sparkle_db\n"
        ),
    }
)


def test_a_url_the_app_loads_on_another_port_is_a_row_of_the_table(tmp_path: Path) -> None:
    project = git_project(tmp_path / "sparkle", ANOTHER_PORT)
    before = snapshot(project)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if URL in line]
    assert {row.split()[-1] for row in rows} == {"differs"}
    assert len(rows) == 4  # user, password, database and port
    assert "disagree on db_user, db_password, db_name, db_port" in result.stdout
    assert snapshot(project) == before

    result = envsync("adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    url = f"postgresql+asyncpg://postgres:Compose-pw-15@localhost:{moved(15432)}/sparkle"
    assert dotenv_values(project / "backend/.env")["DATABASE_URL"] == url
    assert envsync("check", cwd=project).returncode == 0
    assert envsync("set", f"db_password={NEW_PASSWORD}", cwd=project).returncode == 0
    assert compose_v2.environment(project, "sparkle_db")["POSTGRES_PASSWORD"] == NEW_PASSWORD
    assert dotenv_values(project / "backend/.env")["DATABASE_URL"] == url.replace(
        "Compose-pw-15", NEW_PASSWORD
    )


def test_a_url_that_belongs_elsewhere_is_left_out_by_name(tmp_path: Path) -> None:
    project = git_project(tmp_path / "elsewhere", ANOTHER_PORT)
    result = envsync("adopt", "--exclude", URL, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{URL}: left out (--exclude)" in result.stdout
    place_map = tomllib.loads((project / "envsync.toml").read_text())
    assert not [p for p in place_map["place"] if p["file"] == "backend/.env"]
    # The map keeps it out of check's copy search too: it belongs to something else.
    assert place_map["ignore"] == [{"file": "backend/.env", "key": "DATABASE_URL"}]
    assert (project / "backend/.env").read_text() == ANOTHER_PORT["backend/.env"]
    assert envsync("check", cwd=project).returncode == 0


def test_an_exclude_that_names_no_place_is_refused(tmp_path: Path) -> None:
    project = git_project(tmp_path / "typo", ANOTHER_PORT)
    before = snapshot(project)
    result = envsync("adopt", "--exclude", "backend/.env: DATABASE_URI", cwd=project)
    assert result.returncode == 2
    assert "--exclude backend/.env: DATABASE_URI: no place found there" in result.stderr
    assert snapshot(project) == before


def test_a_url_in_a_file_no_service_loads_on_another_port_is_still_a_note(tmp_path: Path) -> None:
    files = {**ANOTHER_PORT, "tools/.env": ANOTHER_PORT["backend/.env"]}
    files["docker-compose.yml"] = files["docker-compose.yml"].replace(
        "env_file: backend/.env", "environment: {DEBUG: '1'}"
    )
    del files["backend/.env"]
    project = git_project(tmp_path / "tools", files)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    note = f"tools/.env: DATABASE_URL: not managed (it points at localhost:{moved(5432)}"
    assert note in result.stdout


# Places found by where the value goes, not by its name (issue 20, item 4).
UNKNOWN_NAMES = Layout(
    "django-sql-variables",
    {
        ".gitignore": GITIGNORE + ".env.dev\n.env-test\n",
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: django
                  POSTGRES_PASSWORD: ${SQL_PASSWORD:?}
                  POSTGRES_DB: django_dev
                ports: ["5470:5432"]
              web:
                build: .
                env_file: .env.dev
                depends_on: [db]
              worker:
                build: .
                depends_on: [db]
                environment:
                  APP__DB__PASS: ${SQL_PASSWORD}
                  CELERY_BROKER: redis://redis:6379/0
            """,
        ".env": "SQL_PASSWORD=Sql-pw-88\n",
        ".env.dev": """
            SQL_ENGINE=django.db.backends.postgresql
            SQL_DATABASE=django_dev
            SQL_USER=django
            SQL_PASSWORD=Sql-pw-88
            SQL_HOST=db
            SQL_PORT=5432
            """,
        # sourced by `make test`; no compose service loads it
        ".env-test": "DATABASE_URL=postgresql://django:Sql-pw-88@localhost:5470/django_dev\n",
    },
    password="Sql-pw-88",
    places=(
        ".env.dev: SQL_PASSWORD",
        ".env.dev: SQL_USER",
        ".env.dev: SQL_DATABASE",
        "docker-compose.yml: services.worker.environment.APP__DB__PASS",
        ".env-test: DATABASE_URL",
    ),
    not_places=(".env.dev: SQL_ENGINE", ".env.dev: SQL_HOST"),
    storage="local",
)


def test_a_variable_of_any_name_holding_the_password_is_a_place(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(UNKNOWN_NAMES))
    assert dotenv_values(project / ".env.dev")["SQL_PASSWORD"] == NEW_PASSWORD
    assert compose_v2.environment(project, "worker")["APP__DB__PASS"] == NEW_PASSWORD
    assert "${SQL_PASSWORD}" in (project / "docker-compose.yml").read_text()
