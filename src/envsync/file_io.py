"""Reading and writing the user's files without losing a byte of theirs.

Text keeps its line endings (no newline translation) and its UTF-8 byte-order mark. A write goes
to a temporary file in the target's directory, is flushed to disk, then renamed over the old file,
so a crash at any point leaves either the old or the new version (and at worst a stray temporary
file, removed by the next write). The file keeps its mode and owner; a symlink is written
through, not replaced.

Every path is project-relative and confined (``inside``): the map is tracked, so a cloned
repository chooses the paths, and envsync often runs as root. A path resolves inside the project
component by component, each symlink checked where it points; nothing under ``.git/`` is read or
written (a ``core.fsmonitor`` line or a hook there runs at the user's next ``git status``).

Only regular files are read or written: a FIFO would block a read forever, and renaming over a
device would replace the system's device with a password file. A new file is never created
through a symlink that points nowhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from envsync.errors import ConfinementError, EnvsyncError, FormatError

BOM = "\ufeff"
# Temporary files are named `.<name>.<random>.envsync-tmp`, so a stale one is recognisable.
TEMPORARY_SUFFIX = ".envsync-tmp"
_LOCK_POLL_SECONDS = 0.05
GIT_DIR = ".git"
# As the kernel's limit on symlinks followed in one lookup (ELOOP).
_MAX_LINKS = 40


@dataclass(frozen=True)
class TextFile:
    text: str
    bom: bool


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)
_OUTSIDE = "is outside the project; envsync reads and writes only inside the project directory"
_UNDER_GIT = (
    "is under .git/, where a setting or a hook runs commands; envsync never reads or writes there"
)


def inside(project_dir: Path, relative: str) -> Path:
    """The real path of the project-relative ``relative`` (``/``-separated), resolved one
    component at a time as the kernel would, refusing it when it leaves the project.

    A symlink is followed only where its target stays inside the project (a link to another file
    of the project is fine); a ``..`` or a link that leaves it, or any ``.git`` component, is a
    ``ConfinementError`` before anything is read or written. Components that do not exist yet
    (what a write creates) resolve as they are spelled.
    """
    problem = _spelling_problem(relative)
    if problem:
        raise ConfinementError(path=relative, message=problem)
    root = os.path.realpath(project_dir)
    spellings_of_root = (root, os.path.abspath(project_dir))
    pending = list(reversed(relative.split("/")))
    current, links, link = root, 0, ""
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part.lower() == GIT_DIR:
            raise ConfinementError(path=relative, message=link + _UNDER_GIT)
        if part == "..":
            if current == root:
                raise ConfinementError(path=relative, message=link + _OUTSIDE)
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            target = os.readlink(candidate)
        except OSError:  # not a link: a file, a directory, or not there yet
            current = candidate
            continue
        links += 1
        if links > _MAX_LINKS:
            raise ConfinementError(path=relative, message="has too many levels of symlinks")
        linked = os.path.relpath(candidate, root)
        link = f"{'' if linked == relative else linked + ' '}links to {target}, which "
        if os.path.isabs(target):
            below = [_below(root_spelling, target) for root_spelling in spellings_of_root]
            rest = next((parts for parts in below if parts is not None), None)
            if rest is None:
                raise ConfinementError(path=relative, message=link + _OUTSIDE)
            current, target = root, "/".join(rest)
        pending += reversed(target.split("/"))
    return Path(current)


def _spelling_problem(relative: str) -> str | None:
    if not relative:
        return "is an empty path"
    if "\0" in relative:
        return "holds a NUL character, which no file name can"
    if relative.startswith("/"):
        return "is an absolute path; name a file inside the project, relative to it"
    return None


def _below(root: str, target: str) -> list[str] | None:
    """The components of the absolute ``target`` below ``root``, or None when it is not under
    ``root``. Its ``..`` components stay for the walk, which resolves them as the kernel does."""
    root_parts = [part for part in root.split("/") if part]
    parts = [part for part in target.split("/") if part not in ("", ".")]
    if parts[: len(root_parts)] != root_parts:
        return None
    return parts[len(root_parts) :]


def _not_regular(status: os.stat_result) -> str | None:
    """Why a file with ``status`` is no file for envsync, or None."""
    if stat.S_ISREG(status.st_mode):
        return None
    kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a regular file")
    return f"{kind}, not a regular file; envsync reads and writes regular files only"


def _where(project_dir: Path, relative: str, real: Path) -> str:
    """``is `` or ``links to <real>, `` before what the file at ``real`` is."""
    spelled = Path(os.path.abspath(project_dir / relative))
    return "is " if spelled == real else f"links to {real}, "


def read(project_dir: Path, relative: str) -> TextFile | None:
    """The project file ``relative``'s text, or None when it does not exist."""
    real = inside(project_dir, relative)
    try:
        # Checked before opening: opening a device can act on it. O_NONBLOCK keeps a FIFO
        # swapped in after the check from blocking the open; fstat then sees it.
        problem = _not_regular(real.stat())
        if problem is None:
            flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW
            descriptor = os.open(real, flags)
            with os.fdopen(descriptor, "rb") as handle:
                problem = _not_regular(os.fstat(descriptor))
                data = b"" if problem else handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FormatError(path=relative, message=f"cannot be read: {error.strerror}") from None
    if problem:
        where = _where(project_dir, relative, real)
        raise FormatError(path=relative, message=where + problem)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(
            path=relative, message=f"is not UTF-8 text (byte {error.start})"
        ) from None
    if text.startswith(BOM):
        return TextFile(text[1:], True)
    return TextFile(text, False)


def keep_conventions(old: str | None, new: str) -> str:
    """``new`` with ``old``'s line endings and final-newline convention.

    Edits splice lines in; a file written with CRLF only stays CRLF only, and a file without a
    final newline does not gain one because a line was appended to it.
    """
    if not old:
        return new
    if "\r\n" in old and "\n" not in old.replace("\r\n", ""):
        new = new.replace("\r\n", "\n").replace("\n", "\r\n")
    if not old.endswith("\n"):
        new = new.removesuffix("\n").removesuffix("\r")
    return new


def write(project_dir: Path, relative: str, text: str, *, bom: bool, new_mode: int) -> None:
    """Replace the project file ``relative``'s content atomically, keeping its mode and owner
    (``new_mode`` if new)."""
    shown = relative
    real = inside(project_dir, relative)
    data = ((BOM if bom else "") + text).encode("utf-8")
    import tempfile  # only writes need it: `envsync check` never imports it

    existing = _stat(real, shown)
    check_writable(project_dir, relative)
    owner = _owner_of_new_files(real) if existing is None else None
    try:
        _make_directories(real.parent, owner)
        _remove_stale_temporaries(real)
        descriptor, temporary = tempfile.mkstemp(
            dir=real.parent, prefix=f".{real.name}.", suffix=TEMPORARY_SUFFIX
        )
    except OSError as error:
        raise EnvsyncError(f"{shown}: cannot be written: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if existing is not None:
                _keep_owner(handle.fileno(), existing)
            elif owner is not None:
                os.fchown(handle.fileno(), *owner)
            # mkstemp creates the file 0600, so the content is never readable by others before
            # the file has its final mode.
            os.fchmod(handle.fileno(), new_mode if existing is None else existing.st_mode & 0o7777)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, real)
        _fsync_directory(real.parent)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise EnvsyncError(f"{shown}: cannot be written: {error.strerror}") from None
        raise


def _stat(real: Path, shown: str) -> os.stat_result | None:
    try:
        return real.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise EnvsyncError(f"{shown}: cannot be read: {error.strerror}") from None


def _owner_of_new_files(real: Path) -> tuple[int, int] | None:
    """As root, the (uid, gid) a new file takes: its directory's, so that ``sudo envsync
    render`` in a user's project does not leave files (0600: unreadable) that only root owns.

    The nearest existing directory decides, since the ones between are created with the file.
    """
    if os.geteuid() != 0:
        return None
    directory = next(p for p in real.parents if p.exists())
    status = directory.stat()
    return None if status.st_uid == 0 else (status.st_uid, status.st_gid)


def _make_directories(directory: Path, owner: tuple[int, int] | None) -> None:
    missing = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    if owner is not None:
        for created in missing:
            os.chown(created, *owner)


def _keep_owner(descriptor: int, existing: os.stat_result) -> None:
    # As root (sudo envsync render), the new file would otherwise belong to root and lock its
    # owner out; as anyone else, chown to another user fails and the file becomes the writer's.
    if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):
            os.fchown(descriptor, existing.st_uid, existing.st_gid)


def _remove_stale_temporaries(real: Path) -> None:
    """Temporary files of ``real`` left by a run that was killed mid-write.

    Only called under the project lock, so no other run is writing them.
    """
    for stale in real.parent.glob(f".{real.name}.*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _dangling_link(path: Path) -> Path | None:
    """The symlink among ``path`` and its parents that points to nothing, if any."""
    absolute = Path(os.path.abspath(path))
    for candidate in (absolute, *absolute.parents):
        if candidate.exists():
            return None
        if candidate.is_symlink():
            return candidate
    return None


def check_writable(project_dir: Path, relative: str) -> None:
    """Refuse before anything is written, so a read-only file does not leave the others new.

    The file's write bit is honoured even for root, who may write anything: a file made
    read-only was made so on purpose.
    """
    shown = relative
    real = inside(project_dir, relative)
    existing = _stat(real, shown)
    problem = _not_regular(existing) if existing is not None else None
    if problem:
        raise EnvsyncError(f"{shown}: {_where(project_dir, relative, real)}{problem}")
    link = _dangling_link(project_dir / relative) if existing is None else None
    if link is not None:
        raise EnvsyncError(
            f"{shown}: {link} links to {os.readlink(link)}, which does not exist; envsync "
            "creates no file through it: create the target or remove the link"
        )
    if existing is not None and (
        not existing.st_mode & stat.S_IWUSR or not os.access(real, os.W_OK)
    ):
        raise EnvsyncError(f"{shown}: is read-only; make it writable and run again")
    directory = next((p for p in real.parents if p.exists()), None)
    if directory is not None and not os.access(directory, os.W_OK | os.X_OK):
        raise EnvsyncError(f"{shown}: directory {directory} is not writable")


@contextlib.contextmanager
def project_lock(project_dir: Path, timeout: float = 60) -> Iterator[None]:
    """Serialise envsync runs on one project, so two renders never interleave their writes.

    An flock on the project directory itself: no file appears in the project, every user and
    every TMPDIR sees the same lock, and the kernel releases it when a run dies, even by SIGKILL.
    """
    try:
        descriptor = os.open(project_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise EnvsyncError(f"{project_dir}: cannot be opened: {error.strerror}") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EnvsyncError(
                        f"{project_dir.absolute()}: another envsync run has held the project "
                        "lock for "
                        f"{timeout:.0f} s"
                    ) from None
                time.sleep(_LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def all_or_nothing(project_dir: Path, paths: list[str]) -> Iterator[None]:
    """Every file in ``paths`` ends old or new together: when the block fails, each file it
    already wrote gets its old bytes and mode back, and each file it created is removed.

    The old bytes are put back without ``write``, so whatever made a write fail does not also
    stop the restore.
    """
    saved: dict[Path, tuple[bytes, int] | None] = {}
    for path in dict.fromkeys(paths):
        real = inside(project_dir, path)
        try:
            saved[real] = (real.read_bytes(), real.stat().st_mode & 0o7777)
        except FileNotFoundError:
            saved[real] = None
        except OSError as error:
            raise EnvsyncError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        yield
    except BaseException:
        for real, old in saved.items():
            _put_back(real, old)
        raise


def _put_back(real: Path, old: tuple[bytes, int] | None) -> None:
    if old is None:
        with contextlib.suppress(FileNotFoundError):
            real.unlink()
        return
    data, mode = old
    with contextlib.suppress(FileNotFoundError):
        if real.read_bytes() == data and real.stat().st_mode & 0o7777 == mode:
            return
    import tempfile

    descriptor, temporary = tempfile.mkstemp(
        dir=real.parent, prefix=f".{real.name}.", suffix=TEMPORARY_SUFFIX
    )
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, real)
