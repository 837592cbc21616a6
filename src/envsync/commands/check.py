"""``envsync check``: the plan's findings, changing nothing.

It runs on every commit: this module and what it imports are the whole of a full check (no
Typer, Jinja or Copier), so the console script runs it before the CLI loads.
"""

from __future__ import annotations

from pathlib import Path

from envsync import check_cache, copies, git_listing, installed, local_secret
from envsync.colour import paint
from envsync.commands.outcome import Outcome
from envsync.drift import MASK, Finding, shown, visible
from envsync.errors import EnvsyncError
from envsync.live import interrupted
from envsync.plan import Plan, load_plan
from envsync.redact import secret_spellings

LEAK_KEY = "database password (secret_storage: local) in a file git tracks"
SECRETS_HINT = f"passwords are shown as {MASK}; add --show-secrets to print them"


def findings(
    project_dir: Path, git: git_listing.Started | None = None
) -> tuple[list[Finding], Plan]:
    """The plan's findings, and with secret_storage: local, every file git tracks that holds
    the password. A clean result is remembered for the next check (local mode excepted:
    whether git tracks a file is not among the cached inputs). ``git``: the copy search's git
    commands, started before the check was loaded."""
    try:
        current = load_plan(project_dir, strict=False)
        outside = copies.search(
            project_dir, current.facts, current.place_map, current.workspace, git
        )
    finally:
        if git is not None:
            git.close()
    found = [*current.findings, *outside.findings]
    unfinished = interrupted.finding(project_dir)
    if unfinished is not None:
        found.insert(0, unfinished)
    if current.facts.answers.secret_storage != local_secret.LOCAL:
        if not found:
            inputs = (*current.inputs, *outside.read)
            check_cache.store(project_dir, inputs, watched=outside.watched)
        return found, current
    leaks = local_secret.tracked_files_holding(
        project_dir, secret_spellings([current.facts.answers.db_password])
    )
    leaked = [Finding(path, LEAK_KEY, "absent", "present", secret=False) for path in leaks]
    return found + leaked, current


def run(
    project_dir: Path,
    *,
    as_json: bool,
    show_secrets: bool,
    quiet: bool = False,
    colour: bool = False,
    git: git_listing.Started | None = None,
) -> Outcome:
    """Exit 0 in sync, 1 drift, 2 bad input (the message on stderr; with ``--json``, an
    object on stdout too, for a machine reader). ``quiet``: the findings only, for a hook."""
    try:
        drift, _ = findings(project_dir, git)
    except EnvsyncError as error:
        out = [_json(_error_report(error))] if as_json else []
        return Outcome(2, out, [f"envsync: {error}"])
    code = 1 if drift else 0
    if as_json:
        return Outcome(code, [_json(_report(drift, show_secrets))])
    lines = _findings(drift, show_secrets, colour)
    if quiet:
        return Outcome(code, lines)
    return Outcome(code, (lines + _advice(drift, show_secrets)) if drift else [in_sync(colour)])


def _json(report: dict[str, object]) -> str:
    import json  # only --json needs it; a check runs on every commit

    return json.dumps(report, indent=2)


def in_sync(colour: bool) -> str:
    return paint("in sync", "green", on=colour)


def _report(drift: list[Finding], show_secrets: bool) -> dict[str, object]:
    return {
        "status": "drift" if drift else "in_sync",
        "version": installed.version(),
        "template": installed.template_commit(),
        "in_sync": not drift,
        "findings": [
            {
                "kind": f.kind,
                "file": f.path,
                "line": f.line,
                "key": f.key,
                "expected": f.expected
                if f.kind == copies.KIND
                else visible(f.expected, secret=f.secret, show_secrets=show_secrets),
                "found": visible(f.found, secret=f.secret, show_secrets=show_secrets),
                "secret": f.secret,
            }
            for f in drift
        ],
    }


def _findings(drift: list[Finding], show_secrets: bool, colour: bool) -> list[str]:
    """One line per finding: the file and key, then what differs."""
    lines = []
    for f in drift:
        expected = shown(f.expected, secret=f.secret, show_secrets=show_secrets)
        found = paint(shown(f.found, secret=f.secret, show_secrets=show_secrets), "red", on=colour)
        if f.kind == copies.KIND:
            where = paint(f"{f.path}:{f.line}:", "bold", on=colour)
            lines.append(f"{where} {f.key}: {f.expected} outside the map ({found})")
        else:
            where = paint(f"{f.path}:", "bold", on=colour)
            expected = paint(expected, "green", on=colour)
            lines.append(f"{where} {f.key}: expected {expected}, found {found}")
    return lines


def _advice(drift: list[Finding], show_secrets: bool) -> list[str]:
    """What to do about the findings: the lines --quiet leaves out."""
    lines = []
    drifted = {f.path for f in drift if f.kind != copies.KIND} - {interrupted.JOURNAL}
    if drifted:
        lines.append(
            f"{len(drifted)} file(s) drifted from the facts; run `envsync render` to repair"
        )
    if any(f.kind == copies.KIND for f in drift):
        lines.append(copies.ADVICE)
    if not show_secrets and any(f.secret for f in drift):
        lines.append(SECRETS_HINT)
    if any(f.key == LEAK_KEY for f in drift):
        lines.append(
            "the password must stay out of files git tracks: remove it from them, then "
            "change it (`envsync set db_password=...`), since git history keeps it"
        )
    return lines


def _error_report(error: EnvsyncError) -> dict[str, object]:
    """``check --json``'s answer to bad input: the message, and where, as far as it is known."""
    path = getattr(error, "path", None)
    line: object = getattr(error, "line", None)
    key: object = getattr(error, "key", None)
    return {
        "status": "error",
        "version": installed.version(),
        "message": str(error),
        "file": None if path is None else str(path),
        "line": line,
        "key": key,
    }
