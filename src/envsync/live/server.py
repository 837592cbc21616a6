"""A PostgreSQL 16 + pgvector server without Docker, started the way the official image starts it.

``envsync db up`` (for users without Docker) and the tests need a real database that behaves
like the ``db`` service of the generated ``docker-compose.yml``. The ``pgserver`` wheel ships
PostgreSQL 16 and pgvector as plain binaries; this module drives those binaries directly
(``initdb``, ``pg_ctl``, ``psql``, ``pg_isready``) and reproduces what ``docker-entrypoint.sh``
does for a volume:

* an empty data directory is initialised once with ``POSTGRES_USER``/``POSTGRES_PASSWORD``
  (``scram-sha-256`` over TCP, ``trust`` on the private unix socket), then ``POSTGRES_DB`` is
  created by a temporary socket-only server;
* a data directory that already holds a cluster is started as is: changed credentials are *not*
  applied, exactly like a compose volume that "keeps the first password it saw". That stale-volume
  behaviour is the incident envsync exists to explain, so it is reproduced rather than "fixed".

The real server listens on ``127.0.0.1`` only (never ``localhost``: a native server answering on
``::1`` is a classic source of a confusing "password authentication failed").

Running as root: see :mod:`envsync.live.run_as` (who runs the binaries) and
:mod:`envsync.live.binaries` (a copy of them that user can read).

Unix sockets go to a short private directory under ``/tmp`` (``envsync-pg-XXXXXXXX``) because
socket paths are limited to 107 bytes and data directories under pytest's tmp_path easily exceed
that. The directory is removed when the server is stopped through :func:`stop`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from envsync.answers import INITDB_REFUSED, MAX_IDENTIFIER_BYTES
from envsync.errors import DatabaseError
from envsync.live.binaries import server_bin_dir
from envsync.live.run_as import (
    PG_SYSTEM_USER,
    STARTUP_TIMEOUT,
    RunAs,
    fix_ownership,
    grant_traversal,
    one_line,
    run,
    server_identity,
)
from envsync.sql_text import identifier, literal

__all__ = [
    "PG_SYSTEM_USER",
    "STARTUP_TIMEOUT",
    "ServerSpec",
    "ServerStatus",
    "check_port_free",
    "free_port",
    "initialised",
    "start",
    "status",
    "stop",
]

#: Name of the server log, kept inside the data directory so it is owned by the server's user.
LOG_NAME = "envsync-postgres.log"

_SOCKET_PREFIX = "envsync-pg-"
_MAX_SOCKET_PATH = 107  # sizeof(sun_path) - 1 on Linux


@dataclass(frozen=True)
class ServerSpec:
    """What the compose ``db`` service declares: its ``POSTGRES_*`` values, host port and volume."""

    user: str
    password: str
    database: str
    port: int
    data_dir: Path


@dataclass(frozen=True)
class ServerStatus:
    """A running server, as recorded in its ``postmaster.pid``.

    ``host`` is the TCP listen address, or the unix socket directory when the server listens on
    sockets only (libpq accepts either as ``host``).
    """

    pid: int
    host: str
    port: int
    data_dir: Path
    socket_dir: Path | None = None


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now, so tests never collide with a real 5432."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def initialised(data_dir: Path) -> bool:
    """Whether the directory already holds a cluster, i.e. whether ``POSTGRES_*`` would be ignored.

    Same test as the image's entrypoint: a non-empty ``PG_VERSION`` file.
    """
    version = Path(data_dir) / "PG_VERSION"
    try:
        return version.is_file() and version.stat().st_size > 0
    except PermissionError as exc:
        raise DatabaseError(
            f"cannot read the database directory {data_dir}: permission denied; "
            "run envsync as the user that owns it (or as root)"
        ) from exc


def status(data_dir: Path) -> ServerStatus | None:
    """The server running on ``data_dir``, or ``None``; a stale ``postmaster.pid`` counts as none.

    Read from ``postmaster.pid`` rather than by connecting, so it needs no credentials and also
    sees a server that is still starting or shutting down.
    """
    pid_file = Path(data_dir) / "postmaster.pid"
    try:
        lines = pid_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except PermissionError as exc:
        raise DatabaseError(
            f"cannot read {pid_file}: permission denied; "
            "run envsync as the user that owns the database directory (or as root)"
        ) from exc
    # Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
    if len(lines) < 4:
        return None  # being written right now, or truncated by a crash
    try:
        pid = int(lines[0].strip())
        port = int(lines[3].strip())
    except ValueError:
        return None
    if _process_state(pid) != "running":
        return None
    socket_dir = lines[4].strip() if len(lines) > 4 else ""
    listen = lines[5].strip() if len(lines) > 5 else ""
    host = listen or socket_dir.split(",")[0].strip()
    recorded_dir = lines[1].strip() or str(data_dir)
    return ServerStatus(
        pid=pid,
        host=host,
        port=port,
        data_dir=Path(recorded_dir),
        socket_dir=Path(socket_dir.split(",")[0].strip()) if socket_dir else None,
    )


def start(spec: ServerSpec) -> ServerStatus:
    """Bring up the server the compose file describes, initialising a fresh volume first.

    Idempotent: a server already running on ``spec.data_dir`` is left alone and its status is
    returned (its port may differ from ``spec.port``: compare if that matters). On an initialised
    directory the credentials in ``spec`` are deliberately ignored, as the image does.
    """
    _validate(spec)
    data_dir = _absolute(spec.data_dir)
    run_as = server_identity(data_dir)
    bin_dir = server_bin_dir(run_as)
    current = status(data_dir)
    if current is not None:
        return current
    _check_data_dir_usable(data_dir)
    check_port_free(spec.port)

    _make_data_dir(data_dir, run_as)
    with _locked(data_dir):
        current = status(data_dir)  # another process may have won the race for the lock
        if current is not None:
            return current
        if not initialised(data_dir):
            _initialise(spec, data_dir, bin_dir, run_as)
        fix_ownership(data_dir, run_as)
        return _start_server(data_dir, spec.port, bin_dir, run_as)


def stop(data_dir: Path) -> bool:
    """Stop the server on ``data_dir`` with a fast shutdown; ``False`` if none was running.

    Fast (not smart) shutdown because callers are tests and CLI sessions that must not hang on
    an idle client connection. Safe to call any number of times.
    """
    data_dir = _absolute(data_dir)
    current = status(data_dir)
    if current is None:
        _clean_after_crash(data_dir)
        return False
    run_as = server_identity(data_dir)
    grant_traversal(data_dir, run_as)  # pytest resets /tmp/pytest-of-root to 0700 each session
    socket_dir = _socket_dir_of(data_dir)
    _pg_ctl_stop(data_dir, server_bin_dir(run_as), run_as)
    _remove_socket_dir(socket_dir)
    return True


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _validate(spec: ServerSpec) -> None:
    """Refuse values the image would reject or silently mangle, before anything is written."""
    if isinstance(spec.port, bool) or not isinstance(spec.port, int) or not 1 <= spec.port <= 65535:
        raise DatabaseError(f"port {spec.port!r} is not a TCP port; use a number from 1 to 65535")
    for label, value in (("user", spec.user), ("database", spec.database)):
        if not value:
            raise DatabaseError(f"the database {label} name is empty; set a non-empty name")
        if "\x00" in value:
            raise DatabaseError(f"the database {label} name contains a NUL character; remove it")
        if len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
            raise DatabaseError(
                f"the database {label} name {value!r} is longer than {MAX_IDENTIFIER_BYTES} bytes "
                "and PostgreSQL would truncate it; choose a shorter name"
            )
    bad = sorted({ch for ch in spec.user if ch in INITDB_REFUSED})
    if bad:
        # initdb 16 bootstraps extensions owned by this role and refuses these characters (and
        # writes ALTER USER "<name>" without doubling quotes), so the postgres image fails on
        # such a POSTGRES_USER too: say so up front instead of showing a bootstrap SQL error.
        raise DatabaseError(
            f"the database user name {spec.user!r} contains {' '.join(bad)}, which PostgreSQL 16 "
            "refuses for the superuser created by initdb (the postgres image fails too); "
            "choose a name without \" $ ' \\"
        )
    if spec.user.startswith("pg_"):
        raise DatabaseError(
            f"the database user name {spec.user!r} begins with 'pg_', which PostgreSQL reserves; "
            "choose another name"
        )
    if not spec.password:
        raise DatabaseError(
            "the database password is empty and the postgres image refuses to initialise without "
            "one; set a password"
        )
    if any(ch in spec.password for ch in "\x00\r\n"):
        raise DatabaseError(
            "the database password contains a NUL, carriage return or newline, which initdb "
            "cannot store (it keeps only the first line); choose a password without them"
        )


def check_port_free(port: int) -> None:
    """Fail before initdb rather than after, naming the port, when something already listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option as the postmaster, so a lingering TIME_WAIT socket is not a false alarm.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise DatabaseError(_port_in_use_message(port)) from exc
            if exc.errno == errno.EACCES:
                raise DatabaseError(
                    f"port {port} on 127.0.0.1 needs privileges to bind; choose a port above 1023"
                ) from exc
            raise DatabaseError(f"cannot bind 127.0.0.1:{port}: {exc.strerror}") from exc


def _port_in_use_message(port: int) -> str:
    move = f"or move this project: `envsync set db_port={port + 1 if port < 65535 else port - 1}`"
    # Another envsync server's socket lock file, in its private directory, names its data
    # directory on the second line (the postmaster.pid layout).
    for lock in sorted(Path("/tmp").glob(f"{_SOCKET_PREFIX}*/.s.PGSQL.{port}.lock")):
        with contextlib.suppress(OSError, IndexError):
            data_dir = lock.read_text(errors="replace").splitlines()[1]
            return (
                f"port {port} on 127.0.0.1 is already in use by another envsync database (data "
                f"directory {data_dir}); stop it with `envsync db down` in its project, {move}"
            )
    return (
        f"port {port} on 127.0.0.1 is already in use by another program (another PostgreSQL or a "
        f"docker container?); stop it, {move}"
    )


def _check_data_dir_usable(data_dir: Path) -> None:
    """A non-empty directory without a cluster is someone else's data: never initdb over it."""
    if data_dir.exists() and not data_dir.is_dir():
        raise DatabaseError(f"{data_dir} is a file, not a database directory; remove it or move it")
    if data_dir.is_dir() and not initialised(data_dir):
        try:
            entries = [p.name for p in data_dir.iterdir() if p.name != "lost+found"]
        except PermissionError as exc:
            raise DatabaseError(
                f"cannot read the database directory {data_dir}: permission denied; "
                "run envsync as the user that owns it (or as root)"
            ) from exc
        if entries:
            raise DatabaseError(
                f"{data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                "empty it or point the database volume at another directory"
            )


# --------------------------------------------------------------------------------------------
# binaries, identities and permissions
# --------------------------------------------------------------------------------------------


def _make_data_dir(data_dir: Path, run_as: RunAs) -> None:
    """Create the volume directory like the image does (owned by the server's user, 0700)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the database directory {data_dir}: {exc.strerror}; "
            "check the permissions of its parent"
        ) from exc
    if run_as.uid is not None:
        grant_traversal(data_dir, run_as)
        if data_dir.stat().st_uid != run_as.uid:
            os.chown(data_dir, run_as.uid, run_as.gid if run_as.gid is not None else -1)
    with contextlib.suppress(OSError):
        os.chmod(data_dir, 0o700)


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Serialise concurrent start() calls on one directory (pytest-xdist, two terminals).

    The lock is an flock on the directory itself, so no extra file appears in the project.
    """
    fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# running the binaries
# --------------------------------------------------------------------------------------------


def _log_tail(data_dir: Path) -> str:
    try:
        text = (data_dir / LOG_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "no server log"
    return one_line(text)


def _private_dir(run_as: RunAs) -> Path:
    """A short 0700 directory of the server's user under /tmp, for sockets and the pwfile.

    Short because data dirs are often too deep for a 107-byte unix socket path.
    """
    base = "/tmp" if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK) else tempfile.gettempdir()
    path = Path(tempfile.mkdtemp(prefix=_SOCKET_PREFIX, dir=base))
    if len(str(path / ".s.PGSQL.65535.lock")) > _MAX_SOCKET_PATH:
        path.rmdir()
        raise DatabaseError(
            f"the temporary directory {base} has too long a path for unix sockets; "
            "set TMPDIR to a short directory such as /tmp"
        )
    if run_as.uid is not None:
        os.chown(path, run_as.uid, run_as.gid if run_as.gid is not None else -1)
    return path


def _socket_dir_of(data_dir: Path) -> Path | None:
    try:
        lines = (data_dir / "postmaster.pid").read_text(errors="replace").splitlines()
    except OSError:
        return None
    if len(lines) > 4 and lines[4].strip():
        return Path(lines[4].split(",")[0].strip())
    return None


def _remove_socket_dir(path: Path | None, *, stale: bool = False) -> None:
    """Remove a socket directory we created; never touch one configured by someone else.

    A clean shutdown removes the socket and its lock file; after a crash they stay behind
    (``stale``) and are removed here, since the directory is private to that one server.
    """
    if path is None or not path.name.startswith(_SOCKET_PREFIX):
        return
    if str(path.parent) not in {"/tmp", tempfile.gettempdir()}:
        return
    if stale:
        with contextlib.suppress(OSError):
            for entry in path.iterdir():
                if entry.name.startswith(".s.PGSQL."):
                    entry.unlink()
    with contextlib.suppress(OSError):
        path.rmdir()


def _clean_after_crash(data_dir: Path) -> None:
    """Drop the socket directory of a postmaster that died without shutting down."""
    pid = _recorded_pid(data_dir)
    if pid is not None and _process_state(pid) == "gone":
        _remove_socket_dir(_socket_dir_of(data_dir), stale=True)


def _server_options(port: int, listen: str, socket_dir: Path) -> str:
    """The ``pg_ctl -o`` string; pg_ctl hands it to /bin/sh, hence the quoting."""
    args = [
        "-p", str(port),
        "-c", f"listen_addresses={listen}",
        "-c", f"unix_socket_directories={socket_dir}",
    ]  # fmt: skip
    return " ".join(shlex.quote(arg) for arg in args)


def _pg_ctl_start(
    data_dir: Path, port: int, listen: str, socket_dir: Path, bin_dir: Path, run_as: RunAs
) -> subprocess.CompletedProcess[str]:
    # -l is essential: without it the postmaster would inherit our capture pipes and
    # subprocess.run would wait for the server to exit.
    return run(
        [
            str(bin_dir / "pg_ctl"), "start", "-D", str(data_dir), "-w",
            "-t", str(int(STARTUP_TIMEOUT)), "-l", str(data_dir / LOG_NAME),
            "-o", _server_options(port, listen, socket_dir),
        ],
        run_as,
        check=False,
    )  # fmt: skip


def _pg_ctl_stop(data_dir: Path, bin_dir: Path, run_as: RunAs, mode: str = "fast") -> None:
    result = run(
        [
            str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", mode,
            "-w", "-t", str(int(STARTUP_TIMEOUT)),
        ],
        run_as,
        check=False,
    )  # fmt: skip
    if result.returncode != 0 and status(data_dir) is not None:
        raise DatabaseError(
            f"the database server on {data_dir} did not stop: "
            f"{one_line(result.stderr or result.stdout)}; see {data_dir / LOG_NAME}"
        )


def _start_failure(data_dir: Path, port: int, result: subprocess.CompletedProcess[str]) -> str:
    log = _log_tail(data_dir)
    if "Address already in use" in log or "could not create any TCP/IP sockets" in log:
        return _port_in_use_message(port)
    pg_ctl_said = one_line(result.stderr or result.stdout, 2)
    if "did not start in time" in pg_ctl_said:
        what = f"did not start within {STARTUP_TIMEOUT:.0f} s"
    else:
        what = "did not start"
    return (
        f"the database server on {data_dir} {what} ({pg_ctl_said}); "
        f"fix the cause shown in the last lines of {data_dir / LOG_NAME}: {log}"
    )


# --------------------------------------------------------------------------------------------
# initialisation (docker-entrypoint.sh, first run) and start
# --------------------------------------------------------------------------------------------


def _initialise(spec: ServerSpec, data_dir: Path, bin_dir: Path, run_as: RunAs) -> None:
    """initdb + create POSTGRES_DB; on failure the directory is emptied again so that the next
    start retries from scratch instead of silently skipping initialisation (as a half-done
    volume would)."""
    try:
        _initdb(spec, data_dir, bin_dir, run_as)
        _append_hba(data_dir)
        if spec.database != "postgres":
            _create_database(spec, data_dir, bin_dir, run_as)
    except BaseException:
        _empty_directory(data_dir)
        raise


def _initdb(spec: ServerSpec, data_dir: Path, bin_dir: Path, run_as: RunAs) -> None:
    pw_dir = _private_dir(run_as)  # private 0700 directory owned by the server's user
    pwfile = pw_dir / "pwfile"
    try:
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(spec.password + "\n")
        if run_as.uid is not None:
            os.chown(pwfile, run_as.uid, run_as.gid if run_as.gid is not None else -1)
        result = run(
            [
                str(bin_dir / "initdb"), "-D", str(data_dir),
                f"--username={spec.user}", f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256", "--auth-local=trust",
                "--encoding=UTF8", "--locale=C",
            ],
            run_as,
            check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(pw_dir, ignore_errors=True)
    if result.returncode != 0:
        raise DatabaseError(
            f"initdb failed for {data_dir} (exit {result.returncode}): "
            f"{one_line(result.stderr or result.stdout)}"
        )


def _append_hba(data_dir: Path) -> None:
    """The image appends ``host all all all scram-sha-256``; mirror it so pg_hba.conf matches."""
    with (data_dir / "pg_hba.conf").open("a", encoding="utf-8") as handle:
        handle.write("\nhost all all all scram-sha-256\n")


def _create_database(spec: ServerSpec, data_dir: Path, bin_dir: Path, run_as: RunAs) -> None:
    """Create POSTGRES_DB through a temporary server reachable only over its unix socket."""
    socket_dir = _private_dir(run_as)
    try:
        result = _pg_ctl_start(data_dir, spec.port, "", socket_dir, bin_dir, run_as)
        if result.returncode != 0:
            with contextlib.suppress(DatabaseError):
                _pg_ctl_stop(data_dir, bin_dir, run_as, mode="immediate")
            raise DatabaseError(
                "the temporary server used to create the database did not start; last lines of "
                f"{data_dir / LOG_NAME}: {_log_tail(data_dir)}"
            )
        try:
            psql = [
                str(bin_dir / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A",
                "-h", str(socket_dir), "-p", str(spec.port), "-U", spec.user, "-d", "postgres",
            ]  # fmt: skip
            query = f"SELECT 1 FROM pg_database WHERE datname = {literal(spec.database)}"
            exists = run([*psql, "-c", query], run_as)
            if exists.stdout.strip() != "1":
                run([*psql, "-c", f"CREATE DATABASE {identifier(spec.database)}"], run_as)
        finally:
            _pg_ctl_stop(data_dir, bin_dir, run_as)
    finally:
        _remove_socket_dir(socket_dir)


def _empty_directory(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        for child in data_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    child.unlink()


def _start_server(data_dir: Path, port: int, bin_dir: Path, run_as: RunAs) -> ServerStatus:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    _wait_for_dead_postmaster(data_dir, deadline)
    _clean_after_crash(data_dir)
    socket_dir = _private_dir(run_as)
    result = _pg_ctl_start(data_dir, port, "127.0.0.1", socket_dir, bin_dir, run_as)
    if result.returncode != 0:
        message = _start_failure(data_dir, port, result)
        with contextlib.suppress(DatabaseError):
            _pg_ctl_stop(data_dir, bin_dir, run_as, mode="immediate")
        _remove_socket_dir(socket_dir)
        raise DatabaseError(message)
    # pg_ctl -w waits for "ready" in postmaster.pid; confirm the TCP listener itself answers.
    while True:
        probe = run(
            [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"],
            RunAs(),
            check=False,
        )
        if probe.returncode == 0:
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(DatabaseError):
                _pg_ctl_stop(data_dir, bin_dir, run_as, mode="immediate")
            _remove_socket_dir(socket_dir)
            raise DatabaseError(
                f"the database server on {data_dir} does not accept connections on "
                f"127.0.0.1:{port} after {STARTUP_TIMEOUT:.0f} s; last lines of "
                f"{data_dir / LOG_NAME}: {_log_tail(data_dir)}"
            )
        time.sleep(0.1)
    current = status(data_dir)
    if current is None:
        raise DatabaseError(
            f"the database server on {data_dir} exited right after starting; last lines of "
            f"{data_dir / LOG_NAME}: {_log_tail(data_dir)}"
        )
    return current


# --------------------------------------------------------------------------------------------
# process inspection
# --------------------------------------------------------------------------------------------


def _process_state(pid: int) -> str:
    """``"running"``, ``"zombie"`` or ``"gone"`` for the postmaster recorded in postmaster.pid.

    "gone" also covers a PID reused by another program. "zombie" is a postmaster that died (crash,
    ``kill -9``) and that its parent has not reaped yet: not a server, but PostgreSQL's own lock
    check still sees the PID alive and refuses to start until it is reaped.
    """
    if pid <= 0:
        return "gone"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        pass  # alive but owned by another user
    try:
        proc_stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "running"  # no /proc (macOS): trust the signal check
    # Format: "<pid> (<comm>) <state> ..."; comm may itself contain parentheses.
    name, _, rest = proc_stat.partition("(")[2].rpartition(")")
    if name != "postgres":
        return "gone"
    return "zombie" if rest.split()[:1] == ["Z"] else "running"


def _recorded_pid(data_dir: Path) -> int | None:
    try:
        first = (data_dir / "postmaster.pid").read_text(errors="replace").split("\n", 1)[0]
        return int(first.strip())
    except (OSError, ValueError):
        return None


def _wait_for_dead_postmaster(data_dir: Path, deadline: float) -> None:
    """After a crash, wait until the dead postmaster is reaped, else postgres refuses to start."""
    pid = _recorded_pid(data_dir)
    if pid is None:
        return
    while _process_state(pid) == "zombie":
        if time.monotonic() > deadline:
            raise DatabaseError(
                f"the previous server on {data_dir} (PID {pid}) crashed and its parent process "
                "has not reaped it yet, so PostgreSQL refuses to start; retry in a moment"
            )
        time.sleep(0.05)


def _absolute(path: Path) -> Path:
    """Resolved path: postmaster.pid, socket limits and permission checks all need the real one."""
    return Path(path).expanduser().resolve()
