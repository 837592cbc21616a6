"""A server's ``postmaster.pid``, read once, and the private socket directory it records.

``postmaster.pid`` says, without any login, which process serves a data directory, on which port
and socket directory, including while it starts or shuts down. A crash leaves it behind; the
recorded process is then gone (or a zombie its parent has not reaped).

Unix sockets go to a short private directory under ``/tmp`` (``envsync-pg-XXXXXXXX``) because
socket paths are limited to 107 bytes and data directories under a project easily exceed that.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from envsync.errors import DatabaseError
from envsync.live.run_as import RunAs

__all__ = [
    "PidFile",
    "ServerStatus",
    "clean_after_crash",
    "other_server_on",
    "private_dir",
    "read",
    "remove_socket_dir",
    "running_data_dirs",
    "status",
    "wait_for_dead_postmaster",
]

_SOCKET_PREFIX = "envsync-pg-"
_MAX_SOCKET_PATH = 107  # sizeof(sun_path) - 1 on Linux


@dataclass(frozen=True)
class PidFile:
    """What ``postmaster.pid`` records; a field is ``None`` while the file is being written."""

    pid: int | None
    data_dir: Path | None
    port: int | None
    socket_dir: Path | None
    listen: str


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


def _number(lines: list[str], index: int) -> int | None:
    try:
        return int(lines[index].strip())
    except (IndexError, ValueError):
        return None


def _field(lines: list[str], index: int) -> str:
    return lines[index].strip() if len(lines) > index else ""


def read(data_dir: Path) -> PidFile | None:
    """The parsed ``postmaster.pid`` of ``data_dir``, or ``None`` when there is none."""
    pid_file = Path(data_dir) / "postmaster.pid"
    try:
        lines = pid_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError as exc:
        raise DatabaseError(
            f"cannot read {pid_file}: permission denied; "
            "run envsync as the user that owns the database directory (or as root)"
        ) from exc
    # Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
    sockets = _field(lines, 4).split(",")[0].strip()
    recorded = _field(lines, 1)
    return PidFile(
        pid=_number(lines, 0),
        data_dir=Path(recorded) if recorded else None,
        port=_number(lines, 3),
        socket_dir=Path(sockets) if sockets else None,
        listen=_field(lines, 5),
    )


def status(data_dir: Path) -> ServerStatus | None:
    """The server running on ``data_dir``, or ``None`` (also for a stale ``postmaster.pid``)."""
    recorded = read(data_dir)
    if recorded is None or recorded.pid is None or recorded.port is None:
        return None  # none, being written right now, or truncated by a crash
    if _process_state(recorded.pid) != "running":
        return None
    return ServerStatus(
        pid=recorded.pid,
        host=recorded.listen or str(recorded.socket_dir or ""),
        port=recorded.port,
        data_dir=recorded.data_dir or Path(data_dir),
        socket_dir=recorded.socket_dir,
    )


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


def wait_for_dead_postmaster(data_dir: Path, deadline: float) -> None:
    """After a crash, wait until the dead postmaster is reaped, else postgres refuses to start."""
    recorded = read(data_dir)
    if recorded is None or recorded.pid is None:
        return
    while _process_state(recorded.pid) == "zombie":
        if time.monotonic() > deadline:
            raise DatabaseError(
                f"the previous server on {data_dir} (PID {recorded.pid}) crashed and its parent "
                "process has not reaped it yet, so PostgreSQL refuses to start; retry in a moment"
            )
        time.sleep(0.05)


def clean_after_crash(data_dir: Path) -> None:
    """Drop the socket directory of a postmaster that died without shutting down."""
    recorded = read(data_dir)
    if recorded is not None and recorded.pid is not None and _process_state(recorded.pid) == "gone":
        remove_socket_dir(recorded.socket_dir, stale=True)


def private_dir(run_as: RunAs) -> Path:
    """A short 0700 directory of the server's user under /tmp, for its unix sockets.

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


def remove_socket_dir(path: Path | None, *, stale: bool = False) -> None:
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


def other_server_on(port: int) -> str | None:
    """The data directory of another envsync server listening on ``port``, if one does.

    Its socket lock file, in its private directory, names the data directory on the second line
    (the postmaster.pid layout).
    """
    for lock in sorted(Path("/tmp").glob(f"{_SOCKET_PREFIX}*/.s.PGSQL.{port}.lock")):
        with contextlib.suppress(OSError, IndexError):
            return lock.read_text(errors="replace").splitlines()[1]
    return None


def running_data_dirs() -> list[Path]:
    """The data directories of the envsync servers running on this machine now (their socket
    lock files name them, as :func:`other_server_on` reads them)."""
    found = []
    for lock in sorted(Path("/tmp").glob(f"{_SOCKET_PREFIX}*/.s.PGSQL.*.lock")):
        with contextlib.suppress(OSError, IndexError):
            data_dir = Path(lock.read_text(errors="replace").splitlines()[1])
            if status(data_dir) is not None:
                found.append(data_dir)
    return found
