"""``envsync db up | down | status``: the project's compose database service, without Docker.

The server is started from what compose would give the container (the ``POSTGRES_*`` values after
interpolation, the published host port), read from the compose file(s) the map names, and its
data directory lives in the project like a volume: ``.envsync/volumes/<service>``, git-ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsync.live import driver, postmaster, project_database, run_as, server
from envsync.live.project_database import VOLUMES_DIR, ProjectDatabase

__all__ = ["VOLUMES_DIR", "Started", "State", "down", "state", "up"]

_OPENED = "opened"


@dataclass(frozen=True)
class Started:
    database: ProjectDatabase
    host: str
    port: int
    #: The volume existed and refuses the compose file's POSTGRES_* (the image ignores changes).
    stale_volume: bool
    #: Directories outside the project given o+x so the server's user reaches its volume.
    opened: tuple[Path, ...] = ()

    @property
    def service(self) -> str:
        return self.database.service


def up(project_dir: Path) -> Started:
    """Start the service's server; one already running on another port moves to the files' port."""
    database = project_database.load(project_dir)
    spec = database.spec
    state = project_database.state_dir(project_dir)
    opened = _open_for_server(state, spec.data_dir)
    reused = server.initialised(spec.data_dir)
    running = server.status(spec.data_dir)
    if running is not None and running.port != spec.port:
        server.check_port_free(spec.port)
        server.stop(spec.data_dir)
    running = server.start(spec)
    # The compose file's login is the proof that the volume is up to date.
    login = driver.Login("127.0.0.1", running.port, spec.user, spec.database, spec.password)
    stale = reused and not driver.logs_in(login)
    return Started(database, running.host, running.port, stale, opened)


def _open_for_server(state: Path, data_dir: Path) -> tuple[Path, ...]:
    """Open the way to the volume for the server's user (as root), recording what was opened
    outside the project in ``.envsync/opened``, so that ``db down`` can close it again."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    identity = run_as.server_identity(data_dir)
    outside = [p for p in run_as.grant_traversal(data_dir, identity) if state not in p.parents]
    outside = [p for p in outside if p != state]
    _record(state, outside)
    return tuple(outside)


def _record(state: Path, opened: list[Path]) -> None:
    """Add ``opened`` to the directories ``db down`` closes (``state``'s ``opened``)."""
    if not opened:
        return
    record = state / _OPENED
    known = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
    lines = list(dict.fromkeys([*known, *map(str, opened)]))
    record.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _state_of(data_dir: Path) -> Path | None:
    """The ``.envsync`` directory of the project whose volume ``data_dir`` is, if it is one."""
    volumes = data_dir.parent
    state = volumes.parent
    if volumes.name == VOLUMES_DIR.name and state.name == project_database.STATE_DIR:
        return state if state.is_dir() else None
    return None


@dataclass(frozen=True)
class Stopped:
    stopped: bool  # False: no server ran
    closed: tuple[Path, ...]  # directories closed again (o-x)
    # Directories left open, each with the data directory of the running server that needs it.
    left_open: tuple[tuple[Path, Path], ...] = ()


def down(project_dir: Path) -> Stopped:
    """Stop the server and close what ``up`` opened for it, except what another running server
    of ours still needs: its project's record takes that over, so the last server down closes
    it."""
    state = project_dir / project_database.STATE_DIR
    stopped = server.stop(project_database.load(project_dir).spec.data_dir)
    record = state / _OPENED
    if not record.is_file():
        return Stopped(stopped, ())
    opened = [Path(line) for line in record.read_text(encoding="utf-8").splitlines() if line]
    record.unlink()
    others = [data_dir.resolve() for data_dir in postmaster.running_data_dirs()]
    closing = []
    left_open = []
    for directory in opened:
        user = next((d for d in others if directory.resolve() in d.parents), None)
        if user is None:
            closing.append(directory)
        else:
            _record(_state_of(user) or state, [directory])
            left_open.append((directory, user))
    return Stopped(stopped, tuple(run_as.close_traversal(closing)), tuple(left_open))


@dataclass(frozen=True)
class State:
    database: ProjectDatabase
    running: bool
    host: str | None
    port: int | None
    initialised: bool

    @property
    def service(self) -> str:
        return self.database.service


def state(project_dir: Path) -> State:
    database = project_database.load(project_dir)
    current = server.status(database.spec.data_dir)
    return State(
        database=database,
        running=current is not None,
        host=current.host if current else None,
        port=current.port if current else None,
        initialised=server.initialised(database.spec.data_dir),
    )
