"""``envsync adopt``: turn an existing project's files into a managed project.

The files are read as their consumers read them (``discovery``); when they disagree on the
credentials, nothing is written until ``--prefer FILE`` names the one that holds the truth. Then
``.copier-answers.yml`` is written from those values, CLAUDE.md gets its section, and the one
render pipeline (``project.plan``/``apply``) brings every other file in line, after each file it
changes has been copied to ``.envsync/backup/<timestamp>/``.

What the user wrote survives: render replaces only the values envsync owns, and only where they
differ. A compose value written as ``${VAR}`` that already gives the chosen value is kept as it
is; one that must change becomes a literal (compose would otherwise keep reading the variable),
and the outcome's notes say so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from envsync import answers, file_io, project, render
from envsync.answers import ANSWERS_FILE, Answers
from envsync.discovery import (
    CLAUDE_MD,
    DEFAULT_PORT,
    FIELDS,
    Discovery,
    Reading,
    discover,
    relative_path,
)
from envsync.drift import MASK, Finding
from envsync.errors import EnvsyncError
from envsync.formats import markdown_section
from envsync.formats.compose_file import ComposeView

MANAGED_COMPOSE = "docker-compose.yml"
BACKUP_DIR = Path(".envsync") / "backup"
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Options:
    compose_file: str | None = None
    service: str | None = None
    env_file: str | None = None
    prefer: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What adopt found and, unless the files disagree unresolved, what it wrote."""

    found: Discovery
    disagreements: tuple[str, ...]
    preferred: Reading | None
    answers: Answers | None = None
    changes: tuple[project.Change, ...] = ()
    renamed: str | None = None
    backup_dir: str | None = None
    notes: tuple[str, ...] = ()
    remaining: tuple[Finding, ...] = ()

    @property
    def reference(self) -> Reading | None:
        """The reading other passwords are compared with: the preferred one, else the first."""
        if self.preferred is not None:
            return self.preferred
        return next((r for r in self.found.readings if r.counts and r.password), None)

    @property
    def conflict(self) -> bool:
        return self.answers is None


def adopt(project_dir: Path, options: Options) -> Outcome:
    """Read, decide, and (when the files agree or ``prefer`` decides) write."""
    if (project_dir / ANSWERS_FILE).exists():
        raise EnvsyncError(
            f"{ANSWERS_FILE}: already exists, so envsync manages this project: "
            "use `envsync check` and `envsync render`"
        )
    found = discover(
        project_dir,
        compose_file=options.compose_file,
        service=options.service,
        env_file=options.env_file,
    )
    readings = found.readings
    preferred = _preferred(project_dir, readings, options.prefer)
    counted = [r for r in readings if r.counts]
    disagreements = tuple(
        name for name in FIELDS if len({r.value(name) for r in counted} - {None}) > 1
    )
    if disagreements and preferred is None:
        return Outcome(found, disagreements, None)
    adopted, raw = _answers(project_dir, found, _decide(found, preferred))
    changes, renamed = _changes(project_dir, found, adopted)
    notes = [*found.notes, *_notes(project_dir, found, adopted, changes)]
    if "_src_path" not in raw:
        notes.append(
            "copier update needs the template: add to .copier-answers.yml `_src_path:` the "
            "absolute path or git URL of a clone of the envsync repository (the directory with "
            "copier.yml) and `_commit:` the tag or commit of it that matches this envsync"
        )
    backup = _write(project_dir, changes, renamed, raw)
    remaining = project.load_plan(project_dir).findings
    return Outcome(
        found,
        disagreements,
        preferred,
        adopted,
        changes,
        renamed,
        backup,
        tuple(notes),
        tuple(remaining),
    )


def _preferred(
    project_dir: Path, readings: tuple[Reading, ...], prefer: str | None
) -> Reading | None:
    if prefer is None:
        return None
    path = relative_path(project_dir, prefer, "--prefer")
    chosen = next((r for r in readings if r.file == path.as_posix()), None)
    if chosen is None:
        files = ", ".join(dict.fromkeys(r.file for r in readings))
        raise EnvsyncError(f"{prefer}: --prefer must name one of the files read: {files}")
    return chosen


def _decide(found: Discovery, preferred: Reading | None) -> dict[str, tuple[str, str] | None]:
    """Each credential and the file it comes from: the preferred file first, then the others
    in table order; files whose values nothing uses give none."""
    order = [preferred] if preferred is not None else []
    order += [r for r in found.readings if r.counts and r is not preferred]
    decided: dict[str, tuple[str, str] | None] = {}
    for name in FIELDS:
        decided[name] = next(
            ((value, r.file) for r in order if (value := r.value(name)) is not None), None
        )
    return decided


def _template_source() -> dict[str, str]:
    """``_src_path`` and ``_commit`` as ``copier copy`` would have recorded them.

    The template is the repository holding copier.yml and template/ (the directory
    ``envsync render`` renders from), so ``copier update`` and ``envsync render`` read the same
    template. A wheel carries the template without copier.yml: then there is nothing to point at.
    """
    root = render.template_dir().parent
    if not (root / "copier.yml").is_file():
        return {}
    source = {"_src_path": str(root)}
    try:
        described = subprocess.run(
            ["git", "describe", "--tags", "--always"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return source
    if described.returncode == 0 and described.stdout.strip():
        source["_commit"] = described.stdout.strip()
    return source


def _answers(
    project_dir: Path, found: Discovery, decided: dict[str, tuple[str, str] | None]
) -> tuple[Answers, dict[str, object]]:
    compose = found.compose
    if decided["password"] is None:
        raise EnvsyncError(
            f"{compose.path}: no file gives the database password; set "
            f"services.{compose.service}.environment.POSTGRES_PASSWORD and run again"
        )
    if compose.image is None:
        raise EnvsyncError(
            f"{compose.path}: services.{compose.service} has no image; envsync manages the "
            "database image (set one, e.g. pgvector/pgvector:pg16)"
        )
    host = decided["host"] or (str(answers.DEFAULTS["db_host"]), compose.path)
    port = decided["port"] or (str(DEFAULT_PORT), compose.path)
    app_driver = found.env.driver or str(answers.DEFAULTS["app_driver"])
    migrations = found.alembic.driver if found.alembic else None
    if migrations not in answers.MIGRATIONS_DRIVERS:
        migrations = (
            app_driver
            if app_driver in answers.MIGRATIONS_DRIVERS
            else answers.DEFAULTS["migrations_driver"]
        )
    project_name = project_dir.resolve().name
    values: dict[str, tuple[object, str]] = {
        "project_name": (project_name, str(project_dir)),
        "db_service": (compose.service, compose.path),
        "db_container": (compose.container, compose.path),
        "db_image": (compose.image, compose.path),
        "db_user": decided["user"] or (None, compose.path),
        "db_password": decided["password"],
        "db_name": decided["database"] or (None, compose.path),
        "db_host": host,
        "db_port": (int(port[0]), port[1]),
        "backend_dir": (found.env.backend_dir, found.env.path),
        "app_driver": (app_driver, found.env.path),
        "migrations_driver": (migrations, found.alembic.path if found.alembic else found.env.path),
        "use_pgvector": ("pgvector" in compose.image, compose.path),
    }
    for key, (value, source) in values.items():
        reason = answers.problem(key, value)
        if reason:
            raise EnvsyncError(f"{source}: {key} {reason}")
    chosen = answers.from_mapping(
        {key: value for key, (value, _) in values.items()}, path=Path(ANSWERS_FILE)
    )
    # Every answer, the defaults included, as copier copy records them.
    return chosen, {**_template_source(), **chosen.context()}


def _with_section(claude: file_io.TextFile, adopted: Answers) -> file_io.TextFile:
    """CLAUDE.md with the rendered section appended as its own section; every byte kept."""
    rendered = render.render_file("CLAUDE.md.jinja", adopted).splitlines(keepends=True)
    section = markdown_section.locate(rendered, "template CLAUDE.md")
    assert section is not None
    newline = "\r\n" if "\r\n" in claude.text else "\n"
    lines = [line.rstrip("\r\n") + newline for line in rendered[section.start : section.stop]]
    text = claude.text
    if text and not text.endswith("\n"):
        text += newline
    if text.strip() and not text.endswith(newline * 2):
        text += newline
    return file_io.TextFile(text + "".join(lines), claude.bom)


def _changes(
    project_dir: Path, found: Discovery, adopted: Answers
) -> tuple[tuple[project.Change, ...], str | None]:
    """The plan over the files as adopt will leave them before rendering: the compose file
    under the name envsync manages, CLAUDE.md with its section."""
    originals: dict[str, file_io.TextFile] = {}
    texts: dict[str, file_io.TextFile] = {}
    renamed = None
    if found.compose.path != MANAGED_COMPOSE:
        if (project_dir / MANAGED_COMPOSE).exists():
            raise EnvsyncError(
                f"{MANAGED_COMPOSE}: exists beside {found.compose.path}; envsync manages "
                f"{MANAGED_COMPOSE}: merge the two and run again"
            )
        renamed = found.compose.path
        compose = file_io.read(project_dir / renamed, renamed)
        assert compose is not None
        originals[MANAGED_COMPOSE] = texts[MANAGED_COMPOSE] = compose
    if found.claude_md is not None and not found.claude_md_has_section:
        originals[CLAUDE_MD] = found.claude_md
        texts[CLAUDE_MD] = _with_section(found.claude_md, adopted)
    planned = project.plan(project_dir, adopted, texts=texts)
    changes = []
    for change in planned.changes:
        if change.path in originals:
            change = replace(change, old=originals[change.path].text)
        changes.append(change)
    planned_paths = {change.path for change in planned.changes}
    for path, text in texts.items():
        if path not in planned_paths and text.text != originals[path].text:
            section = Finding(path, markdown_section.FINDING_KEY, "present", None)
            changes.append(
                project.Change(path, originals[path].text, text.text, text.bom, True, (section,))
            )
    return tuple(changes), renamed


def _notes(
    project_dir: Path, found: Discovery, adopted: Answers, changes: tuple[project.Change, ...]
) -> list[str]:
    notes = []
    compose = found.compose
    changed = {f.key: f for c in changes if c.path == MANAGED_COMPOSE for f in c.findings}
    view = ComposeView(
        compose.text,
        path=compose.path,
        service=compose.service,
        variables=project.compose_variables(project_dir),
    )
    for slot in view.slots():
        if slot.key not in changed:
            continue
        names = _REFERENCE.findall(slot.written.replace("$$", ""))
        if names:
            notes.append(
                f"{compose.path}: {slot.key} read ${{{names[0]}}}; it now holds the adopted "
                "value itself (compose no longer reads that variable there)"
            )
        if slot.section == "environment" and slot.value is None:
            notes.append(
                f"{compose.path}: {slot.key} came from env_file or the image's default; "
                "envsync writes it in environment:"
            )
    initial = (compose.reading.user, compose.reading.password, compose.reading.database)
    if initial != (adopted.db_user, adopted.db_password, adopted.db_name):
        notes.append(
            f"{compose.path}: POSTGRES_* changed; a database volume initialised with the old "
            "values keeps them (recreate it, or ALTER ROLE; `envsync doctor` tells)"
        )
    if found.alembic is None:
        notes.append(
            f"{adopted.backend_dir}/alembic.ini is new; it expects an Alembic environment in "
            f"{adopted.backend_dir}/alembic/ (`alembic init` makes one)"
        )
    if adopted.db_host == "localhost":
        notes.append(
            "db_host is localhost: libpq may reach another server on ::1 first; "
            "`envsync set db_host=127.0.0.1` avoids it"
        )
    return notes


def _backup(project_dir: Path, paths: list[str]) -> str | None:
    if not paths:
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    directory = BACKUP_DIR / stamp
    suffix = 1
    while (project_dir / directory).exists():
        suffix += 1
        directory = BACKUP_DIR / f"{stamp}-{suffix}"
    for path in paths:
        target = project_dir / directory / path
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(project_dir / path, target)
    return directory.as_posix()


def _write(
    project_dir: Path,
    changes: tuple[project.Change, ...],
    renamed: str | None,
    raw: dict[str, object],
) -> str | None:
    """Back up, then write: the files first, the answers last, so that an interrupted adopt
    can be run again."""
    for change in changes:
        file_io.check_writable(project_dir / change.path, change.path)
    on_disk = [
        renamed if renamed and change.path == MANAGED_COMPOSE else change.path
        for change in changes
        if change.old is not None
    ]
    if renamed and renamed not in on_disk:
        on_disk.insert(0, renamed)
    backup = _backup(project_dir, on_disk)
    ignore = project_dir / ".envsync" / ".gitignore"
    if not ignore.exists():
        # Backups hold the old .env: keep them out of git without touching the user's .gitignore.
        shown = ignore.relative_to(project_dir).as_posix()
        file_io.write(ignore, "*\n", bom=False, new_mode=project.PUBLIC_MODE, shown=shown)
    if renamed:
        os.rename(project_dir / renamed, project_dir / MANAGED_COMPOSE)
    project.apply(project_dir, changes)
    file_io.write(
        project_dir / ANSWERS_FILE,
        answers.dump(raw),
        bom=False,
        new_mode=project.PRIVATE_MODE,
        shown=ANSWERS_FILE,
    )
    return backup


def table(outcome: Outcome, *, show_secrets: bool) -> list[str]:
    """The readings side by side; a password shows only whether it matches the reference."""
    reference = outcome.reference
    rows = [["file", *FIELDS]]
    notes = any(r.note for r in outcome.found.readings)
    if notes:
        rows[0].append("note")
    for reading in outcome.found.readings:
        row = [reading.label]
        for name in FIELDS:
            value = reading.value(name)
            if value is None:
                row.append("-")
                continue
            if name == "password":
                shown = value if show_secrets else MASK
                if reference is not None and reading is not reference and reference.password:
                    same = value == reference.password
                    shown += f" (same as {reference.file})" if same else " (differs)"
                value = shown
            row.append(value)
        if notes:
            row.append(reading.note)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
