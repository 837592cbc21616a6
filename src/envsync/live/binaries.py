"""The PostgreSQL binaries of the pgserver wheel, and a copy the server's user can run.

As root, the server runs as an unprivileged user (see :mod:`envsync.live.run_as`). A pipx or
virtualenv install under ``/root`` (the usual dev container) puts the wheel where that user cannot
traverse, and initdb fails with "Permission denied". Rather than loosen the user's home directory,
envsync then copies what the server needs (``bin``, ``lib``, ``share`` and the wheel's bundled
shared libraries) once to a root-owned, world-readable cache keyed by the pgserver version. The
copy keeps the wheel's layout because the binaries find their libraries through a relative RPATH
(``$ORIGIN/../../../pgserver.libs``) and PostgreSQL finds ``share`` and ``lib`` relative to itself.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import stat
import tempfile
from functools import cache
from pathlib import Path

from envsync.errors import DatabaseError
from envsync.live.run_as import PG_SYSTEM_USER, RunAs, grant_traversal, run

__all__ = ["SHARED_ROOT", "bin_dir", "psql_binary", "server_bin_dir", "shared_copy"]

#: Where root keeps the copy of the binaries that the server's user can read.
SHARED_ROOT = Path("/var/cache/envsync")

_REQUIRED = ("initdb", "pg_ctl", "postgres", "psql", "pg_isready")
_INSTALL_PARTS = ("bin", "lib", "share")  # include/ holds headers the server never reads
_COMPLETE = ".complete"


@cache
def _package_dir() -> Path:
    try:
        found = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise DatabaseError(
            "the embedded database needs the 'pgserver' package; "
            "install it with: pip install 'envsync[embedded]'"
        )
    return Path(next(iter(found.submodule_search_locations)))


@cache
def bin_dir() -> Path:
    """The directory of the PostgreSQL binaries bundled in the pgserver wheel."""
    package_dir = _package_dir()
    found = package_dir / "pginstall" / "bin"
    missing = [name for name in _REQUIRED if not (found / name).is_file()]
    if missing:
        raise DatabaseError(
            f"the pgserver package at {package_dir} lacks {', '.join(missing)}; "
            "reinstall it with: pip install --force-reinstall pgserver"
        )
    return found


def psql_binary() -> Path:
    """The bundled ``psql``, for commands shown to users (an ALTER ROLE over the socket)."""
    return bin_dir() / "psql"


def server_bin_dir(run_as: RunAs) -> Path:
    """Binaries ``run_as`` can execute: the wheel's own, or (as root) the shared copy."""
    wheel = bin_dir()
    if run_as.uid is None or _runnable(wheel, run_as):
        return wheel
    copied = shared_copy(_package_dir(), importlib.metadata.version("pgserver"), SHARED_ROOT)
    grant_traversal(copied, run_as)
    if not _runnable(copied, run_as):
        raise DatabaseError(
            f"the PostgreSQL binaries in {wheel} and their copy in {copied} cannot be run by the "
            f"unprivileged user {PG_SYSTEM_USER}; check that {SHARED_ROOT} is on a filesystem "
            "mounted without noexec"
        )
    return copied


def shared_copy(package_dir: Path, version: str, root: Path) -> Path:
    """The ``bin`` directory of a world-readable copy of the wheel under ``root``, made once.

    The copy is assembled in a staging directory and renamed into place, so a crash or a
    concurrent ``db up`` never leaves a half copy behind under the final name.
    """
    target = root / f"pgserver-{version}"
    copied_bin = target / "pgserver" / "pginstall" / "bin"
    if (target / _COMPLETE).is_file():
        return copied_bin
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        for part in _INSTALL_PARTS:
            shutil.copytree(
                package_dir / "pginstall" / part,
                staging / "pgserver" / "pginstall" / part,
                symlinks=True,
            )
        wheel_libs = package_dir.parent / "pgserver.libs"  # auditwheel's bundled libpq & co.
        if wheel_libs.is_dir():
            shutil.copytree(wheel_libs, staging / "pgserver.libs", symlinks=True)
        _make_world_readable(staging)
        (staging / _COMPLETE).write_text(version + "\n", encoding="utf-8")
        os.chmod(staging / _COMPLETE, 0o644)
        try:
            staging.rename(target)
        except OSError:
            if not (target / _COMPLETE).is_file():
                raise  # not a concurrent copy that won the race: a real failure
    except OSError as exc:
        raise DatabaseError(
            f"cannot copy the PostgreSQL binaries to {target}: {exc.strerror or exc}; "
            f"make {root} writable by root"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return copied_bin


def _make_world_readable(top: Path) -> None:
    """Directories ``0755``, files ``0644`` or ``0755`` when executable; links untouched."""
    for directory, _, files in os.walk(top):
        os.chmod(directory, 0o755)
        for name in files:
            path = Path(directory, name)
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & stat.S_IXUSR
            os.chmod(path, 0o755 if executable else 0o644)


@cache
def _runnable(directory: Path, run_as: RunAs) -> bool:
    """Whether ``run_as`` can execute ``postgres`` there (traversal, modes, shared libraries)."""
    try:
        result = run([str(directory / "postgres"), "--version"], run_as, check=False)
    except DatabaseError:  # the exec itself was refused: "Permission denied"
        return False
    return result.returncode == 0
