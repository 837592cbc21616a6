"""A URL written as a reference stays a reference through `envsync set`: the repair goes to the
variable's definition, or to the default compose uses, never over the reference."""

from __future__ import annotations

from pathlib import Path

from tests.compose_v2 import environment
from tests.conftest import envsync
from tests.git_repo import git

OLD, NEW = "Old-pw-123", "New-pw-456"
COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: ${PG_PASSWORD}
      POSTGRES_DB: app
  api:
    image: python:3.12
    environment:
      DB_URI: ${DB_URI}
      DD_DATABASE_URL: ${DD_DATABASE_URL:-postgresql://app:%s@db:5432/app}
"""
ENV = "PG_PASSWORD=%s\nDB_URI=postgresql+psycopg://app:${PG_PASSWORD}@db:5432/app\n"


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "compose.yaml").write_text(COMPOSE % OLD)
    (root / ".env").write_text(ENV % OLD)
    (root / ".gitignore").write_text(".env\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "init", cwd=root)
    return root


def test_set_repairs_definitions_and_defaults_and_keeps_every_reference(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    adopted = envsync("adopt", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    result = envsync("set", "--files-only", f"db_password={NEW}", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    compose = (project / "compose.yaml").read_text()
    assert "DB_URI: ${DB_URI}\n" in compose
    assert f"${{DD_DATABASE_URL:-postgresql://app:{NEW}@db:5432/app}}" in compose
    assert (project / ".env").read_text() == ENV % NEW
    seen = environment(project, "api")
    assert seen["DB_URI"] == f"postgresql+psycopg://app:{NEW}@db:5432/app"
    assert seen["DD_DATABASE_URL"] == f"postgresql://app:{NEW}@db:5432/app"
    assert environment(project, "db")["POSTGRES_PASSWORD"] == NEW
    assert envsync("check", cwd=project).returncode == 0


def test_a_default_compose_does_not_use_is_left_as_written(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    with (project / ".env").open("a") as handle:
        handle.write("DD_DATABASE_URL=postgresql://app:${PG_PASSWORD}@db:5432/app\n")
    adopted = envsync("adopt", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    result = envsync("set", "--files-only", f"db_password={NEW}", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "compose.yaml").read_text() == COMPOSE % OLD
    assert environment(project, "api")["DD_DATABASE_URL"] == f"postgresql://app:{NEW}@db:5432/app"
