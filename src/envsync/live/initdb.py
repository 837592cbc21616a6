"""A volume's first start, as ``docker-entrypoint.sh`` does it: initdb, then ``POSTGRES_DB``.

An empty data directory is initialised once with ``POSTGRES_USER``/``POSTGRES_PASSWORD``
(``scram-sha-256`` over TCP, ``trust`` on the private unix socket), then ``POSTGRES_DB`` is created
by a temporary socket-only server. A directory that already holds a cluster is never touched here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from envsync.answers import INITDB_REFUSED, MAX_IDENTIFIER_BYTES
from envsync.errors import DatabaseError
from envsync.live import pg_ctl, postmaster
from envsync.live.run_as import RunAs, grant_traversal, one_line, run
from envsync.sql_text import identifier, literal

__all__ = [
    "ServerSpec",
    "check_data_dir_usable",
    "initialise",
    "initialised",
    "make_data_dir",
    "start_over",
    "unfinished",
    "validate",
]


@dataclass(frozen=True)
class ServerSpec:
    """What a compose database service declares: ``POSTGRES_*``, the host port and its volume."""

    user: str
    password: str
    database: str
    port: int
    data_dir: Path


def _beside(data_dir: Path, what: str) -> Path:
    """A file next to the volume (``.envsync/volumes/.db.pwfile``): inside the project's
    git-ignored ``.envsync/``, where the server's user can reach it, never in /tmp."""
    return data_dir.parent / f".{data_dir.name}.{what}"


def unfinished(data_dir: Path) -> bool:
    """Whether an initialisation began and never ended (initdb or ``CREATE DATABASE`` killed)."""
    return _beside(Path(data_dir), "initialising").exists()


def initialised(data_dir: Path) -> bool:
    """Whether the directory already holds a cluster, i.e. whether ``POSTGRES_*`` would be ignored.

    Same test as the image's entrypoint (a non-empty ``PG_VERSION`` file), except that a volume
    whose initialisation was cut short is not one: the next start redoes it.
    """
    if unfinished(data_dir):
        return False
    version = Path(data_dir) / "PG_VERSION"
    try:
        return version.is_file() and version.stat().st_size > 0
    except PermissionError as exc:
        raise DatabaseError(
            f"cannot read the database directory {data_dir}: permission denied; "
            "run envsync as the user that owns it (or as root)"
        ) from exc


def validate(spec: ServerSpec) -> None:
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


def check_data_dir_usable(data_dir: Path) -> None:
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


def make_data_dir(data_dir: Path, run_as: RunAs) -> None:
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


def initialise(spec: ServerSpec, data_dir: Path, bin_dir: Path, run_as: RunAs) -> None:
    """initdb + create POSTGRES_DB; on failure the directory is emptied again so that the next
    start retries from scratch instead of silently skipping initialisation (as a half-done
    volume would)."""
    marker = _beside(data_dir, "initialising")
    marker.touch()
    try:
        _initdb(spec, data_dir, bin_dir, run_as)
        _append_hba(data_dir)
        if spec.database != "postgres":
            _create_database(spec, data_dir, bin_dir, run_as)
    except BaseException:
        _empty_directory(data_dir)
        raise
    marker.unlink()


def start_over(data_dir: Path) -> None:
    """Empty a volume whose initialisation was killed, so that the next start redoes it."""
    _empty_directory(data_dir)
    _beside(data_dir, "initialising").unlink(missing_ok=True)


def _initdb(spec: ServerSpec, data_dir: Path, bin_dir: Path, run_as: RunAs) -> None:
    pwfile = _beside(data_dir, "pwfile")
    pwfile.unlink(missing_ok=True)  # left by a run killed before its finally
    try:
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
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
        pwfile.unlink(missing_ok=True)
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
    socket_dir = postmaster.private_dir(run_as)
    try:
        result = pg_ctl.start(data_dir, spec.port, "", socket_dir, bin_dir, run_as)
        if result.returncode != 0:
            with contextlib.suppress(DatabaseError):
                pg_ctl.stop(data_dir, bin_dir, run_as, mode="immediate")
            raise DatabaseError(
                "the temporary server used to create the database did not start; last lines of "
                f"{data_dir / pg_ctl.LOG_NAME}: {pg_ctl.log_tail(data_dir)}"
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
            pg_ctl.stop(data_dir, bin_dir, run_as)
    finally:
        postmaster.remove_socket_dir(socket_dir)


def _empty_directory(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        for child in data_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    child.unlink()
