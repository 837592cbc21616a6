"""A PostgreSQL 16 + pgvector server without Docker, started the way the official image starts it.

``envsync db up`` (for users without Docker) and the tests need a real database that behaves
like a compose database service. The ``pgserver`` wheel ships PostgreSQL 16 and pgvector as plain
binaries; this module drives them: :mod:`~envsync.live.initdb` for a volume's first start,
:mod:`~envsync.live.pg_ctl` to start and stop, :mod:`~envsync.live.postmaster` to see what runs.

A data directory that already holds a cluster is started as is: changed credentials are *not*
applied, exactly like a compose volume that "keeps the first password it saw". That stale-volume
behaviour is the incident envsync exists to explain, so it is reproduced rather than "fixed".

Running as root: see :mod:`envsync.live.run_as` (who runs the binaries) and
:mod:`envsync.live.binaries` (a copy of them that user can read).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from envsync.live import initdb, pg_ctl, postmaster
from envsync.live.binaries import server_bin_dir
from envsync.live.initdb import ServerSpec, initialised
from envsync.live.pg_ctl import check_port_free
from envsync.live.postmaster import ServerStatus, status
from envsync.live.run_as import PG_SYSTEM_USER, fix_ownership, grant_traversal, server_identity

__all__ = [
    "PG_SYSTEM_USER",
    "ServerSpec",
    "ServerStatus",
    "check_port_free",
    "free_port",
    "initialised",
    "start",
    "status",
    "stop",
]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now, so tests never collide with a real 5432."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(spec: ServerSpec) -> ServerStatus:
    """Bring up the server the compose file describes, initialising a fresh volume first.

    Idempotent: a server already running on ``spec.data_dir`` is left alone and its status is
    returned (its port may differ from ``spec.port``: compare if that matters). On an initialised
    directory the credentials in ``spec`` are deliberately ignored, as the image does.
    """
    initdb.validate(spec)
    data_dir = _absolute(spec.data_dir)
    run_as = server_identity(data_dir)
    bin_dir = server_bin_dir(run_as)
    current = status(data_dir)
    if current is not None and initdb.unfinished(data_dir):
        # The temporary server of an initialisation that was killed: never the volume's server.
        pg_ctl.stop(data_dir, bin_dir, run_as, mode="immediate")
        postmaster.remove_socket_dir(current.socket_dir)
        current = None
    if current is not None:
        return current
    if initdb.unfinished(data_dir):
        initdb.start_over(data_dir)
    initdb.check_data_dir_usable(data_dir)
    check_port_free(spec.port)

    initdb.make_data_dir(data_dir, run_as)
    with _locked(data_dir):
        current = status(data_dir)  # another process may have won the race for the lock
        if current is not None:
            return current
        if not initialised(data_dir):
            initdb.initialise(spec, data_dir, bin_dir, run_as)
        fix_ownership(data_dir, run_as)
        return pg_ctl.start_listening(data_dir, spec.port, bin_dir, run_as)


def stop(data_dir: Path) -> bool:
    """Stop the server on ``data_dir`` with a fast shutdown; ``False`` if none was running.

    Fast (not smart) shutdown because callers are tests and CLI sessions that must not hang on
    an idle client connection. Safe to call any number of times.
    """
    data_dir = _absolute(data_dir)
    current = status(data_dir)
    if current is None:
        postmaster.clean_after_crash(data_dir)
        return False
    run_as = server_identity(data_dir)
    grant_traversal(data_dir, run_as)  # pytest resets /tmp/pytest-of-root to 0700 each session
    pg_ctl.stop(data_dir, server_bin_dir(run_as), run_as)
    postmaster.remove_socket_dir(current.socket_dir)
    return True


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


def _absolute(path: Path) -> Path:
    """Resolved path: postmaster.pid, socket limits and permission checks all need the real one."""
    return Path(path).expanduser().resolve()
