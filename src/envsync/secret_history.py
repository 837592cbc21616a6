"""Keyed hashes of every value a secret fact has had, so a copy of an old password is found.

A previous password left in a tracked script is as much a leak as the current one, and a stale
copy besides. Old values are never stored: ``set``, ``rotate`` and ``render`` add the BLAKE2b
hash of each secret value, keyed with a random key of the project's own, to
``.envsync/secret-history``; the key is ``.envsync/secret-key``. Both are 0600 inside the
git-ignored ``.envsync/``. Without the key, a hash cannot be tested against a list of likely
passwords; with it, only a value seen again in a file is recognised.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

try:
    from _blake2 import blake2b as _blake2b  # the standard library's own, without OpenSSL
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as _blake2b

DIRECTORY = ".envsync"
KEY_FILE = f"{DIRECTORY}/secret-key"
HISTORY_FILE = f"{DIRECTORY}/secret-history"
_KEY_BYTES = 32


@dataclass(frozen=True)
class History:
    """The project's key and the fact each recorded hash belongs to."""

    key: bytes | None
    facts: Mapping[str, str]

    def fact_of(self, value: str) -> str | None:
        """The secret fact that once had ``value``, or None."""
        if self.key is None or not self.facts:
            return None
        return self.facts.get(_digest(self.key, value))


def _digest(key: bytes, value: str) -> str:
    return _blake2b(value.encode(), key=key, digest_size=32).hexdigest()


def _private_directory(project_dir: Path) -> Path:
    """``.envsync/``, made if missing. A clone may hold it, or files in it, as symlinks to
    anywhere: the history goes only into a real directory, into files it creates itself."""
    directory = project_dir / DIRECTORY
    directory.mkdir(mode=0o700, exist_ok=True)
    if directory.is_symlink():
        raise OSError(f"{DIRECTORY} is a symlink")
    ignore = directory / ".gitignore"
    if not os.path.lexists(ignore):
        _create(ignore, b"*\n")
    return directory


def _read_bytes(path: Path) -> bytes | None:
    if path.parent.is_symlink():
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        try:
            return handle.read()
        except OSError:
            return None


def _create(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all, readable by the owner only."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    if os.path.lexists(temporary):
        os.unlink(temporary)
    _create(temporary, data)
    os.replace(temporary, path)


def load(project_dir: Path) -> History:
    key = _read_bytes(project_dir / KEY_FILE)
    if key is None or len(key) != _KEY_BYTES:
        return History(None, {})
    facts: dict[str, str] = {}
    data = _read_bytes(project_dir / HISTORY_FILE) or b""
    for line in data.decode("ascii", "replace").splitlines():
        digest, _, fact = line.partition(" ")
        if digest and fact:
            facts[digest] = fact
    return History(key, facts)


def record(project_dir: Path, values: Mapping[str, Iterable[str | None]]) -> None:
    """Remember the hash of each value of each secret fact (fact name -> its values).

    Best effort: a project whose ``.envsync/`` cannot be written loses the history, not the run.
    """
    try:
        directory = _private_directory(project_dir)
        key = _read_bytes(project_dir / KEY_FILE)
        if key is None or len(key) != _KEY_BYTES:
            key = os.urandom(_KEY_BYTES)
            _write_private(directory / "secret-key", key)
            _write_private(directory / "secret-history", b"")
        history = load(project_dir)
        lines = [
            f"{_digest(key, value)} {fact}"
            for fact, each in values.items()
            for value in each
            if value and _digest(key, value) not in history.facts
        ]
        if lines:
            old = _read_bytes(project_dir / HISTORY_FILE) or b""
            new = old + "".join(f"{line}\n" for line in dict.fromkeys(lines)).encode()
            _write_private(directory / "secret-history", new)
    except OSError:
        pass
