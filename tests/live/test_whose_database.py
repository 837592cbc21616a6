"""Only this project's database is changed, and only after it is identified as this project's."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from envsync.live import driver
from envsync.live.server import ServerSpec, free_port
from tests.conftest import alembic, envsync, snapshot
from tests.live.native import native_server
from tests.readers import from_compose

NEW_PASSWORD = "n3w-Secret-9"


def test_quickstart_step_3_way_out_moves_the_project_past_a_foreign_server(
    make_project: Callable[..., Path], live_dir: Path
) -> None:
    port = free_port()
    project = make_project("taken", db_port=port)
    with native_server(ServerSpec("laptop", "native-secret", "laptop", port, live_dir / "native")):
        refused = envsync("db", "up", cwd=project)
        assert refused.returncode == 2
        assert f"port {port} on 127.0.0.1 is already in use" in refused.stderr
        way_out = f"envsync set db_port={port + 1}"
        assert way_out in refused.stderr

        moved = envsync(*way_out.split()[1:], cwd=project)
        assert moved.returncode == 0, moved.stderr
        assert "not this project's database: only the files change" in moved.stdout
        assert from_compose(project).port == port + 1
        native = driver.Login("127.0.0.1", port, "laptop", "laptop", "native-secret")
        assert driver.logs_in(native)  # the foreign server was left as it was


def test_a_foreign_server_on_the_port_is_named_and_left_alone(
    project: Path, live_dir: Path
) -> None:
    port = free_port()
    assert envsync("set", "--files-only", f"db_port={port}", cwd=project).returncode == 0
    before = snapshot(project)
    with native_server(ServerSpec("laptop", "native-secret", "laptop", port, live_dir / "native")):
        result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
        assert result.returncode == 2
        assert f"a server answers on 127.0.0.1:{port} but refuses the current login" in (
            result.stderr
        )
        assert "--files-only" in result.stderr and f"db_port={port + 1}" in result.stderr
        assert snapshot(project) == before


def test_a_second_checkout_never_changes_the_first_checkouts_server(
    live_project: Path, live_dir: Path
) -> None:
    """Two checkouts, one port: the second one's set must not reach the first one's server."""
    second = Path(
        shutil.copytree(
            live_project, live_dir / "second", ignore=shutil.ignore_patterns(".envsync")
        )
    )
    old = from_compose(live_project)
    before = snapshot(second)
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=second)
    assert result.returncode == 2
    assert "another envsync database (data directory" in result.stderr
    assert str(live_project / ".envsync/volumes/db") in result.stderr
    assert snapshot(second) == before
    first = driver.Login("127.0.0.1", old.port, old.user, old.database, old.password)
    assert driver.logs_in(first)


def test_set_makes_the_database_agree_when_the_files_already_do(live_project: Path) -> None:
    changed = envsync("set", "--files-only", f"db_password={NEW_PASSWORD}", cwd=live_project)
    assert changed.returncode == 0
    assert alembic("upgrade", "head", project=live_project).returncode != 0  # the volume's trap

    again = envsync("set", f"db_password={NEW_PASSWORD}", cwd=live_project)
    assert again.returncode == 0, again.stderr
    assert "changed the password of role myproject_user in the embedded database" in again.stdout
    assert alembic("upgrade", "head", project=live_project).returncode == 0

    quiet = envsync("set", f"db_password={NEW_PASSWORD}", cwd=live_project)
    assert quiet.returncode == 0
    assert "changed" not in quiet.stdout
