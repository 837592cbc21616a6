"""``envsync doctor`` on each way a database refuses, against a real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

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
