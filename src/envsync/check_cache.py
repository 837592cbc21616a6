"""The answer of the last clean ``envsync check``, reused while none of its inputs changed.

``envsync check`` runs on every commit; nearly all of its time is imports. Like ruff and mypy,
it keys a cache on contents: the SHA-256 of every file the check read (the map, the answers,
every file a place names or a reference leads to), of every environment variable those files
refer to (compose and python-dotenv read them), and the installed envsync code. When all are
unchanged, the console script answers "in sync" before Typer, PyYAML or Jinja are imported.

The cache holds hashes only, never a value, in ``.envsync/check-cache.json`` (0600, inside the
project's git-ignored ``.envsync/``). A cache that is missing, corrupt, from other code, or
unwritable is ignored; only a clean check is stored, so drift is never answered from it.

This module imports nothing heavy: it runs in the fast path of every commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

CACHE_DIR = ".envsync"
CACHE_FILE = "check-cache.json"
_REFERENCE = re.compile(rb"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_PACKAGE = Path(__file__).parent


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _code() -> str:
    """The installed envsync code: a changed module invalidates every cache."""
    digest = hashlib.sha256()
    for module in sorted(_PACKAGE.rglob("*.py")):
        status = module.stat()
        digest.update(f"{module}:{status.st_size}:{status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _state(project_dir: Path, inputs: Iterable[str]) -> dict[str, object]:
    files: dict[str, str | None] = {}
    names: set[str] = set()
    for name in sorted(set(inputs)):
        data = _read(project_dir / name)
        files[name] = _digest(data)
        if data is not None:
            names.update(match.decode() for match in _REFERENCE.findall(data))
    environ = {name: _digest(os.environ[name].encode()) if name in os.environ else None
               for name in sorted(names)}  # fmt: skip
    return {"code": _code(), "files": files, "environ": environ}


def store(project_dir: Path, inputs: Iterable[str]) -> None:
    """Remember a clean check; best effort, a cache that cannot be written is no error."""
    directory = project_dir / CACHE_DIR
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        temporary = directory / f".{CACHE_FILE}.{os.getpid()}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(_state(project_dir, inputs), handle)
        os.replace(temporary, directory / CACHE_FILE)
    except OSError:
        pass


def answer(project_dir: Path) -> bool:
    """True when the last clean check's inputs are all unchanged."""
    try:
        cached = json.loads((project_dir / CACHE_DIR / CACHE_FILE).read_bytes())
        files = cached["files"]
        if not isinstance(files, dict):
            return False
        return bool(_state(project_dir, files) == cached)
    except (OSError, ValueError, KeyError, TypeError):
        return False
