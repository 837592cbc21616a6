"""A password change that reaches the running database first: real servers, real Alembic."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import psycopg
import pytest

from envsync import answers
from envsync.facts import load_answers
from envsync.live import binaries, compose, rotation, server
from envsync.live.server import ServerSpec, free_port
from tests.conftest import alembic, envsync, snapshot
from tests.live.native import native_server
from tests.readers import connect_to_compose_database, from_compose

NEW_PASSWORD = "n3w 'pass' w@rd%$x"


def _connect(project: Path) -> psycopg.Connection:
    return connect_to_compose_database(project, autocommit=True)


def _keep_a_row(project: Path) -> None:
    with _connect(project) as connection:
        connection.execute("CREATE TABLE kept (note text)")
        connection.execute("INSERT INTO kept VALUES ('written before the change')")


def _row_is_kept(project: Path) -> bool:
    with _connect(project) as connection:
        row = connection.execute("SELECT note FROM kept").fetchone()
    return row == ("written before the change",)


def test_set_password_changes_the_embedded_database_then_the_files(live_project: Path) -> None:
    assert alembic("upgrade", "head", project=live_project).returncode == 0
    _keep_a_row(live_project)
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=live_project)
    assert result.returncode == 0, result.stderr
    assert "changed the password of role myproject_user in the embedded database" in result.stdout
    assert NEW_PASSWORD not in result.stdout
    current = alembic("current", project=live_project)
    assert current.returncode == 0, current.stderr
    assert "0001 (head)" in current.stdout
    assert _row_is_kept(live_project)
    assert envsync("check", cwd=live_project).returncode == 0
    assert envsync("doctor", cwd=live_project).returncode == 0


def test_rotate_makes_a_new_password_that_works_at_once(live_project: Path) -> None:
    before = from_compose(live_project).password
    result = envsync("rotate", cwd=live_project)
    assert result.returncode == 0, result.stderr
    after = from_compose(live_project).password
    assert after != before
    assert after not in result.stdout
    assert len(after) == answers.PASSWORD_LENGTH
    assert alembic("upgrade", "head", project=live_project).returncode == 0


def test_renames_and_a_new_port_on_the_embedded_database(live_project: Path) -> None:
    assert alembic("upgrade", "head", project=live_project).returncode == 0
    _keep_a_row(live_project)
    port = free_port()
    result = envsync(
        "set", "db_user=renamed_user", "db_name=renamed_db", f"db_port={port}", cwd=live_project
    )
    assert result.returncode == 0, result.stderr
    assert f"now on 127.0.0.1:{port}" in result.stdout
    assert alembic("current", project=live_project).returncode == 0
    assert _row_is_kept(live_project)
    with _connect(live_project) as connection:
        assert connection.execute("SELECT current_user, current_database()").fetchone() == (
            "renamed_user",
            "renamed_db",
        )
        helpers = connection.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'envsync_rename_%'"
        ).fetchone()
    assert helpers == (0,)
    status = envsync("db", "status", cwd=live_project)
    assert f"running on 127.0.0.1:{port}" in status.stdout


def test_a_server_reached_only_over_tcp_takes_the_password_with_the_old_one(
    project: Path, live_dir: Path
) -> None:
    port = free_port()
    assert envsync("set", "--files-only", f"db_port={port}", cwd=project).returncode == 0
    values = load_answers(project)
    # Not started by envsync (no volume of this project, no envsync socket): only TCP leads to
    # it, and it is this project's because it takes the project's current login.
    spec = ServerSpec(values.db_user, values.db_password, values.db_name, port, live_dir / "tcp")
    with native_server(spec):
        assert alembic("upgrade", "head", project=project).returncode == 0
        _keep_a_row(project)
        result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
        assert result.returncode == 0, result.stderr
        assert "over TCP" in result.stdout
        assert alembic("current", project=project).returncode == 0
        assert _row_is_kept(project)

        refused = envsync("set", "db_user=someone_else", cwd=project)
        assert refused.returncode == 2
        assert "ALTER ROLE" in refused.stderr and "RENAME TO" in refused.stderr
        assert NEW_PASSWORD not in refused.stderr


def test_a_compose_port_that_cannot_be_read_stops_the_change_before_any_server(
    project: Path, live_dir: Path
) -> None:
    port = free_port()
    assert envsync("set", "--files-only", f"db_port={port}", cwd=project).returncode == 0
    values = load_answers(project)
    compose_file = project / "docker-compose.yml"
    # Compose publishes one port of the range: not necessarily the answers' port, which a server
    # that is not this database may hold (here one that even takes the project's login).
    compose_file.write_text(
        compose_file.read_text().replace(f":{port}:5432", f":{port + 1}-{port + 2}:5432")
    )
    before = snapshot(project)
    spec = ServerSpec(values.db_user, values.db_password, values.db_name, port, live_dir / "tcp")
    with native_server(spec):
        result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
        assert result.returncode == 2, result.stdout
        assert result.stderr.startswith("envsync: docker-compose.yml: services.db.ports ")
        assert len(result.stderr.strip().splitlines()) == 1
        assert snapshot(project) == before
        psycopg.connect(
            host="127.0.0.1",
            port=port,
            user=values.db_user,
            password=values.db_password,
            dbname=values.db_name,
        ).close()


def test_another_projects_server_on_the_port_stops_the_change(
    project: Path, another_projects_server: int, live_dir: Path
) -> None:
    before = snapshot(project)
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
    assert result.returncode == 2
    port = another_projects_server
    assert f"another envsync database (data directory {live_dir}" in result.stderr
    assert f"answers on 127.0.0.1:{port}; it is not this project's database" in result.stderr
    assert "nothing written" in result.stderr
    assert snapshot(project) == before


def test_a_server_that_goes_away_before_the_change_leaves_every_file(live_project: Path) -> None:
    status = server.status(live_project / ".envsync/volumes/db")
    assert status is not None and status.socket_dir is not None
    # The postmaster still runs but its local socket is gone: the check passed, the ALTER fails.
    (status.socket_dir / f".s.PGSQL.{status.port}").unlink()
    before = snapshot(live_project)
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=live_project)
    assert result.returncode == 2
    assert result.stderr.startswith("envsync: the embedded database refused a local login")
    assert "nothing was written" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(live_project) == before


def test_no_database_running_writes_the_files_and_says_what_a_volume_keeps(
    project: Path,
) -> None:
    assert envsync("set", "--files-only", f"db_port={free_port()}", cwd=project).returncode == 0
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
    assert result.returncode == 0
    assert "no database of this project runs" in result.stdout
    assert "an existing volume keeps its first password" in result.stdout
    assert from_compose(project).password == NEW_PASSWORD


def test_compose_exec_argv_and_its_sql_against_a_real_server(live_project: Path) -> None:
    old = load_answers(live_project)
    new = dataclasses.replace(old, db_password=NEW_PASSWORD, db_name="moved_db")
    argv = compose.exec_psql_argv("db", old.db_user, rotation.maintenance_database(old))
    assert argv == [
        "docker", "compose", "exec", "-T", "db",
        "psql", "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
        "-U", "myproject_user", "-d", "postgres", "-f", "-",
    ]  # fmt: skip
    script = compose.psql_script(rotation.change_sql(old, new))
    assert script == (
        'ALTER DATABASE "myproject" RENAME TO "moved_db";\n'
        "ALTER ROLE \"myproject_user\" WITH PASSWORD 'n3w ''pass'' w@rd%$x';\n"
    )
    # The same psql command line, pointed at the embedded server's socket instead of the
    # container's: only the binary and the socket differ.
    status = server.status(live_project / ".envsync/volumes/db")
    assert status is not None and status.socket_dir is not None
    psql = [str(binaries.psql_binary()), "-h", str(status.socket_dir), "-p", str(status.port)]
    ran = subprocess.run(
        [*psql, *argv[argv.index("psql") + 1 :]],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    with psycopg.connect(
        host="127.0.0.1",
        port=status.port,
        user=new.db_user,
        password=NEW_PASSWORD,
        dbname="moved_db",
    ) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == ("moved_db",)


@pytest.mark.parametrize("changed", [False, True])
def test_db_up_warns_about_unapplied_values_only_when_they_changed(
    live_project: Path, changed: bool
) -> None:
    assert envsync("db", "down", cwd=live_project).stdout.splitlines()[0] == "stopped"
    if changed:
        assert envsync("set", "db_password=changed-later", cwd=live_project).returncode == 0
    restarted = envsync("db", "up", cwd=live_project)
    assert restarted.returncode == 0
    assert ("already initialised" in restarted.stdout) is changed
