"""``envsync doctor`` on each way a database refuses, against a real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from envsync.live import compose
from envsync.live.server import free_port
from tests.conftest import alembic, envsync


def _report(project: Path) -> tuple[int, dict[str, str]]:
    """Exit code and {check name: '[status] message'} from doctor's output."""
    result = envsync("doctor", cwd=project)
    lines = {}
    for line in result.stdout.splitlines():
        match = re.match(r"\[(ok|problem|skipped)\] ([^:]+): (.*)", line)
        if match:
            lines[match[2]] = f"[{match[1]}] {match[3]}"
    return result.returncode, lines


def test_healthy_project(live_project: Path) -> None:
    assert alembic("upgrade", "head", project=live_project).returncode == 0
    code, report = _report(live_project)
    assert code == 0
    assert report["authentication"].startswith("[ok]")
    assert report["pgvector"].startswith("[ok] vector ")
    assert report["alembic"] == "[ok] at head (0001)"
    assert report["container environment"].startswith("[skipped]")


def test_server_down(make_project: Callable[..., Path]) -> None:
    port = free_port()
    code, report = _report(make_project("down", db_port=port))
    assert code == 1
    assert report["server reachable"].startswith(f"[problem] nothing answers on 127.0.0.1:{port}")
    assert "`docker compose up -d db` or `envsync db up`" in report["server reachable"]
    assert "authentication" not in report


def test_wrong_credentials_in_one_file(live_project: Path) -> None:
    env = live_project / "backend/.env"
    env.write_text(re.sub(r"(//[^:]*:)[^@]*@", r"\1wrong@", env.read_text()))
    code, report = _report(live_project)
    assert code == 1
    assert report["files agree"].startswith("[problem] 1 value(s) drifted")
    assert "backend/.env: DATABASE_URL (password)" in report["files agree"]
    assert "password authentication failed for user myproject_user" in report["authentication"]
    assert "the files disagree" in report["authentication"]


def test_missing_database(live_project: Path) -> None:
    assert envsync("set", "--files-only", "db_name=reports", cwd=live_project).returncode == 0
    code, report = _report(live_project)
    assert code == 1
    assert report["files agree"].startswith("[ok]")
    assert "database reports does not exist on the server" in report["authentication"]
    result = envsync("doctor", cwd=live_project).stdout
    assert "CREATE DATABASE" in result and "reports" in result


def test_missing_extension_and_no_migration_yet(live_project: Path) -> None:
    code, report = _report(live_project)
    assert code == 1
    assert report["authentication"].startswith("[ok]")
    assert report["pgvector"].startswith("[problem] the vector extension is not installed")
    assert report["alembic"] == (
        "[problem] the database is at no revision, head is 0001: "
        "run `cd backend && alembic upgrade head`"
    )


def test_behind_head(live_project: Path) -> None:
    assert alembic("upgrade", "head", project=live_project).returncode == 0
    revision = alembic("revision", "-m", "add tags", "--rev-id", "0002", project=live_project)
    assert revision.returncode == 0, revision.stderr
    code, report = _report(live_project)
    assert code == 1
    assert report["pgvector"].startswith("[ok]")
    assert report["alembic"].startswith("[problem] the database is at 0001, head is 0002")


def test_without_docker_on_path_says_so_and_goes_on(
    live_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    _, report = _report(live_project)
    assert report["container environment"] == (
        "[skipped] docker is not on PATH: container not inspected"
    )
    assert report["authentication"].startswith("[ok]")


def test_bad_input_exits_2(project: Path) -> None:
    (project / "backend/.env").unlink()
    result = envsync("doctor", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "envsync: backend/.env: not found; run `envsync render` to create it"
    )


def test_another_projects_server_on_the_port_is_named_and_the_volume_not_blamed(
    project: Path, another_projects_server: int
) -> None:
    port = another_projects_server
    code, report = _report(project)
    output = envsync("doctor", cwd=project).stdout
    assert code == 1
    assert report["server reachable"] == f"[ok] a server answers on 127.0.0.1:{port}"
    assert report["authentication"].startswith(
        f"[problem] another server answers on 127.0.0.1:{port}; "
        "this project's database is not running"
    )
    assert "volume" not in output and "DESTROYS" not in output


def test_missing_role_is_told_apart_from_a_wrong_password(live_project: Path) -> None:
    assert envsync("set", "--files-only", "db_user=ghost_user", cwd=live_project).returncode == 0
    code, report = _report(live_project)
    assert code == 1
    assert report["server reachable"].startswith("[ok] this project's embedded database")
    assert report["authentication"].startswith(
        "[problem] role ghost_user does not exist on this project's embedded database"
    )


def test_relative_script_location_is_resolved_from_the_ini(live_project: Path) -> None:
    assert alembic("upgrade", "head", project=live_project).returncode == 0
    ini = live_project / "backend/alembic.ini"
    ini.write_text(
        ini.read_text().replace("script_location = %(here)s/alembic", "script_location = alembic")
    )
    assert alembic("current", project=live_project).returncode == 0  # Alembic itself agrees
    code, report = _report(live_project)
    assert report["alembic"] == "[ok] at head (0001)"
    assert code == 0

    ini.write_text(ini.read_text().replace("script_location = alembic", "script_location = gone"))
    result = envsync("doctor", cwd=live_project)
    assert "Traceback" not in result.stdout + result.stderr
    _, report = _report(live_project)
    assert report["alembic"].startswith("[problem] alembic cannot read backend/alembic.ini: ")
    assert "gone" in report["alembic"]


def test_pgvector_advice_follows_what_the_migrations_do(live_project: Path) -> None:
    _, report = _report(live_project)
    assert "alembic upgrade head` (a migration creates it)" in report["pgvector"]
    (migration,) = (live_project / "backend/alembic/versions").glob("0001_*.py")
    migration.write_text(
        migration.read_text().replace('op.execute("CREATE EXTENSION IF NOT EXISTS vector")', "")
    )
    _, report = _report(live_project)
    assert "no migration creates it" in report["pgvector"]
    assert "alembic upgrade head" not in report["pgvector"]


def test_no_docker_engine_is_one_short_line(
    live_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The docker CLI pointed at a socket nothing serves: no engine, whatever runs on this machine.
    # Where the CLI itself is missing (a fresh CI machine before docker-postgres's setup has
    # installed it), that is the line instead: each machine proves the case it has.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{live_project}/no-engine.sock")
    _, report = _report(live_project)
    if compose.engine_problem() == "docker is not on PATH":
        expected = "[skipped] docker is not on PATH: container not inspected"
    else:
        expected = "[skipped] no Docker engine"
    assert report["container environment"] == expected
