"""``copier copy`` produces the files, and every consumer reads the same credentials from them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from envsync import answers
from tests import compose_v2
from tests.conftest import PORT, REPO, envsync, snapshot
from tests.git_repo import git
from tests.readers import Credentials, all_credentials, env_url, ini_url

EXPECTED_FILES = {
    ".copier-answers.yml",
    ".gitignore",
    "CLAUDE.md",
    "docker-compose.yml",
    "backend/.env",
    "backend/.env.example",
    "backend/alembic.ini",
    "envsync.toml",
    ".github/workflows/ci.yml",
    "backend/requirements.txt",
    "backend/alembic/env.py",
    "backend/alembic/script.py.mako",
    "backend/alembic/versions/0001_initial.py",
}


def test_defaults_produce_every_file_with_one_set_of_credentials(project: Path) -> None:
    assert set(snapshot(project)) == EXPECTED_FILES
    found = all_credentials(project)
    saved = yaml.safe_load((project / ".copier-answers.yml").read_text())
    expected = Credentials(saved["db_user"], saved["db_password"], saved["db_name"], PORT)
    assert found == dict.fromkeys(found, expected)
    assert make_url(env_url(project)).drivername == "postgresql+asyncpg"
    assert make_url(ini_url(project)).drivername == "postgresql+psycopg"
    assert make_url(env_url(project)).host == "127.0.0.1"


def test_default_password_is_strong_and_new_each_time(make_project) -> None:
    first = yaml.safe_load((make_project("one") / ".copier-answers.yml").read_text())
    second = yaml.safe_load((make_project("two") / ".copier-answers.yml").read_text())
    assert first["db_password"] != second["db_password"]
    assert len(first["db_password"]) >= 32
    assert first["db_password"] != "password"


def test_custom_answers_reach_every_file(make_project) -> None:
    project = make_project(
        project_name="Sparkle",
        db_service="sparkle_db",
        db_user="sparkle_user",
        db_password="p@ss:w/rd%$x#1",
        db_name="sparkle_db",
        db_port=6543,
        backend_dir="api",
        app_driver="psycopg",
        migrations_driver="psycopg2",
        use_pgvector=False,
    )
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"sparkle_db"}
    assert compose["services"]["sparkle_db"]["container_name"] == "sparkle-db"
    expected = Credentials("sparkle_user", "p@ss:w/rd%$x#1", "sparkle_db", 6543)
    from tests.readers import from_alembic_ini, from_claude_md, from_compose, from_env

    assert from_compose(project, "sparkle_db") == expected
    assert from_env(project, "api") == expected
    assert from_alembic_ini(project, "api") == expected
    assert from_claude_md(project) == expected
    assert make_url(env_url(project, "api")).drivername == "postgresql+psycopg"
    assert make_url(ini_url(project, "api")).drivername == "postgresql+psycopg2"
    migration = (project / "api/alembic/versions/0001_initial.py").read_text()
    assert "vector" not in migration


def test_healthcheck_uses_the_same_user_and_database(project: Path) -> None:
    service = yaml.safe_load((project / "docker-compose.yml").read_text())["services"]["db"]
    test = service["healthcheck"]["test"]
    env = service["environment"]
    assert test[:2] == ["CMD", "pg_isready"]
    assert test[test.index("-U") + 1] == env["POSTGRES_USER"]
    assert test[test.index("-d") + 1] == env["POSTGRES_DB"]
    assert service["image"] == "pgvector/pgvector:pg16"
    assert service["volumes"] == ["db-data:/var/lib/postgresql/data"]


def test_example_env_redacts_the_password_and_gitignore_hides_env(project: Path) -> None:
    saved = yaml.safe_load((project / ".copier-answers.yml").read_text())
    example = (project / "backend/.env.example").read_text()
    assert saved["db_password"] not in example
    assert make_url(env_url(project, name=".env.example")).password == "CHANGE_ME"
    assert "backend/.env" in (project / ".gitignore").read_text().splitlines()


def test_claude_md_section_warns_it_is_for_development_only(project: Path) -> None:
    text = (project / "CLAUDE.md").read_text()
    section = text.split("<!-- envsync:begin credentials")[1].split("<!-- envsync:end")[0]
    assert "Development only" in section
    assert "production" in section


def test_pgvector_migration_creates_extension_and_hnsw_index(project: Path) -> None:
    migration = (project / "backend/alembic/versions/0001_initial.py").read_text()
    assert "CREATE EXTENSION IF NOT EXISTS vector" in migration
    assert "USING hnsw (embedding vector_cosine_ops)" in migration


def test_copier_defaults_match_the_engine_defaults() -> None:
    questions = yaml.safe_load((REPO / "copier.yml").read_text())
    for key, default in answers.DEFAULTS.items():
        assert questions[key]["default"] == default, key
    assert set(answers.ANSWER_KEYS) == {k for k in questions if not k.startswith("_")}


def test_copier_refuses_an_invalid_answer_and_writes_nothing(template_src, tmp_path) -> None:
    from tests.conftest import copier_copy

    result = copier_copy(template_src, tmp_path / "bad", db_port=70000)
    assert result.returncode != 0
    assert "db_port must be between 1 and 65535" in result.stderr
    assert not (tmp_path / "bad" / "docker-compose.yml").exists()


def test_the_ci_workflow_follows_the_project_but_keeps_its_own_password(project: Path) -> None:
    """The generated workflow's database is one more copy: its user and database follow the
    project, its password is the map's throwaway ci_db_password, never the development one."""
    assert envsync("set", "db_user=renamed", "db_name=other_db", "db_password=Dev-0nly",
                   cwd=project).returncode == 0  # fmt: skip
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["migrate"]
    service = job["services"]["postgres"]["env"]
    url = make_url(job["env"]["DATABASE_URL"])
    assert (service["POSTGRES_USER"], service["POSTGRES_DB"]) == ("renamed", "other_db")
    assert (url.username, url.database, url.host, url.port) == (
        "renamed",
        "other_db",
        "127.0.0.1",
        5432,
    )
    assert service["POSTGRES_PASSWORD"] == url.password == "ci-only-password"
    assert "Dev-0nly" not in (project / ".github/workflows/ci.yml").read_text()
    assert envsync("set", "ci_db_password=another-ci-pw", cwd=project).returncode == 0
    job = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]["migrate"]
    assert job["services"]["postgres"]["env"]["POSTGRES_PASSWORD"] == "another-ci-pw"
    assert make_url(job["env"]["DATABASE_URL"]).password == "another-ci-pw"
    assert envsync("check", cwd=project).returncode == 0


def test_the_database_is_published_on_this_machine_only(project: Path) -> None:
    """The password sits in tracked files: compose publishes the port on 127.0.0.1, as
    ``adopt --add-port`` does, and a port change keeps the address."""
    (port,) = compose_v2.project_config(project)["services"]["db"]["ports"]
    assert (port["host_ip"], port["published"], port["target"]) == ("127.0.0.1", str(PORT), 5432)
    assert envsync("set", "--files-only", "db_port=6001", cwd=project).returncode == 0
    (port,) = compose_v2.project_config(project)["services"]["db"]["ports"]
    assert (port["host_ip"], port["published"]) == ("127.0.0.1", "6001")


@pytest.mark.parametrize("storage", ["answers", "local"])
def test_gitignore_hides_the_root_env_in_every_mode(make_project, storage: str) -> None:
    """The README invites a root .env (compose reads it); git must not see it, or copier
    update refuses the dirty tree."""
    project = make_project(secret_storage=storage)
    assert git("init", "-q", cwd=project).returncode == 0
    (project / ".env").touch()
    ignored = git("check-ignore", "--no-index", ".env", "backend/.env", cwd=project)
    assert ignored.stdout.split() == [".env", "backend/.env"]
    assert git("check-ignore", "-q", "--no-index", "docs/.env", cwd=project).returncode == 1


def test_descriptions_name_the_map_not_four_fixed_files(project: Path) -> None:
    """The hook, the package and the CLAUDE.md section say what envsync keeps: every place of
    envsync.toml."""
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    package = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    section = (project / "CLAUDE.md").read_text().split("<!-- envsync:end")[0].rsplit("```", 1)[1]
    for text in (hook["description"], package["description"], section):
        assert "envsync.toml" in text, text
    assert "alembic.ini or CLAUDE.md" not in hook["description"]
