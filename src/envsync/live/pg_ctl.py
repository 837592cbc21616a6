"""Starting and stopping a data directory's server with ``pg_ctl``, and the port it needs.

The real server listens on ``127.0.0.1`` only (never ``localhost``: a native server answering on
``::1`` is a classic source of a confusing "password authentication failed").
"""

from __future__ import annotations

import contextlib
import errno
import shlex
import socket
import subprocess
import time
from pathlib import Path

from envsync.errors import DatabaseError
from envsync.live import postmaster
from envsync.live.postmaster import ServerStatus
from envsync.live.run_as import STARTUP_TIMEOUT, RunAs, one_line, run

__all__ = ["LOG_NAME", "check_port_free", "log_tail", "start", "start_listening", "stop"]

#: Name of the server log, kept inside the data directory so it is owned by the server's user.
LOG_NAME = "envsync-postgres.log"


def check_port_free(port: int) -> None:
    """Fail before initdb rather than after, naming the port, when something already listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option as the postmaster, so a lingering TIME_WAIT socket is not a false alarm.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise DatabaseError(port_in_use_message(port)) from exc
            if exc.errno == errno.EACCES:
                raise DatabaseError(
                    f"port {port} on 127.0.0.1 needs privileges to bind; choose a port above 1023"
                ) from exc
            raise DatabaseError(f"cannot bind 127.0.0.1:{port}: {exc.strerror}") from exc


def port_in_use_message(port: int) -> str:
    move = f"or move this project: `envsync set db_port={port + 1 if port < 65535 else port - 1}`"
    data_dir = postmaster.other_server_on(port)
    if data_dir is not None:
        return (
            f"port {port} on 127.0.0.1 is already in use by another envsync database (data "
            f"directory {data_dir}); stop it with `envsync db down` in its project, {move}"
        )
    return (
        f"port {port} on 127.0.0.1 is already in use by another program (another PostgreSQL or a "
        f"docker container?); stop it, {move}"
    )


def log_tail(data_dir: Path) -> str:
    try:
        text = (data_dir / LOG_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "no server log"
    return one_line(text)


def _server_options(port: int, listen: str, socket_dir: Path) -> str:
    """The ``pg_ctl -o`` string; pg_ctl hands it to /bin/sh, hence the quoting."""
    args = [
        "-p", str(port),
        "-c", f"listen_addresses={listen}",
        "-c", f"unix_socket_directories={socket_dir}",
    ]  # fmt: skip
    return " ".join(shlex.quote(arg) for arg in args)


def start(
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


def stop(data_dir: Path, bin_dir: Path, run_as: RunAs, mode: str = "fast") -> None:
    result = run(
        [
            str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", mode,
            "-w", "-t", str(int(STARTUP_TIMEOUT)),
        ],
        run_as,
        check=False,
    )  # fmt: skip
    if result.returncode != 0 and postmaster.status(data_dir) is not None:
        raise DatabaseError(
            f"the database server on {data_dir} did not stop: "
            f"{one_line(result.stderr or result.stdout)}; see {data_dir / LOG_NAME}"
        )


def _start_failure(data_dir: Path, port: int, result: subprocess.CompletedProcess[str]) -> str:
    log = log_tail(data_dir)
    if "Address already in use" in log or "could not create any TCP/IP sockets" in log:
        return port_in_use_message(port)
    pg_ctl_said = one_line(result.stderr or result.stdout, 2)
    if "did not start in time" in pg_ctl_said:
        what = f"did not start within {STARTUP_TIMEOUT:.0f} s"
    else:
        what = "did not start"
    return (
        f"the database server on {data_dir} {what} ({pg_ctl_said}); "
        f"fix the cause shown in the last lines of {data_dir / LOG_NAME}: {log}"
    )


def _give_up(data_dir: Path, bin_dir: Path, run_as: RunAs, socket_dir: Path) -> None:
    with contextlib.suppress(DatabaseError):
        stop(data_dir, bin_dir, run_as, mode="immediate")
    postmaster.remove_socket_dir(socket_dir)


def start_listening(data_dir: Path, port: int, bin_dir: Path, run_as: RunAs) -> ServerStatus:
    """Start the server on 127.0.0.1:``port`` and wait until that listener takes connections."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    postmaster.wait_for_dead_postmaster(data_dir, deadline)
    postmaster.clean_after_crash(data_dir)
    socket_dir = postmaster.private_dir(run_as)
    result = start(data_dir, port, "127.0.0.1", socket_dir, bin_dir, run_as)
    if result.returncode != 0:
        message = _start_failure(data_dir, port, result)
        _give_up(data_dir, bin_dir, run_as, socket_dir)
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
            _give_up(data_dir, bin_dir, run_as, socket_dir)
            raise DatabaseError(
                f"the database server on {data_dir} does not accept connections on "
                f"127.0.0.1:{port} after {STARTUP_TIMEOUT:.0f} s; last lines of "
                f"{data_dir / LOG_NAME}: {log_tail(data_dir)}"
            )
        time.sleep(0.1)
    current = postmaster.status(data_dir)
    if current is None:
        raise DatabaseError(
            f"the database server on {data_dir} exited right after starting; last lines of "
            f"{data_dir / LOG_NAME}: {log_tail(data_dir)}"
        )
    return current
