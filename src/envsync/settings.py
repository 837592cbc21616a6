"""``envsync set``: change answers, then render every file from them."""

from __future__ import annotations

from pathlib import Path

from envsync import answers, file_io, local_secret, project
from envsync.answers import ANSWERS_FILE
from envsync.errors import AnswersError
from envsync.live.rotation import LiveOutcome, change_live, current


def set_answers(
    project_dir: Path, assignments: list[str], *, files_only: bool = False
) -> tuple[project.Plan, LiveOutcome]:
    """Validate every assignment, change the running database, then write the answers and the
    files they render (``files_only`` skips the database).

    The new answers are rendered before the answers file is touched, so a value that a file
    cannot carry leaves everything as it was.
    """
    raw = answers.read_raw(project_dir / ANSWERS_FILE)
    if "db_password" not in raw:
        # secret_storage: local keeps the password out of the answers; a switch back needs it.
        backend_dir = str(raw.get("backend_dir", answers.DEFAULTS["backend_dir"]))
        kept = local_secret.read(project_dir, backend_dir)
        if kept:
            raw["db_password"] = kept
    for assignment in assignments:
        key, value = answers.parse_assignment(assignment)
        reason = answers.problem(key, value)
        if reason:
            raise AnswersError(path="envsync set", key=key, message=reason)
        raw[key] = value
    validated = answers.resolve(project_dir, raw)
    if validated.secret_storage == local_secret.LOCAL:
        raw.pop("db_password", None)  # the plan writes it to the git-ignored .env instead
    new_plan = project.plan(project_dir, validated)
    answers_path = project_dir / ANSWERS_FILE
    file_io.check_writable(answers_path, ANSWERS_FILE)
    project.check_writable(project_dir, new_plan.changes)
    # Last check before any write: a database that refuses the new values stops everything here.
    live = change_live(project_dir, current(project_dir), validated, files_only=files_only)
    file_io.write(
        answers_path,
        answers.dump(raw),
        bom=False,
        new_mode=project.PRIVATE_MODE,
        shown=ANSWERS_FILE,
    )
    project.apply(project_dir, new_plan.changes)
    return new_plan, live
