"""The ``envsync`` console script: a clean ``check`` whose inputs did not change is answered
from the check cache, before the CLI and its libraries are imported; everything else goes to
the Typer app."""

from __future__ import annotations

import sys


def _project_of_plain_check(arguments: list[str]) -> str | None:
    """The project of ``check [--project DIR | -C DIR]``; None for anything else."""
    if not arguments or arguments[0] != "check":
        return None
    rest = arguments[1:]
    if not rest:
        return "."
    if len(rest) == 2 and rest[0] in ("--project", "-C"):
        return rest[1]
    if len(rest) == 1 and rest[0].startswith("--project="):
        return rest[0].removeprefix("--project=")
    return None


def main() -> None:
    project = _project_of_plain_check(sys.argv[1:])
    if project is not None:
        from envsync import check_cache, project_root

        if check_cache.answer(project_root.find(project)):
            print("in sync")
            return
    from envsync.cli import app

    app()
