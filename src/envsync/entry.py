"""The ``envsync`` console script. ``check`` runs on every commit, so it never loads the CLI: a
clean check whose inputs did not change is answered from the check cache, and any other check
goes straight to its command (no Typer, Jinja or Copier on its path). Everything else goes to the
Typer app."""

from __future__ import annotations

import sys

_FLAGS = {"--json": "json", "--show-secrets": "show_secrets", "--quiet": "quiet", "-q": "quiet"}


def _plain_check(arguments: list[str]) -> tuple[str, set[str]] | None:
    """(project, the flags given: json, show_secrets, quiet) of ``check [--project DIR | -C
    DIR] [--json] [--show-secrets] [-q | --quiet]``; None for anything else (``--help``, a typo:
    the Typer app answers). No dataclass: the cached answer must not pay for importing
    ``dataclasses``."""
    if not arguments or arguments[0] != "check":
        return None
    project, flags = ".", set()
    rest = iter(arguments[1:])
    for argument in rest:
        if argument in ("--project", "-C"):
            given = next(rest, None)
            if given is None:
                return None
            project = given
        elif argument.startswith("--project="):
            project = argument.removeprefix("--project=")
        elif argument in _FLAGS:
            flags.add(_FLAGS[argument])
        else:
            return None
    return project, flags


def main() -> None:
    plain = _plain_check(sys.argv[1:])
    if plain is None:
        from envsync.cli import app

        app()
        return
    from envsync import check_cache, colour, project_root

    start, flags = plain
    project = project_root.find(start)
    in_colour = colour.enabled(sys.stdout.isatty())
    if "json" not in flags and check_cache.answer(project):
        if "quiet" not in flags:
            print(colour.paint("in sync", "green", on=in_colour))
        return
    from envsync import git_listing

    # Before the check loads: git lists and greps on one core while Python imports the engine.
    git = git_listing.Started(project)
    from pathlib import Path

    from envsync.commands import check

    outcome = check.run(
        Path(project),
        as_json="json" in flags,
        show_secrets="show_secrets" in flags,
        quiet="quiet" in flags,
        colour=in_colour,
        git=git,
    )
    for line in outcome.out:
        print(line)
    for line in outcome.err:
        print(line, file=sys.stderr)
    sys.exit(outcome.code)
