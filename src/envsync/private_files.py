"""Run by Copier after it writes a project (copier.yml's ``_tasks``).

Copier gives every file its template file's mode, 0644 from git; the files that may hold the
password are made readable by their owner only, the mode ``envsync render`` creates them with.
"""

from __future__ import annotations

import os
from pathlib import Path

from envsync import answers, project
from envsync.render import render_path


def private_paths(project_dir: Path) -> list[str]:
    """The project-relative files that may hold the password: the answers and the private
    managed files of the project's secret_storage mode."""
    loaded = answers.load(project_dir)
    paths = [render_path(m.template, loaded) for m in project.MANAGED_FILES if m.private]
    return [answers.ANSWERS_FILE, *(path for path in paths if path)]


def restrict(project_dir: Path) -> None:
    for name in private_paths(project_dir):
        path = project_dir / name
        # A symlink's target belongs to whoever linked it; Copier itself never makes one here.
        if path.is_file() and not path.is_symlink():
            os.chmod(path, project.PRIVATE_MODE)


if __name__ == "__main__":
    restrict(Path.cwd())
