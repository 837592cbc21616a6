"""The ``envsync`` command: parse arguments, call the engine, print, map errors to exit codes.

0 success or in sync; 1 drift or a problem found; 2 bad input (an ``EnvsyncError``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from envsync import installed, project_root
from envsync.commands.outcome import Outcome
from envsync.errors import EnvsyncError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Keep database credentials in step across compose, .env, alembic.ini and CLAUDE.md.",
)

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project",
        "-C",
        help="Project directory (default: found upwards from here, up to the repository root).",
        file_okay=False,
        callback=lambda start: Path(project_root.find(str(start))),
    ),
]
ShowSecrets = Annotated[
    bool, typer.Option("--show-secrets", help="Print passwords instead of masking them.")
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only findings and errors (for hooks and scripts)."),
]

P = ParamSpec("P")
R = TypeVar("R")


def _print_version(value: bool) -> None:
    if value:
        # The template's commit beside the version: whether the command and the template agree.
        commit = installed.template_commit()
        typer.echo(f"envsync {installed.version()}" + (f" (template {commit})" if commit else ""))
        raise typer.Exit()


@app.callback()
def main(
    _version_option: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Options that come before the command: --version."""


def _user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Every ``EnvsyncError`` becomes its one-line message on stderr and exit code 2."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except EnvsyncError as error:
            typer.echo(f"envsync: {error}", err=True)
            raise typer.Exit(2) from None

    return run


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one (COLUMNS wins, as everywhere); None when piped:
    a pipe gets every row whole."""
    import shutil
    import sys

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _colour() -> bool:
    """Colour on a terminal; NO_COLOR turns it off, FORCE_COLOR on (even when piped)."""
    import sys

    from envsync import colour

    return colour.enabled(sys.stdout.isatty())


def _print(outcome: Outcome) -> None:
    # Lines carry colour only when _colour() allowed it; echo must then keep it, even piped.
    for line in outcome.out:
        typer.echo(line, color=True)
    for line in outcome.err:
        typer.echo(line, err=True)
    if outcome.code:
        raise typer.Exit(outcome.code)


@app.command()
@_user_errors
def render(
    project_dir: ProjectDir = Path("."),
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Write nothing; name each file that would change; exit 1 if any."
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Write nothing; print a unified diff (secrets masked); exit 1 if it is not empty.",
        ),
    ] = False,
    show_secrets: ShowSecrets = False,
    quiet: Quiet = False,
) -> None:
    """Repair drift: write every place of envsync.toml that differs from the facts.

    A preview with --dry-run or --diff writes nothing: exit 1 if anything would change, else 0.
    """
    from envsync.commands import render as render_command

    outcome = render_command.run(
        project_dir,
        dry_run=dry_run,
        show_diff=diff,
        show_secrets=show_secrets,
        quiet=quiet,
        colour=_colour(),
    )
    _print(outcome)


@app.command()
def check(
    project_dir: ProjectDir = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    show_secrets: ShowSecrets = False,
    quiet: Quiet = False,
) -> None:
    """Report drift and change nothing: exit 0 in sync, 1 drift, 2 bad input."""
    from envsync.commands import check as check_command

    outcome = check_command.run(
        project_dir, as_json=as_json, show_secrets=show_secrets, quiet=quiet, colour=_colour()
    )
    _print(outcome)


FilesOnly = Annotated[
    bool, typer.Option("--files-only", help="Change the files only, not the running database.")
]


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="SERVICE",
        help="A second database of the map (its compose service); default: the project's.",
    ),
]


@app.command("set")
@_user_errors
def set_command(
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="KEY=VALUE facts to change; SERVICE.KEY=VALUE for a second database of the map "
            "(db_test.db_password=...)."
        ),
    ],
    project_dir: ProjectDir = Path("."),
    files_only: FilesOnly = False,
    quiet: Quiet = False,
) -> None:
    """Change answers (validated): the running database first, then every file."""
    from envsync.commands import set as set_module

    _print(set_module.run(project_dir, assignments, files_only=files_only, quiet=quiet))


@app.command()
@_user_errors
def rotate(
    project_dir: ProjectDir = Path("."),
    files_only: FilesOnly = False,
    quiet: Quiet = False,
    database: DatabaseOption = None,
) -> None:
    """Give the database a new random password: the running database first, then every file."""
    from envsync.commands import set as set_module

    _print(set_module.rotate(project_dir, files_only=files_only, quiet=quiet, database=database))


db_app = typer.Typer(
    no_args_is_help=True,
    # Rich markup would read [embedded] as a style tag and drop it.
    help="The compose file's database service without Docker (needs envsync\\[embedded]).",
)
app.add_typer(db_app, name="db")


@db_app.command("up")
@_user_errors
def db_up(project_dir: ProjectDir = Path(".")) -> None:
    """Start the map's compose database service, initialising its volume once."""
    from envsync.live import local_database

    started = local_database.up(project_dir)
    typer.echo(
        f"database {started.service} listening on {started.host}:{started.port} "
        f"(data: {local_database.VOLUMES_DIR / started.service}); stop it with `envsync db down`"
    )
    for directory in started.opened:
        typer.echo(
            f"opened {directory} to others for search only (o+x) so the server's user reaches "
            "its data; `envsync db down` closes it again"
        )
    if started.stale_volume:
        typer.echo(
            "already initialised: changed POSTGRES_* are not applied (like the postgres image); "
            "`envsync set` changes a running database, `envsync doctor` tells how"
        )


@db_app.command("down")
@_user_errors
def db_down(project_dir: ProjectDir = Path(".")) -> None:
    """Stop the embedded database; its data directory is kept, like a volume."""
    from envsync.live import local_database

    result = local_database.down(project_dir)
    typer.echo("stopped" if result.stopped else "not running")
    for directory in result.closed:
        typer.echo(
            f"closed {directory} again (o-x): opened by `envsync db up` for the server's user"
        )
    for directory, needed_by in result.left_open:
        typer.echo(
            f"left {directory} open (o+x): the envsync server of {needed_by} still needs it; "
            "its `envsync db down` closes it"
        )


@db_app.command("status")
@_user_errors
def db_status(project_dir: ProjectDir = Path(".")) -> None:
    """Where the embedded database listens and which data directory it uses (exit 1: down)."""
    from envsync.live import local_database

    state = local_database.state(project_dir)
    data = local_database.VOLUMES_DIR / state.service
    if state.running:
        typer.echo(f"running on {state.host}:{state.port}, data directory {data}")
        return
    initialised = "initialised" if state.initialised else "not initialised"
    typer.echo(f"not running; data directory {data} ({initialised})")
    raise typer.Exit(1)


_MARKS = {"ok": ("✓", "green"), "problem": ("✗", "red"), "skipped": ("-", "yellow")}


@app.command()
@_user_errors
def doctor(
    project_dir: ProjectDir = Path("."),
    show_secrets: ShowSecrets = False,
    database: DatabaseOption = None,
) -> None:
    """Live checks: server reachable, credentials accepted, database, pgvector, Alembic head."""
    import sys

    from envsync.colour import paint
    from envsync.live.doctor import Status, diagnose

    tty = sys.stdout.isatty()
    in_colour = _colour()
    problems = 0
    checks = diagnose(project_dir, show_secrets=show_secrets, service=database)
    while True:
        if tty:
            typer.echo("… checking", nl=False)
        check = next(checks, None)
        if tty:
            typer.echo("\r\033[K", nl=False)
        if check is None:
            break
        problems += check.status is Status.PROBLEM
        mark, style = _MARKS[check.status.value]
        label = paint(mark if tty else f"[{check.status.value}]", style, on=in_colour)
        typer.echo(f"{label} {check.name}: {check.message}", color=True)
    if problems:
        raise typer.Exit(1)


@app.command()
@_user_errors
def adopt(
    project_dir: ProjectDir = Path("."),
    service: Annotated[
        str | None, typer.Option("--service", help="The database service, when two qualify.")
    ] = None,
    prefer: Annotated[
        str | None,
        typer.Option(
            "--prefer", help="The place holding the truth when places differ: FILE or 'FILE: KEY'."
        ),
    ] = None,
    add_port: Annotated[
        bool,
        typer.Option(
            "--add-port",
            help="Publish the database on 127.0.0.1:db_port when it publishes no port.",
        ),
    ] = False,
    compose_file: Annotated[
        list[str] | None,
        typer.Option(
            "--file",
            "-f",
            help="A compose file of the project, as `docker compose -f` takes it (repeatable).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="A place that belongs to something else: FILE or 'FILE: KEY' (repeatable).",
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="In a managed project: add the places discovery finds that the map lacks.",
        ),
    ] = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """Make an existing project managed: find every place, write the answers and the map."""
    from envsync import adopt as adopt_module
    from envsync.commands import adopt as adopt_command

    options = adopt_module.Options(
        service, prefer, add_port, tuple(compose_file or ()), tuple(exclude or ())
    )
    if update:
        _print(adopt_command.update(project_dir, options))
    else:
        outcome = adopt_command.run(
            project_dir,
            options,
            show_secrets=show_secrets,
            width=_terminal_width(),
            colour=_colour(),
        )
        _print(outcome)
