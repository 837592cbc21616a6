"""The incident end to end, against a real PostgreSQL 16 + pgvector started from compose."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import yaml

from tests.conftest import alembic, envsync
from tests.readers import connect_to_compose_database, from_compose


def _connect(project: Path) -> psycopg.Connection:
    return connect_to_compose_database(project)


def test_drift_breaks_alembic_and_render_repairs_it(live_project: Path) -> None:
    upgrade = alembic("upgrade", "head", project=live_project)
    assert upgrade.returncode == 0, upgrade.stderr
    with _connect(live_project) as connection:
        assert connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
        index = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_documents_embedding_hnsw'"
        ).fetchone()
    assert index is not None and "hnsw (embedding vector_cosine_ops)" in index[0]

    env = live_project / "backend/.env"
    env.write_text(re.sub(r"//[^@]*@", "//sparkle_user:sparkle_password@", env.read_text()))
    refused = alembic("upgrade", "head", project=live_project)
    assert refused.returncode != 0
    assert "password authentication failed" in refused.stderr

    check = envsync("check", cwd=live_project)
    assert check.returncode == 1
    assert "backend/.env: DATABASE_URL (user)" in check.stdout
    assert "backend/.env: DATABASE_URL (password)" in check.stdout

    assert envsync("render", cwd=live_project).returncode == 0
    current = alembic("current", project=live_project)
    assert current.returncode == 0, current.stderr
    assert "0001 (head)" in current.stdout
    doctor = envsync("doctor", cwd=live_project)
    assert doctor.returncode == 0, doctor.stdout


def test_new_password_meets_the_stale_volume_and_doctor_shows_the_way_out(
    live_project: Path,
) -> None:
    assert alembic("upgrade", "head", project=live_project).returncode == 0
    assert (
        envsync("set", "--files-only", "db_password=a n3w 'pass' w@rd", cwd=live_project).returncode
        == 0
    )
    assert envsync("check", cwd=live_project).returncode == 0
    assert "password authentication failed" in alembic("current", project=live_project).stderr

    doctor = envsync("doctor", cwd=live_project)
    assert doctor.returncode == 1
    assert "the files agree, but the server refuses their password" in doctor.stdout
    assert "volume was initialised with an older password" in doctor.stdout
    assert "a n3w" not in doctor.stdout
    assert "psql -U myproject_user -d postgres -c '\\password \"myproject_user\"'" in doctor.stdout

    shown = envsync("doctor", "--show-secrets", cwd=live_project).stdout
    (embedded_fix,) = [line for line in shown.splitlines() if "# the embedded database (" in line]
    command = embedded_fix.split("    # the embedded database")[0].strip()
    applied = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    assert applied.returncode == 0, applied.stderr
    assert "ALTER ROLE" in applied.stdout
    assert envsync("doctor", cwd=live_project).returncode == 0
    assert alembic("current", project=live_project).returncode == 0


def test_db_up_ignores_changed_compose_values_on_an_initialised_volume(live_project: Path) -> None:
    saved = yaml.safe_load((live_project / ".copier-answers.yml").read_text())
    assert envsync("db", "down", cwd=live_project).stdout.splitlines()[0] == "stopped"
    assert envsync("set", "db_password=changed-later", cwd=live_project).returncode == 0
    restarted = envsync("db", "up", cwd=live_project)
    assert restarted.returncode == 0
    assert "already initialised" in restarted.stdout
    credentials = from_compose(live_project)
    with psycopg.connect(
        host="127.0.0.1",
        port=credentials.port,
        user=saved["db_user"],
        password=saved["db_password"],
        dbname=saved["db_name"],
    ) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    status = envsync("db", "status", cwd=live_project)
    assert status.returncode == 0
    assert f"running on 127.0.0.1:{credentials.port}" in status.stdout
    assert ".envsync/volumes/db" in status.stdout
    assert envsync("db", "down", cwd=live_project).stdout.splitlines()[0] == "stopped"
    assert envsync("db", "status", cwd=live_project).returncode == 1
