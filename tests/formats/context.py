"""A document's context for format tests: a project directory and the other files' texts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from envsync.formats import Context


def context(
    path: str,
    project_dir: Path = Path("."),
    *,
    files: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Context:
    others = dict(files or {})
    return Context(path, project_dir, environ or {}, others.get)
