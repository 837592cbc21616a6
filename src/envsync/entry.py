"""The ``envsync`` console script. ``check`` runs on every commit, so it never loads the CLI: a
clean check whose inputs did not change is answered from the check cache, and any other check
goes straight to its command (no Typer, Jinja or Copier on its path). Everything else goes to the
Typer app."""

from __future__ import annotations

import sys


def _plain_check(arguments: list[str]) -> tuple[str, bool, bool] | None:
    """(project, --json, --show-secrets) of ``check [--project DIR | -C DIR] [--json]
    [--show-secrets]``; None for anything else (``--help``, a typo: the Typer app answers).
    A tuple, not a dataclass: the cached answer must not pay for importing ``dataclasses``."""
    if not arguments or arguments[0] != "check":
        return None
    project, as_json, show_secrets = ".", False, False
    rest = iter(arguments[1:])
    for argument in rest:
        if argument in ("--project", "-C"):
            given = next(rest, None)
            if given is None:
                return None
            project = given
        elif argument.startswith("--project="):
            project = argument.removeprefix("--project=")
        elif argument == "--json":
            as_json = True
        elif argument == "--show-secrets":
            show_secrets = True
        else:
            return None
    return project, as_json, show_secrets


def main() -> None:
    plain = _plain_check(sys.argv[1:])
    if plain is None:
        from envsync.cli import app

        app()
        return
    from envsync import check_cache, project_root

    start, as_json, show_secrets = plain
    project = project_root.find(start)
    if not as_json and check_cache.answer(project):
        print("in sync")
        return
    from pathlib import Path

    from envsync.commands import check

    outcome = check.run(Path(project), as_json=as_json, show_secrets=show_secrets)
    for line in outcome.out:
        print(line)
    for line in outcome.err:
        print(line, file=sys.stderr)
    sys.exit(outcome.code)
