"""Run by Copier after it writes a project (copier.yml's ``_tasks``).

Copier gives every file its template file's mode, 0644 from git; the files that may hold the
password are made readable by their owner only, the mode ``envsync render`` creates them with.
"""

from __future__ import annotations

import os
from pathlib import Path

from envsync import answers, file_io, plan
from envsync import facts as facts_module
from envsync.apply import PRIVATE_MODE


def private_paths(project_dir: Path) -> list[str]:
    """The project-relative files that hold a secret: the answers and every file with a place
    that spells a secret fact (the map says which)."""
    place_map, _ = plan.load(project_dir)
    facts = facts_module.load(project_dir, place_map)
    return [answers.ANSWERS_FILE, *sorted(plan.private_files(place_map, facts))]


def restrict(project_dir: Path) -> None:
    for name in private_paths(project_dir):
        path = project_dir / name
        # A symlink's target belongs to whoever linked it; Copier itself never makes one here.
        if path.is_file() and not path.is_symlink():
            os.chmod(file_io.inside(project_dir, name), PRIVATE_MODE)


if __name__ == "__main__":
    restrict(Path.cwd())
