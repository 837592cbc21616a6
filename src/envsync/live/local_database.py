"""``envsync db up | down | status``: the compose file's database service, without Docker.

The server is started from what compose would give the container (the ``POSTGRES_*`` values after
interpolation, the published host port), and its data directory lives in the project like a
volume: ``.envsync/volumes/<service>``, git-ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsync import file_io
from envsync.errors import FormatError
from envsync.facts import load_answers
from envsync.formats.compose_file import open_document
from envsync.live import driver, server
from envsync.live.server import ServerSpec

COMPOSE_FILE = "docker-compose.yml"
VOLUMES_DIR = Path(".envsync") / "volumes"


def service_spec(project_dir: Path) -> tuple[str, ServerSpec]:
    """Read the database service from docker-compose.yml as compose would resolve it."""
    service = load_answers(project_dir).db_service
    document = open_document(project_dir, COMPOSE_FILE)
    if document is None:
        raise FormatError(path=COMPOSE_FILE, message="not found; run `envsync render` first")
    prefix = f"services.{service}"
    values = {
        key: document.read(f"{prefix}.environment.{key}").value
        for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")
    }
    values["ports"] = document.read(f"{prefix}.ports").value
    missing = [k for k in ("POSTGRES_USER", "POSTGRES_PASSWORD", "ports") if not values.get(k)]
    if missing:
        raise FormatError(
            path=COMPOSE_FILE,
            message=f"{prefix}: {', '.join(missing)} missing; run `envsync render` to restore it",
        )
    host_port = str(values["ports"])
    if not host_port.isdigit():
        raise FormatError(
            path=COMPOSE_FILE,
            message=f"{prefix}.ports publishes 5432 on {host_port!r}, not a port number",
        )
    user = str(values["POSTGRES_USER"])
    return service, ServerSpec(
        user=user,
        password=str(values["POSTGRES_PASSWORD"]),
        # The image's default: POSTGRES_DB falls back to POSTGRES_USER.
        database=str(values.get("POSTGRES_DB") or user),
        port=int(host_port),
        # Resolved inside the project: a cloned repository may commit `.envsync` as a symlink.
        data_dir=file_io.inside(project_dir, f"{VOLUMES_DIR.as_posix()}/{service}"),
    )


@dataclass(frozen=True)
class Started:
    service: str
    spec: ServerSpec
    host: str
    port: int
    #: The volume existed and refuses the compose file's POSTGRES_* (the image ignores changes).
    stale_volume: bool


def up(project_dir: Path) -> Started:
    """Start the service's server; one already running on another port moves to the files' port."""
    service, spec = service_spec(project_dir)
    reused = server.initialised(spec.data_dir)
    running = server.status(spec.data_dir)
    if running is not None and running.port != spec.port:
        server.check_port_free(spec.port)
        server.stop(spec.data_dir)
    running = server.start(spec)
    # The compose file's login is the proof that the volume is up to date.
    login = driver.Login("127.0.0.1", running.port, spec.user, spec.database, spec.password)
    stale = reused and not driver.logs_in(login)
    return Started(service, spec, running.host, running.port, stale)


def down(project_dir: Path) -> bool:
    return server.stop(service_spec(project_dir)[1].data_dir)


@dataclass(frozen=True)
class State:
    service: str
    spec: ServerSpec
    running: bool
    host: str | None
    port: int | None
    initialised: bool


def state(project_dir: Path) -> State:
    service, spec = service_spec(project_dir)
    current = server.status(spec.data_dir)
    return State(
        service=service,
        spec=spec,
        running=current is not None,
        host=current.host if current else None,
        port=current.port if current else None,
        initialised=server.initialised(spec.data_dir),
    )
