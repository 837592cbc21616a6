"""The project's files, as discovery walks them: deep enough for a backend's own directory,
never into tools' and dependencies' directories."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        "node_modules",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "dist",
        "build",
        "site-packages",
        ".envsync",
        ".idea",
        ".vscode",
    }
)
_MAX_DEPTH = 4
_EXAMPLE = re.compile(r"example|sample|template|dist|tmpl", re.I)
WORKFLOWS = ".github/workflows"


def project_files(project_dir: Path) -> list[str]:
    """Every file of the project (relative, posix), shallow ones first, skipping tool and
    dependency directories; of ``.github``, only the workflows."""
    found = []
    root = project_dir.resolve()
    for directory, dirs, files in os.walk(root):
        relative = Path(directory).relative_to(root)
        depth = len(relative.parts)
        dirs[:] = sorted(
            d for d in dirs if d not in _SKIP_DIRS and depth < _MAX_DEPTH and d != ".github"
        )
        if depth == 0 and (root / WORKFLOWS).is_dir():
            workflows = sorted(f"{WORKFLOWS}/{name}" for name in os.listdir(root / WORKFLOWS))
            found += [name for name in workflows if (root / name).is_file()]
        found += sorted((relative / name).as_posix() for name in files)
    return sorted(found, key=lambda path: (path.count("/"), path))


def is_env_file(path: str) -> bool:
    posix = PurePosixPath(path)
    name = posix.name
    if name == ".envrc":
        return False
    if ".envs" in posix.parts[:-1]:
        return True
    return name == ".env" or name.startswith((".env.", ".env-", ".env_")) or name.endswith(".env")


def is_example(path: str) -> bool:
    return bool(_EXAMPLE.search(PurePosixPath(path).name))


def is_workflow(path: str) -> bool:
    return path.startswith(f"{WORKFLOWS}/") and path.endswith((".yml", ".yaml"))
