"""Who the PostgreSQL binaries run as, and running them under that identity.

PostgreSQL refuses to run as root, so when envsync runs as root (CI and dev containers) the binaries
run as an unprivileged system user (``envsync-pg``, created on demand). That user owns the data
directory and must be able to traverse to it; ancestors it cannot traverse get ``o+x`` only
(search, not listing), the narrowest permission change that works on every filesystem (pytest's
``/tmp/pytest-of-root`` is ``0700``). Nothing is ever made world-readable.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from envsync.errors import DatabaseError

__all__ = [
    "PG_SYSTEM_USER",
    "STARTUP_TIMEOUT",
    "RunAs",
    "close_traversal",
    "fix_ownership",
    "grant_traversal",
    "one_line",
    "run",
    "server_identity",
]

#: Unprivileged account the server runs as when envsync itself runs as root.
PG_SYSTEM_USER = "envsync-pg"
#: Seconds to wait for a server to accept connections (or to shut down) before giving up.
STARTUP_TIMEOUT = 30.0

_LOG_TAIL_LINES = 6


@dataclass(frozen=True)
class RunAs:
    """Identity the PostgreSQL binaries run under (``None`` = the current process' identity)."""

    uid: int | None = None
    gid: int | None = None
    name: str | None = None


def server_identity(data_dir: Path) -> RunAs:
    """Who runs the server: ourselves, or (as root) the unprivileged owner of the data directory."""
    if os.geteuid() != 0:
        with contextlib.suppress(FileNotFoundError):
            owner = data_dir.stat().st_uid
            if owner != os.geteuid():
                raise DatabaseError(
                    f"{data_dir} belongs to uid {owner}, and PostgreSQL only runs as the owner of "
                    "its data directory; run envsync as that user (or as root)"
                )
        return RunAs()
    with contextlib.suppress(FileNotFoundError):
        owner = data_dir.stat().st_uid
        if owner != 0:
            # A cluster already handed to some unprivileged user (ours, or the image's
            # "postgres" after a bind mount): keep using it instead of stealing the files.
            with contextlib.suppress(KeyError):
                entry = pwd.getpwuid(owner)
                return RunAs(uid=entry.pw_uid, gid=entry.pw_gid, name=entry.pw_name)
    entry = _ensure_system_user()
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid, name=entry.pw_name)


def _ensure_system_user() -> pwd.struct_passwd:
    """Create (once) the system account PostgreSQL runs as when we are root."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(PG_SYSTEM_USER)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
    command = [
        useradd, "--system", "--user-group", "--no-create-home",
        "--home-dir", "/nonexistent", "--shell", shell, PG_SYSTEM_USER,
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DatabaseError(
            f"PostgreSQL cannot run as root and 'useradd' is unavailable ({exc.strerror}); "
            f"create a system user named {PG_SYSTEM_USER} and retry"
        ) from exc
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)  # also covers a concurrent useradd that won
    except KeyError:
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = lines[-1] if lines else f"useradd exit {result.returncode}"
        raise DatabaseError(
            f"could not create the system user {PG_SYSTEM_USER} that PostgreSQL runs as under root "
            f"({detail}); create it and retry"
        ) from None


def _can_search(path_stat: os.stat_result, run_as: RunAs, groups: Sequence[int]) -> bool:
    if path_stat.st_uid == run_as.uid:
        return bool(path_stat.st_mode & stat.S_IXUSR)
    if path_stat.st_gid in groups:
        return bool(path_stat.st_mode & stat.S_IXGRP)
    return bool(path_stat.st_mode & stat.S_IXOTH)


def grant_traversal(path: Path, run_as: RunAs) -> list[Path]:
    """Let the server's user reach ``path`` by adding ``o+x`` to ancestors that block it; the
    directories opened so (the caller reports them, and ``db down`` closes them again).

    Only search permission is added (not read), and only where missing; the directories stay
    unlistable for everyone else. ``o+x`` rather than an ACL because ACLs are not available on
    every filesystem and a later ``chmod go-rwx`` (as pytest does) silently masks them anyway.
    """
    if run_as.uid is None or run_as.name is None:
        return []
    groups = set(os.getgrouplist(run_as.name, run_as.gid if run_as.gid is not None else -1))
    opened = []
    for ancestor in reversed(path.parents):
        try:
            ancestor_stat = ancestor.stat()
        except FileNotFoundError:
            break
        if not _can_search(ancestor_stat, run_as, sorted(groups)):
            os.chmod(ancestor, stat.S_IMODE(ancestor_stat.st_mode) | stat.S_IXOTH)
            opened.append(ancestor)
    return opened


def close_traversal(directories: list[Path]) -> list[Path]:
    """Take ``o+x`` away again from ``directories`` (those :func:`grant_traversal` opened);
    the ones closed."""
    closed = []
    for directory in directories:
        try:
            mode = stat.S_IMODE(directory.stat().st_mode)
            if mode & stat.S_IXOTH:
                os.chmod(directory, mode & ~stat.S_IXOTH)
                closed.append(directory)
        except OSError:
            continue
    return closed


def fix_ownership(data_dir: Path, run_as: RunAs) -> None:
    """Hand every file to the server's user, as the entrypoint's ``find ... -exec chown`` does."""
    if run_as.uid is None:
        return
    gid = run_as.gid if run_as.gid is not None else -1
    for root, dirs, files in os.walk(data_dir):
        for name in [*dirs, *files]:
            path = os.path.join(root, name)
            if os.lstat(path).st_uid != run_as.uid:
                os.lchown(path, run_as.uid, gid)


def _environment() -> dict[str, str]:
    """A clean environment: no PG* variable of the caller may redirect a binary elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", PGCLIENTENCODING="UTF8", PGCONNECT_TIMEOUT="5")
    env.pop("LC_MESSAGES", None)
    return env


def run(
    command: Sequence[str],
    run_as: RunAs,
    *,
    check: bool = True,
    timeout: float = STARTUP_TIMEOUT + 10,
) -> subprocess.CompletedProcess[str]:
    """Run one binary, dropping to the server's user when we are root.

    ``cwd="/"`` because the unprivileged user usually cannot enter the caller's directory and
    some binaries warn about it.
    """
    try:
        result = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            env=_environment(),
            cwd="/",
            check=False,
            timeout=timeout,
            user=run_as.uid,
            group=run_as.gid,
            extra_groups=None if run_as.uid is None else [],
        )
    except subprocess.TimeoutExpired as exc:
        raise DatabaseError(
            f"{Path(command[0]).name} did not finish within {timeout:.0f} s; "
            "check that the machine is not overloaded and retry"
        ) from exc
    except OSError as exc:
        raise DatabaseError(f"cannot run {command[0]}: {exc.strerror}") from exc
    if check and result.returncode != 0:
        raise DatabaseError(
            f"{Path(command[0]).name} failed (exit {result.returncode}): "
            f"{one_line(result.stderr or result.stdout)}"
        )
    return result


def one_line(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) if kept else "no output"
