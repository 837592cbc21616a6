"""The project a command works on, found from a subfolder as git and pre-commit find theirs.

A project is the directory holding the map (``envsync.toml``) or Copier's answers file. From
the directory a command starts in, the search goes upwards and stops at the first directory that
holds ``.git`` (the repository root: a project never lies above its repository); without git,
at the filesystem root. When nothing is found the start is the answer, so the usual "not
found" message names the directory the user gave.

It runs in the console script's fast path (a warm ``envsync check``): ``os`` only.
"""

from __future__ import annotations

import os

# The files that make a directory a project (places/map_file.MAP_FILE, answers.ANSWERS_FILE),
# spelled here so the fast path imports neither module.
MARKERS = ("envsync.toml", ".copier-answers.yml")
REPOSITORY_MARKER = ".git"


def find(start: str) -> str:
    """The nearest directory from ``start`` upwards that holds a project, else ``start``."""
    directory = os.path.abspath(start)
    while True:
        if any(os.path.isfile(os.path.join(directory, name)) for name in MARKERS):
            return directory if directory != os.path.abspath(start) else start
        parent = os.path.dirname(directory)
        if os.path.exists(os.path.join(directory, REPOSITORY_MARKER)) or parent == directory:
            return start
        directory = parent
