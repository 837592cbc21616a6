"""The answer of the last clean ``envsync check``, reused while none of its inputs changed.

``envsync check`` runs on every commit; nearly all of its time is imports. Like ruff and mypy,
it keys a cache on contents: the BLAKE2b hash of every file the check read (the map, the answers,
every file a place names or a reference leads to), of every environment variable those files
refer to (compose and python-dotenv read them), and the installed envsync code. When all are
unchanged, the console script answers "in sync" before Typer, PyYAML or Jinja are imported.

The cache holds hashes only, never a value, in ``.envsync/check-cache`` (0600, inside the
project's git-ignored ``.envsync/``). A cache that is missing, corrupt, from other code, or
unwritable is ignored; only a clean check is stored, so drift is never answered from it.

This module runs in the fast path of every commit: it imports only ``os``, ``re`` (which the
console script has loaded anyway) and BLAKE2, and reads paths as strings.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

try:
    # The standard library's own BLAKE2: `hashlib` would load OpenSSL first, which costs more
    # than the rest of a warm check.
    from _blake2 import blake2b as _hash
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as _hash

CACHE_DIR = ".envsync"
CACHE_FILE = "check-cache"
_REFERENCE = re.compile(rb"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_ABSENT = "-"


def _digest(data: bytes | None) -> str:
    return _ABSENT if data is None else _hash(data).hexdigest()


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


@functools.cache
def _code() -> str:
    """The installed envsync code: a changed module invalidates every cache. Once per process
    (a full check asks twice: for the cached answer, then to store its own), for the code the
    process runs."""
    digest = _hash()
    for directory, subdirectories, files in os.walk(_PACKAGE):
        subdirectories.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                status = os.stat(os.path.join(directory, name))
                digest.update(
                    f"{directory}/{name}:{status.st_size}:{status.st_mtime_ns}\0".encode()
                )
    return digest.hexdigest()


def _status(path: str) -> str:
    """A file's or directory's identity and last change, as git's index keys a clean file."""
    try:
        status = os.stat(path)
    except OSError:
        return _ABSENT
    return f"{status.st_size}.{status.st_mtime_ns}.{status.st_ino}.{status.st_mode}"


def _state(project_dir: str, inputs: Iterable[str], watched: Iterable[str] = ()) -> list[str]:
    """The cache's lines: the code, then each input file and each variable they refer to, then
    each watched path (the copy search's tracked files and directories, keyed by ``stat``)."""
    lines = [f"code {_code()}"]
    names: set[str] = set()
    for name in sorted(set(inputs)):
        if "\n" in name:
            raise ValueError(name)
        data = _read(os.path.join(project_dir, name))
        lines.append(f"file {_digest(data)} {name}")
        # A binary input (git's index) refers to no variable: its `$_` would be the shell's.
        if data is not None and b"\0" not in data:
            names.update(match.decode() for match in _REFERENCE.findall(data))
    for name in sorted(names):
        value = os.environ.get(name)
        lines.append(f"env {_digest(None if value is None else value.encode())} {name}")
    for name in sorted(set(watched)):
        if "\n" in name:
            raise ValueError(name)
        lines.append(f"stat {_status(os.path.join(project_dir, name))} {name}")
    return lines


def store(
    project_dir: str | os.PathLike[str], inputs: Iterable[str], *, watched: Iterable[str] = ()
) -> None:
    """Remember a clean check; best effort, a cache that cannot be written is no error."""
    directory = os.path.join(os.fspath(project_dir), CACHE_DIR)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        # A cloned repository may commit `.envsync` or files in it as symlinks to anywhere: the
        # cache goes only into a real directory, and into files it creates itself.
        if os.path.islink(directory):
            return
        ignore = os.path.join(directory, ".gitignore")
        if not os.path.lexists(ignore):
            _create(ignore, "*\n")
        temporary = os.path.join(directory, f".{CACHE_FILE}.{os.getpid()}")
        if os.path.lexists(temporary):
            os.unlink(temporary)
        lines = _state(os.fspath(project_dir), inputs, watched)
        _create(temporary, "\n".join(lines) + "\n")
        os.replace(temporary, os.path.join(directory, CACHE_FILE))
    except (OSError, ValueError):
        pass


def _create(path: str, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def answer(project_dir: str | os.PathLike[str]) -> bool:
    """True when the last clean check's inputs are all unchanged."""
    root = os.fspath(project_dir)
    cached = _read(os.path.join(root, CACHE_DIR, CACHE_FILE))
    if cached is None:
        return False
    try:
        lines = cached.decode().splitlines()
    except UnicodeDecodeError:
        return False
    fields = [line.split(" ", 2) for line in lines]
    if not fields or fields[0][0] != "code" or any(len(parts) != 3 for parts in fields[1:]):
        return False
    inputs = [parts[2] for parts in fields if parts[0] == "file"]
    watched = [parts[2] for parts in fields if parts[0] == "stat"]
    try:
        return bool(inputs) and _state(root, inputs, watched) == lines
    except ValueError:
        return False
