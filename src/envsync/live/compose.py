"""docker compose, asked about this project's database service.

Every question here needs a Docker engine; without one the answer is "not running", and
:func:`engine_problem` says why in a few words instead of the daemon's error text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Container",
    "compose_argv",
    "conninfo",
    "engine_problem",
    "exec_psql_argv",
    "login_problem",
    "psql_script",
    "publisher",
    "run",
    "running_container",
]

_TIMEOUT = 10
_LOGIN_TIMEOUT = 5
#: The port the postgres image listens on inside its container.
CONTAINER_PORT = 5432


@dataclass(frozen=True)
class Container:
    """A running container of the project's database service and the host ports it publishes."""

    name: str
    service: str
    published: tuple[int, ...]
    #: The compose files it was found with (``-f``); empty: compose's own lookup.
    files: tuple[str, ...] = ()


def compose_argv(files: Sequence[str] = ()) -> list[str]:
    """``docker compose`` for the project's files, as ``-f`` options (none: compose's lookup)."""
    return ["docker", "compose", *(option for name in files for option in ("-f", name))]


def exec_psql_argv(service: str, user: str, database: str, files: Sequence[str] = ()) -> list[str]:
    """``psql`` inside the service's container, reading SQL from stdin as one transaction.

    Inside the official image the local socket trusts every role, so no password is needed.
    The SQL goes on stdin (``-f -``) so that a password never shows in the process list.
    """
    return [
        *compose_argv(files), "exec", "-T", service,
        "psql", "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
        "-U", user, "-d", database, "-f", "-",
    ]  # fmt: skip


def psql_script(statements: Sequence[str]) -> str:
    """What :func:`exec_psql_argv` reads on stdin: one statement per line."""
    return "".join(f"{statement};\n" for statement in statements)


def conninfo(**parameters: str) -> str:
    """A libpq connection string, every value quoted (a name may hold spaces, quotes, ``=``)."""
    return " ".join(f"{key}={_quoted(value)}" for key, value in parameters.items())


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def login_problem(
    project_dir: Path, container: Container, user: str, password: str, database: str
) -> str | None:
    """Why ``user`` cannot log in to ``database`` with ``password``, or ``None`` when it can.

    The login goes the way the application service's goes: from inside the container to its
    own network address, where the image's ``pg_hba.conf`` asks for the password (its local
    socket and 127.0.0.1 trust everyone, so a login there proves nothing), and never to a host
    port, which the service may not publish. The password travels in ``PGPASSWORD``, handed to
    ``docker compose exec -e`` through the environment, never on a command line.
    """
    address = _network_address(container.name)
    if address is None:
        return f"container {container.name} has no network address to log in on"
    target = conninfo(
        host=address,
        port=str(CONTAINER_PORT),
        user=user,
        dbname=database,
        connect_timeout=str(_LOGIN_TIMEOUT),
    )
    argv = [
        *compose_argv(container.files), "exec", "-T", "-e", "PGPASSWORD", container.service,
        "psql", "-X", "-w", "-q", "-At", "-c", "SELECT 1", target,
    ]  # fmt: skip
    environment = {**os.environ, "PGPASSWORD": password}
    result = run(argv, project_dir, env=environment, timeout=_TIMEOUT * 3)
    if result is None:
        return f"docker compose exec {container.service} psql did not finish"
    if result.returncode == 0 and result.stdout.strip() == "1":
        return None
    lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
    return lines[-1].strip()


def publisher(port: int) -> str | None:
    """The container that publishes host ``port``, with its compose project, for a message."""
    if engine_problem() is not None:
        return None
    result = run(
        [
            "docker", "ps", "--filter", f"publish={port}", "--format",
            '{{.Names}}\t{{.Label "com.docker.compose.project"}}',
        ]
    )  # fmt: skip
    if result is None or result.returncode != 0 or not result.stdout.strip():
        return None
    name, _, project = result.stdout.splitlines()[0].partition("\t")
    return f"container {name} of compose project {project}" if project else f"container {name}"


def engine_problem() -> str | None:
    """Why docker compose cannot be asked anything here, or ``None`` when it can."""
    if shutil.which("docker") is None:
        return "docker is not on PATH"
    result = run(["docker", "version", "--format", "{{.Server.Version}}"])
    return None if result is not None and result.returncode == 0 else "no Docker engine"


def running_container(
    project_dir: Path, service: str, files: Sequence[str] = ()
) -> Container | None:
    """The service's running container in this compose project (of ``files``, relative to
    ``project_dir``), or ``None`` (also without an engine or the compose plugin: either way
    compose does not run this project's database)."""
    if engine_problem() is not None:
        return None
    result = run(
        [*compose_argv(files), "ps", "--status", "running", "--format", "json", service],
        project_dir,
    )
    if result is None or result.returncode != 0:
        return None
    for entry in _entries(result.stdout):
        if entry.get("Service") != service:
            continue
        ports = tuple(
            int(publisher["PublishedPort"])
            for publisher in entry.get("Publishers") or []
            if publisher.get("PublishedPort")
        )
        return Container(str(entry.get("Name", service)), service, ports, tuple(files))
    return None


def _network_address(name: str) -> str | None:
    """The container's address on one of its networks (the first by name), if it has one."""
    result = run(["docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", name])
    if result is None or result.returncode != 0:
        return None
    networks: dict[str, dict[str, Any]] = json.loads(result.stdout) or {}
    addresses = [str(networks[key].get("IPAddress") or "") for key in sorted(networks)]
    return next((address for address in addresses if address), None)


def run(
    argv: Sequence[str],
    cwd: Path | None = None,
    *,
    env: dict[str, str] | None = None,
    timeout: float = _TIMEOUT,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str] | None:
    """``argv`` (``docker ...``) run to the end with its output captured, or ``None`` when it
    could not be (not on PATH, or not done within ``timeout`` seconds): the one way the live
    commands ask Docker anything."""
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _entries(text: str) -> list[dict[str, Any]]:
    """Compose 2.21+ prints one JSON object per line; older releases print one JSON array."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]
