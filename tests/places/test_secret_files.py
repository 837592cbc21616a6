"""``POSTGRES_PASSWORD_FILE`` with compose ``secrets:`` (places.md): the password is the secret's
file, whole, or the variable compose takes it from. A place like any other, never a reason to
undo the project's design."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import envsync
from tests.layouts import Layout
from tests.places.test_compose_projects import NEW_PASSWORD, Case, adopt_check_and_set

SECRET_IN_A_FILE = Layout(
    "password-file-secret",
    {
        ".gitignore": ".env\nsecrets/\n",
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: app
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD_FILE: /run/secrets/pg_pw
                secrets: [pg_pw]
                ports: ["5460:5432"]
            secrets:
              pg_pw:
                file: ./secrets/pg_pw.txt
            """,
        "secrets/pg_pw.txt": "File-secret-pw\n",
        ".env": "DATABASE_URL=postgresql://app:File-secret-pw@localhost:5460/app\n",
    },
    password="File-secret-pw",
    places=("secrets/pg_pw.txt: content", ".env: DATABASE_URL"),
    storage="local",
)

SECRET_FROM_THE_ENVIRONMENT = Layout(
    "password-environment-secret",
    {
        ".gitignore": ".env\n*.env\n",
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: app
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD_FILE: /run/secrets/db_password
                secrets:
                  - source: db_password
                    target: db_password
                ports: ["5461:5432"]
            secrets:
              db_password:
                environment: DB_PASSWORD
            """,
        ".env": "DB_PASSWORD=Env-secret-pw\n",
        "backend/.env": "DATABASE_URL=postgresql+psycopg://app:Env-secret-pw@localhost:5461/app\n",
    },
    password="Env-secret-pw",
    places=(".env: DB_PASSWORD", "backend/.env: DATABASE_URL"),
    storage="local",
)


def test_a_password_file_secret_is_a_whole_file_place(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(SECRET_IN_A_FILE))
    # What the image reads (`$(< file)`), and the file's own newline kept.
    assert (project / "secrets/pg_pw.txt").read_text() == f"{NEW_PASSWORD}\n"


def test_an_environment_secret_is_the_variables_definition(tmp_path: Path) -> None:
    adopt_check_and_set(tmp_path, Case(SECRET_FROM_THE_ENVIRONMENT))


def test_a_missing_secret_file_is_created_for_the_owner_only(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(SECRET_IN_A_FILE))
    (project / "secrets/pg_pw.txt").unlink()
    assert envsync("check", cwd=project).returncode == 1
    assert envsync("render", cwd=project).returncode == 0
    created = project / "secrets/pg_pw.txt"
    assert created.read_text() == NEW_PASSWORD
    assert stat.S_IMODE(created.stat().st_mode) == 0o600


SECRET_FILE_ALONE = Layout(
    "only-a-password-file",
    {
        ".gitignore": "secrets/\n",
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_PASSWORD_FILE: /run/secrets/pg
                secrets: [pg]
            secrets:
              pg:
                file: ./secrets/pg.txt
            """,
        "secrets/pg.txt": "Only-file-pw\n",
    },
    password="Only-file-pw",
    places=("secrets/pg.txt: content",),
    storage="local",
)


def test_a_password_file_alone_keeps_the_password_out_of_the_answers(tmp_path: Path) -> None:
    project = adopt_check_and_set(tmp_path, Case(SECRET_FILE_ALONE))
    assert NEW_PASSWORD not in (project / ".copier-answers.yml").read_text()
    assert (project / "secrets/pg.txt").read_text() == f"{NEW_PASSWORD}\n"
