"""Reading and writing the user's files without losing a byte of theirs.

Text keeps its line endings (no newline translation) and its UTF-8 byte-order mark; a write goes
to a temporary file in the same directory, is flushed to disk, then renamed over the old file, so
a crash leaves either the old or the new version. A symlink is written through, not replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from envsync.errors import EnvsyncError, FormatError

BOM = "\ufeff"


@dataclass(frozen=True)
class TextFile:
    text: str
    bom: bool


def read(path: Path, shown: str) -> TextFile | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FormatError(path=shown, message=f"cannot be read: {error.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(path=shown, message=f"is not UTF-8 text (byte {error.start})") from None
    if text.startswith(BOM):
        return TextFile(text[1:], True)
    return TextFile(text, False)


def write(path: Path, text: str, *, bom: bool, new_mode: int, shown: str) -> None:
    """Replace ``path``'s content atomically, keeping its mode (``new_mode`` if it is new)."""
    real = Path(os.path.realpath(path))
    data = ((BOM if bom else "") + text).encode("utf-8")
    try:
        mode = real.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = new_mode
    check_writable(real, shown)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.")
    except OSError as error:
        raise EnvsyncError(f"{shown}: cannot be written: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(real.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_writable(path: Path, shown: str) -> None:
    """Refuse before anything is written, so a read-only file does not leave the others new."""
    real = Path(os.path.realpath(path))
    if real.exists() and not os.access(real, os.W_OK):
        raise EnvsyncError(f"{shown}: is read-only; make it writable and run again")


@contextlib.contextmanager
def project_lock(project_dir: Path, timeout: float = 60) -> Iterator[None]:
    """Serialise envsync runs on one project, so two renders never interleave their writes.

    The lock lives in the temporary directory, keyed by the project's real path, so it leaves no
    file in the project.
    """
    key = hashlib.sha256(str(project_dir.resolve()).encode()).hexdigest()[:16]
    lock = FileLock(Path(tempfile.gettempdir()) / f"envsync-{key}.lock")
    try:
        with lock.acquire(timeout=timeout):
            yield
    except Timeout:
        raise EnvsyncError(
            f"{project_dir}: another envsync run has held the project lock for {timeout:.0f} s"
        ) from None
