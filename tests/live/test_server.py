"""The embedded PostgreSQL behaves like the official image on a fresh and on a reused volume.

Real servers only (pgserver's binaries): every server started here is stopped by a finalizer.
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from envsync.errors import DatabaseError
from envsync.live import server as live_server
from envsync.live.server import ServerSpec, ServerStatus

HOSTILE_PASSWORD = "p@ss:w/rd%$x#1 '\"\\`"
QUOTED_DATABASE = 'Mixed "Case" db-ü'  # needs a quoted identifier: capitals, quote, dash, non-ASCII
ODD_USER = "App User-ü"  # space, capital, dash and non-ASCII are all fine for initdb


def _connect(spec: ServerSpec, *, password: str | None = None, dbname: str | None = None):
    return psycopg.connect(
        host="127.0.0.1",
        port=spec.port,
        user=spec.user,
        password=spec.password if password is None else password,
        dbname=spec.database if dbname is None else dbname,
        connect_timeout=5,
    )


def _uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


@pytest.fixture(scope="module")
def started() -> Iterator[Callable[[ServerSpec], ServerStatus]]:
    """start() that guarantees a stop() at teardown, whatever the test did."""
    data_dirs: list[Path] = []

    def _start(spec: ServerSpec) -> ServerStatus:
        data_dirs.append(spec.data_dir)
        return live_server.start(spec)

    yield _start
    for data_dir in data_dirs:
        live_server.stop(data_dir)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, started: Callable[[ServerSpec], ServerStatus]
) -> tuple[ServerSpec, ServerStatus]:
    """One fresh cluster shared by the read-only tests (initdb is the slow part)."""
    spec = ServerSpec(
        user=ODD_USER,
        password=HOSTILE_PASSWORD,
        database=QUOTED_DATABASE,
        port=live_server.free_port(),
        data_dir=tmp_path_factory.mktemp("shared") / "nested" / "pgdata",
    )
    assert not live_server.initialised(spec.data_dir)
    return spec, started(spec)


def test_free_port_is_bindable() -> None:
    port = live_server.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_fresh_volume_gets_user_password_database_and_pgvector(
    server: tuple[ServerSpec, ServerStatus],
) -> None:
    spec, _ = server
    assert live_server.initialised(spec.data_dir)
    with _connect(spec) as conn:
        row = conn.execute("SELECT current_user, current_database()").fetchone()
        assert row == (ODD_USER, QUOTED_DATABASE)
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE items (id serial PRIMARY KEY, embedding vector(3))")
        conn.execute(
            "CREATE INDEX items_embedding_idx ON items "
            "USING hnsw (embedding vector_cosine_ops) WITH (m=16, ef_construction=64)"
        )
        conn.execute("INSERT INTO items (embedding) VALUES ('[1,0,0]'), ('[0,1,0]'), ('[0,0,1]')")
        nearest = conn.execute(
            "SELECT id FROM items ORDER BY embedding <=> '[0.1,0.9,0]' LIMIT 1"
        ).fetchone()
        assert nearest == (2,)


def test_tcp_uses_scram_and_refuses_a_wrong_password(
    server: tuple[ServerSpec, ServerStatus],
) -> None:
    spec, _ = server
    with _connect(spec) as conn:
        method = conn.execute("SHOW password_encryption").fetchone()
        assert method == ("scram-sha-256",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(spec, password=HOSTILE_PASSWORD + "x")


def test_status_describes_the_running_server(server: tuple[ServerSpec, ServerStatus]) -> None:
    spec, started_status = server
    current = live_server.status(spec.data_dir)
    assert current == started_status
    assert current.host == "127.0.0.1"
    assert current.port == spec.port
    assert current.data_dir == spec.data_dir.resolve()
    assert (spec.data_dir / "postmaster.pid").is_file()
    if os.geteuid() == 0:
        # postgres refuses root: it runs as the unprivileged system user, which owns the volume
        pg_uid = pwd.getpwnam(live_server.PG_SYSTEM_USER).pw_uid
        assert _uid_of(current.pid) == pg_uid
        assert spec.data_dir.stat().st_uid == pg_uid
    else:
        assert _uid_of(current.pid) == os.geteuid()
    assert (spec.data_dir.stat().st_mode & 0o777) == 0o700


def test_start_on_a_running_server_returns_its_status(
    server: tuple[ServerSpec, ServerStatus],
) -> None:
    spec, started_status = server
    assert live_server.start(spec) == started_status


def test_reused_volume_keeps_its_first_credentials_and_stop_is_idempotent(
    tmp_path: Path, started: Callable[[ServerSpec], ServerStatus]
) -> None:
    first = ServerSpec(
        user="app",
        password="first-Pass:1",
        database="appdb",
        port=live_server.free_port(),
        data_dir=tmp_path / "volume",
    )
    running = started(first)
    socket_dir = Path((first.data_dir / "postmaster.pid").read_text().splitlines()[4].split(",")[0])
    assert len(str(socket_dir)) < 60
    assert socket_dir.is_dir()

    assert live_server.stop(first.data_dir) is True
    assert live_server.status(first.data_dir) is None
    assert not (first.data_dir / "postmaster.pid").exists()
    assert not socket_dir.exists()
    assert live_server.stop(first.data_dir) is False  # stopping twice is fine
    assert live_server.initialised(first.data_dir)

    # Like editing POSTGRES_PASSWORD/POSTGRES_DB in compose without recreating the volume.
    second = ServerSpec(
        user="app",
        password="second-Pass:2",
        database="otherdb",
        port=live_server.free_port(),
        data_dir=first.data_dir,
    )
    restarted = started(second)
    assert restarted.pid != running.pid
    assert restarted.port == second.port
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(second, dbname="appdb")
    with _connect(second, password=first.password, dbname="appdb") as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert "appdb" in names
    assert "otherdb" not in names

    # A crash (or a reboot) leaves a stale postmaster.pid: it must not look like a running server.
    os.kill(restarted.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while live_server.status(first.data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_server.status(first.data_dir) is None
    assert (first.data_dir / "postmaster.pid").exists()
    crashed_socket_dir = Path(
        (first.data_dir / "postmaster.pid").read_text().splitlines()[4].split(",")[0]
    )
    assert live_server.stop(first.data_dir) is False
    recovered = started(first)
    assert not crashed_socket_dir.exists()
    assert recovered.pid != restarted.pid
    with _connect(first) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert live_server.stop(first.data_dir) is True


def test_port_in_use_is_named_and_nothing_is_initialised(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        spec = ServerSpec(
            user="app", password="secret", database="app", port=port, data_dir=tmp_path / "db"
        )
        with pytest.raises(DatabaseError, match=f"port {port} .*already in use"):
            live_server.start(spec)
    assert live_server.status(spec.data_dir) is None
    assert not live_server.initialised(spec.data_dir)


def test_startup_failure_reports_the_server_log(
    tmp_path: Path, started: Callable[[ServerSpec], ServerStatus]
) -> None:
    spec = ServerSpec(
        user="postgres",
        password="secret",
        database="postgres",  # the image creates nothing in that case
        port=live_server.free_port(),
        data_dir=tmp_path / "db",
    )
    started(spec)
    with _connect(spec) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("postgres",)
    assert live_server.stop(spec.data_dir)

    with (spec.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\nthis is = not valid = config\n")
    with pytest.raises(DatabaseError, match="did not start") as caught:
        started(spec)
    message = str(caught.value)
    assert "\n" not in message
    assert "postgresql.conf" in message
    assert "syntax error" in message
    assert live_server.status(spec.data_dir) is None


def test_directory_with_foreign_files_is_never_initialised(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-a-cluster"
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("mine")
    spec = ServerSpec(
        user="app",
        password="secret",
        database="app",
        port=live_server.free_port(),
        data_dir=data_dir,
    )
    with pytest.raises(DatabaseError, match="holds no PostgreSQL cluster"):
        live_server.start(spec)
    assert (data_dir / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": ""}, "password is empty"),
        ({"password": "first\nsecond"}, "newline"),
        ({"user": "pg_app"}, "begins with 'pg_'"),
        ({"user": 'say "hi"'}, "PostgreSQL 16 refuses"),
        ({"user": "cost$"}, "PostgreSQL 16 refuses"),
        ({"database": "é" * 32}, "longer than 63 bytes"),
        ({"port": 0}, "not a TCP port"),
        ({"port": 70000}, "not a TCP port"),
    ],
)
def test_values_the_image_cannot_store_are_refused_before_anything_is_written(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "user": "app",
        "password": "secret",
        "database": "app",
        "port": live_server.free_port(),
        "data_dir": tmp_path / "db",
    }
    fields.update(changes)
    spec = ServerSpec(**fields)  # type: ignore[arg-type]
    with pytest.raises(DatabaseError, match=message):
        live_server.start(spec)
    assert not (tmp_path / "db").exists()
