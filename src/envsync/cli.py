"""The ``envsync`` command: parse arguments, call the engine, print, map errors to exit codes.

0 success or in sync; 1 drift or a problem found; 2 bad input (an ``EnvsyncError``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from envsync import file_io, file_modes, local_secret, project
from envsync.answers import Answers
from envsync.drift import shown, visible
from envsync.errors import EnvsyncError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Keep database credentials in step across compose, .env, alembic.ini and CLAUDE.md.",
)

ProjectDir = Annotated[
    Path,
    typer.Option("--project", "-C", help="Project directory.", file_okay=False),
]
ShowSecrets = Annotated[
    bool, typer.Option("--show-secrets", help="Print passwords instead of masking them.")
]

P = ParamSpec("P")
R = TypeVar("R")


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


def _describe(change: project.Change, *, done: bool = True) -> str:
    verb = "create" if change.old is None else "update"
    verb = verb + "d" if done else f"would {verb}"
    keys = ", ".join(f.key for f in change.findings if f.key != "file")
    return f"{verb} {change.path}" + (f" ({keys})" if keys else "")


def _echo_mode_note(
    project_dir: Path, answers: Answers, changes: tuple[project.Change, ...]
) -> None:
    note = file_modes.note(project_dir, project.password_files(answers, changes))
    if note:
        typer.echo(f"note: {note}")


@app.command()
@_user_errors
def render(
    project_dir: ProjectDir = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff (secrets masked).")
    ] = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """Repair drift: write what envsync owns in each file from .copier-answers.yml."""
    with file_io.project_lock(project_dir):
        plan = project.load_plan(project_dir)
        if diff:
            typer.echo(project.diff(plan, show_secrets=show_secrets), nl=False)
        if not dry_run:
            project.apply(project_dir, plan.changes)
    for change in plan.changes:
        typer.echo(_describe(change, done=not dry_run))
    if not plan.changes:
        typer.echo("all files in sync")
    note = None if dry_run else local_secret.note(plan.changes)
    if note:
        typer.echo(note)
    if not dry_run:
        _echo_mode_note(project_dir, plan.answers, plan.changes)


@app.command()
@_user_errors
def check(
    project_dir: ProjectDir = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """Report drift and change nothing: exit 0 in sync, 1 drift, 2 bad input."""
    findings = project.check(project_dir)
    if as_json:
        import json

        report = {
            "in_sync": not findings,
            "findings": [
                {
                    "file": f.path,
                    "key": f.key,
                    "expected": visible(f.expected, secret=f.secret, show_secrets=show_secrets),
                    "found": visible(f.found, secret=f.secret, show_secrets=show_secrets),
                    "secret": f.secret,
                }
                for f in findings
            ],
        }
        typer.echo(json.dumps(report, indent=2))
    else:
        for f in findings:
            expected = shown(f.expected, secret=f.secret, show_secrets=show_secrets)
            found = shown(f.found, secret=f.secret, show_secrets=show_secrets)
            typer.echo(f"{f.path}: {f.key}: expected {expected}, found {found}")
        if findings:
            files = len({f.path for f in findings})
            typer.echo(
                f"{files} file(s) drifted from .copier-answers.yml; run `envsync render` to repair"
            )
            if any(f.key == project.LEAK_KEY for f in findings):
                typer.echo(
                    "the password must stay out of files git tracks: remove it from them, then "
                    "change it (`envsync set db_password=...`), since git history keeps it"
                )
        else:
            typer.echo("in sync")
    if findings:
        raise typer.Exit(1)


@app.command("set")
@_user_errors
def set_command(
    assignments: Annotated[list[str], typer.Argument(help="KEY=VALUE answers to change.")],
    project_dir: ProjectDir = Path("."),
) -> None:
    """Change answers (validated), then render every file from them."""
    from envsync.settings import set_answers

    with file_io.project_lock(project_dir):
        plan = set_answers(project_dir, assignments)
    keys = ", ".join(a.partition("=")[0] for a in assignments)
    typer.echo(f"updated .copier-answers.yml ({keys})")
    for change in plan.changes:
        typer.echo(_describe(change))
    _echo_mode_note(project_dir, plan.answers, plan.changes)


db_app = typer.Typer(
    no_args_is_help=True,
    help="The compose file's database service without Docker (needs envsync[embedded]).",
)
app.add_typer(db_app, name="db")


@db_app.command("up")
@_user_errors
def db_up(project_dir: ProjectDir = Path(".")) -> None:
    """Start the database docker-compose.yml describes, initialising its volume once."""
    from envsync import local_database

    started = local_database.up(project_dir)
    spec = started.service
    typer.echo(
        f"database {spec.service} listening on {started.host}:{started.port} "
        f"(data: {local_database.VOLUMES_DIR / spec.service}); stop it with `envsync db down`"
    )
    if started.reused_volume:
        typer.echo(
            "the data directory was already initialised: like the postgres image, changed "
            "POSTGRES_* values are not applied to it (see `envsync doctor`)"
        )


@db_app.command("down")
@_user_errors
def db_down(project_dir: ProjectDir = Path(".")) -> None:
    """Stop the embedded database; its data directory is kept, like a volume."""
    from envsync import local_database

    typer.echo("stopped" if local_database.down(project_dir) else "not running")


@db_app.command("status")
@_user_errors
def db_status(project_dir: ProjectDir = Path(".")) -> None:
    """Where the embedded database listens and which data directory it uses (exit 1: down)."""
    from envsync import local_database

    state = local_database.state(project_dir)
    data = local_database.VOLUMES_DIR / state.service.service
    if state.running:
        typer.echo(f"running on {state.host}:{state.port}, data directory {data}")
        return
    initialised = "initialised" if state.initialised else "not initialised"
    typer.echo(f"not running; data directory {data} ({initialised})")
    raise typer.Exit(1)


_MARKS = {"ok": ("✓", "green"), "problem": ("✗", "red"), "skipped": ("-", "yellow")}


@app.command()
@_user_errors
def doctor(project_dir: ProjectDir = Path("."), show_secrets: ShowSecrets = False) -> None:
    """Live checks: server reachable, credentials accepted, database, pgvector, Alembic head."""
    import sys

    from envsync.doctor import Status, diagnose

    tty = sys.stdout.isatty()
    problems = 0
    checks = diagnose(project_dir, show_secrets=show_secrets)
    while True:
        if tty:
            typer.echo("… checking", nl=False)
        check = next(checks, None)
        if tty:
            typer.echo("\r\033[K", nl=False)
        if check is None:
            break
        problems += check.status is Status.PROBLEM
        mark, colour = _MARKS[check.status.value]
        label = typer.style(mark, fg=colour) if tty else f"[{check.status.value}]"
        typer.echo(f"{label} {check.name}: {check.message}")
    if problems:
        raise typer.Exit(1)


@app.command()
@_user_errors
def adopt(
    project_dir: ProjectDir = Path("."),
    compose_file: Annotated[
        str | None, typer.Option("--compose-file", help="The compose file (default: found).")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="The database service, when two qualify.")
    ] = None,
    env_file: Annotated[
        str | None, typer.Option("--env-file", help="The backend's .env (default backend/.env).")
    ] = None,
    prefer: Annotated[
        str | None,
        typer.Option("--prefer", help="The file holding the true credentials when files differ."),
    ] = None,
    show_secrets: ShowSecrets = False,
) -> None:
    """Make an existing project managed: read its files, write the answers, take ownership."""
    from envsync import adopt as adopt_module

    options = adopt_module.Options(compose_file, service, env_file, prefer)
    with file_io.project_lock(project_dir):
        outcome = adopt_module.adopt(project_dir, options)
    for line in adopt_module.table(outcome, show_secrets=show_secrets):
        typer.echo(line)
    if outcome.conflict:
        files = ", ".join(dict.fromkeys(r.file for r in outcome.found.readings if r.counts))
        typer.echo(
            f"the files disagree on {', '.join(outcome.disagreements)}; nothing was written. "
            f"Run again with --prefer FILE naming the file that holds the truth ({files})"
        )
        raise typer.Exit(1)
    if outcome.preferred is not None and outcome.disagreements:
        typer.echo(f"took {', '.join(outcome.disagreements)} from {outcome.preferred.file}")
    if outcome.backup_dir:
        typer.echo(f"backed up the files it changes to {outcome.backup_dir}/")
    if outcome.renamed:
        typer.echo(f"renamed {outcome.renamed} to {adopt_module.MANAGED_COMPOSE}")
    for change in outcome.changes:
        typer.echo(_describe(change))
    typer.echo(f"wrote {adopt_module.ANSWERS_FILE}")
    for note in outcome.notes:
        typer.echo(f"note: {note}")
    assert outcome.answers is not None  # no conflict: adopt wrote the answers
    _echo_mode_note(project_dir, outcome.answers, outcome.changes)
    for f in outcome.remaining:
        typer.echo(f"still differs: {f.path}: {f.key}", err=True)
    typer.echo("envsync check: " + ("in sync" if not outcome.remaining else "drift remains"))
