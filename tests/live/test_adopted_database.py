"""The live commands on an adopted project: they read the map, not the template's file names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from envsync.live import driver
from envsync.live.server import free_port
from tests.conftest import envsync
from tests.git_repo import git
from tests.layouts import git_project

PASSWORD = "Adopted-Pass-7"


@pytest.fixture
def adopted(live_dir: Path) -> Iterator[Path]:
    """``compose.yaml`` with a service named ``postgres`` whose password comes from the root
    ``.env``, an app reading ``src/.env``; adopted, then its database stopped after the test."""
    port = free_port()
    project = git_project(
        live_dir / "adopted",
        {
            ".gitignore": ".env\nsrc/.env\n",
            "compose.yaml": f"""
                services:
                  postgres:
                    image: pgvector/pgvector:pg16
                    environment:
                      POSTGRES_USER: shop
                      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}
                      POSTGRES_DB: shop_dev
                    ports:
                      - "127.0.0.1:{port}:5432"
                """,
            ".env": f"POSTGRES_PASSWORD={PASSWORD}\n",
            "src/.env": f"DATABASE_URL=postgresql://shop:{PASSWORD}@127.0.0.1:{port}/shop_dev\n",
        },
    )
    adopted = envsync("adopt", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    try:
        yield project
    finally:
        envsync("db", "down", cwd=project)


def test_db_up_runs_the_adopted_service_and_git_ignores_its_volume(adopted: Path) -> None:
    started = envsync("db", "up", cwd=adopted)
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("database postgres listening on 127.0.0.1:")
    port = int(started.stdout.split("127.0.0.1:")[1].split()[0])
    assert driver.logs_in(driver.Login("127.0.0.1", port, "shop", "shop_dev", PASSWORD))

    assert (
        git("status", "--porcelain", "--untracked-files=all", cwd=adopted).stdout.count(".envsync")
        == 0
    )
    assert git("add", "-A", "--dry-run", cwd=adopted).stdout.count(".envsync") == 0

    status = envsync("db", "status", cwd=adopted)
    assert status.returncode == 0
    assert f"running on 127.0.0.1:{port}, data directory .envsync/volumes/postgres" in status.stdout

    doctor = envsync("doctor", cwd=adopted)
    assert "[ok] files agree" in doctor.stdout
    assert "[ok] server reachable: this project's embedded database" in doctor.stdout
    assert "[ok] authentication: user shop logs in to database shop_dev" in doctor.stdout

    assert envsync("db", "down", cwd=adopted).stdout.splitlines()[0] == "stopped"
    assert envsync("db", "status", cwd=adopted).returncode == 1


def test_doctor_names_the_apps_url_place_when_its_file_is_gone(adopted: Path) -> None:
    (adopted / "src/.env").unlink()
    result = envsync("doctor", cwd=adopted)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "envsync: src/.env: not found; run `envsync render` to create it"
    )
