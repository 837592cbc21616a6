"""docker compose, asked about this project's database service.

Every question here needs a Docker engine; without one the answer is "not running", and
:func:`engine_problem` says why in a few words instead of the daemon's error text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Container", "engine_problem", "exec_psql_argv", "psql_script", "running_container"]

_TIMEOUT = 10


@dataclass(frozen=True)
class Container:
    """A running container of the project's database service and the host ports it publishes."""

    name: str
    service: str
    published: tuple[int, ...]


def exec_psql_argv(service: str, user: str, database: str) -> list[str]:
    """``psql`` inside the service's container, reading SQL from stdin as one transaction.

    Inside the official image the local socket trusts every role, so no password is needed.
    The SQL goes on stdin (``-f -``) so that a password never shows in the process list.
    """
    return [
        "docker", "compose", "exec", "-T", service,
        "psql", "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
        "-U", user, "-d", database, "-f", "-",
    ]  # fmt: skip


def psql_script(statements: Sequence[str]) -> str:
    """What :func:`exec_psql_argv` reads on stdin: one statement per line."""
    return "".join(f"{statement};\n" for statement in statements)


def engine_problem() -> str | None:
    """Why docker compose cannot be asked anything here, or ``None`` when it can."""
    if shutil.which("docker") is None:
        return "docker is not on PATH"
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "no Docker engine"
    return None if result.returncode == 0 else "no Docker engine"


def running_container(project_dir: Path, service: str) -> Container | None:
    """The service's running container in this compose project, or ``None`` (also without an
    engine or the compose plugin: either way compose does not run this project's database)."""
    if engine_problem() is not None:
        return None
    try:
        result = subprocess.run(
            ["docker", "compose", "ps", "--status", "running", "--format", "json", service],
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    for entry in _entries(result.stdout):
        if entry.get("Service") != service:
            continue
        ports = tuple(
            int(publisher["PublishedPort"])
            for publisher in entry.get("Publishers") or []
            if publisher.get("PublishedPort")
        )
        return Container(str(entry.get("Name", service)), service, ports)
    return None


def _entries(text: str) -> list[dict[str, Any]]:
    """Compose 2.21+ prints one JSON object per line; older releases print one JSON array."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]
