"""One pipeline for render, render --dry-run, render --diff and check.

``plan`` computes, for every managed file, its content on disk, the content envsync wants and the
findings between them; the commands differ only in what they do with the plan (write it, print
it, diff it, report it), so they can never disagree about what would change.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from envsync import answers as answers_module
from envsync import database_url, file_io, gitignore, local_secret
from envsync.answers import Answers
from envsync.drift import Finding, mask_fields, mask_text
from envsync.errors import AnswersError, FormatError
from envsync.files import compose_file, dotenv_file, ini_file, markdown_section
from envsync.files.compose_interpolation import escape
from envsync.render import render_all

# Files that hold the password in clear are created readable by their owner only.
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
EXAMPLE_PASSWORD = "CHANGE_ME"
LEAK_KEY = "database password (secret_storage: local) in a file git tracks"

Syncer = Callable[[str | None, str, str, Path, Answers], tuple[str, list[Finding]]]


@dataclass(frozen=True)
class ManagedFile:
    template: str
    sync: Syncer
    private: bool
    # Holds the password in every mode: must be git-ignored before it is written.
    ignored: bool = False


@dataclass(frozen=True)
class Change:
    """One file whose content on disk differs from what the answers say it should be."""

    path: str
    old: str | None
    new: str
    bom: bool
    private: bool
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Plan:
    answers: Answers
    changes: tuple[Change, ...]

    @property
    def findings(self) -> list[Finding]:
        return [finding for change in self.changes for finding in change.findings]


def _postgres_keys(answers: Answers, password: str) -> dict[str, str]:
    return {
        "POSTGRES_USER": answers.db_user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_DB": answers.db_name,
        "POSTGRES_HOST": answers.db_host,
        "POSTGRES_PORT": str(answers.db_port),
    }


def compose_variables(project_dir: Path) -> dict[str, str]:
    """What compose interpolates the file with: the project's .env, then the shell's."""
    found = file_io.read(project_dir / ".env", ".env")
    read = dotenv_file.values(found.text, path=".env") if found else {}
    variables = {k: v or "" for k, v in read.items()}
    variables.update(os.environ)
    return variables


def _sync_compose(
    current: str | None, target: str, path: str, project_dir: Path, answers: Answers
) -> tuple[str, list[Finding]]:
    variables = compose_variables(project_dir)
    if answers.secret_storage == local_secret.LOCAL:
        # Compose must take the password from .env: only a reference resolves to this marker, so
        # a password written into the (tracked) file itself is drift, and render replaces it.
        variables[local_secret.KEY] = local_secret.FROM_LOCAL_FILE
    if current is not None:
        view = compose_file.ComposeView(
            current, path=path, service=answers.db_service, variables=variables
        )
        taken_by = view.publishers(answers.db_port)
        if taken_by:
            raise AnswersError(
                path=answers_module.ANSWERS_FILE,
                key="db_port",
                message=f"host port {answers.db_port} is already published by service "
                f"{taken_by[0]!r} in {path}; choose another (envsync set db_port=...)",
            )
    return compose_file.sync(
        current, target, path=path, service=answers.db_service, variables=variables
    )


def _sync_env(
    current: str | None, target: str, path: str, project_dir: Path, answers: Answers
) -> tuple[str, list[Finding]]:
    owned = _postgres_keys(answers, answers.db_password)
    return dotenv_file.sync(current, target, path=path, owned=owned)


def _sync_local_env(
    current: str | None, target: str, path: str, project_dir: Path, answers: Answers
) -> tuple[str, list[Finding]]:
    owned = {local_secret.KEY: answers.db_password}
    return dotenv_file.sync(current, target, path=path, owned=owned)


def _sync_env_example(
    current: str | None, target: str, path: str, project_dir: Path, answers: Answers
) -> tuple[str, list[Finding]]:
    owned = _postgres_keys(answers, EXAMPLE_PASSWORD)
    return dotenv_file.sync(current, target, path=path, owned=owned)


def _sync_ini(
    current: str | None, target: str, path: str, project_dir: Path, answers: Answers
) -> tuple[str, list[Finding]]:
    here = (project_dir / path).parent.absolute()
    return ini_file.sync(current, target, path=path, here=here)


def _sync_markdown(
    current: str | None, target: str, path: str, project_dir: Path, answers: Answers
) -> tuple[str, list[Finding]]:
    secret_labels = frozenset({"password", "app url", "alembic url"})
    return markdown_section.sync(current, target, path=path, secret_labels=secret_labels)


MANAGED_FILES = (
    ManagedFile("docker-compose.yml.jinja", _sync_compose, private=True),
    ManagedFile("{{ backend_dir }}/.env.jinja", _sync_env, private=True, ignored=True),
    ManagedFile("{{ backend_dir }}/.env.example.jinja", _sync_env_example, private=False),
    ManagedFile("{{ backend_dir }}/alembic.ini.jinja", _sync_ini, private=True),
    ManagedFile("CLAUDE.md.jinja", _sync_markdown, private=True),
    # The git-ignored project .env that keeps the password with secret_storage: local.
    ManagedFile(
        "{% if secret_storage == 'local' %}.env{% endif %}.jinja",
        _sync_local_env,
        private=True,
        ignored=True,
    ),
)


def plan(
    project_dir: Path, answers: Answers, *, texts: Mapping[str, file_io.TextFile] | None = None
) -> Plan:
    """Everything that would change, computed before anything is written.

    ``texts`` stands in for files on disk by project-relative path: ``envsync adopt`` plans on
    files it has not written yet (a CLAUDE.md with the section added, a renamed compose file).
    """
    changes = []
    rendered = render_all(answers, tuple(m.template for m in MANAGED_FILES))
    for managed in MANAGED_FILES:
        path, target = rendered[managed.template]
        if not path:
            continue  # a file of the other secret_storage mode (Copier skips it too)
        found = texts[path] if texts and path in texts else file_io.read(project_dir / path, path)
        current = found.text if found else None
        new, findings = managed.sync(current, target, path, project_dir, answers)
        new = file_io.keep_conventions(current, new)
        if findings:
            changes.append(
                Change(
                    path=path,
                    old=current,
                    new=new,
                    bom=found.bom if found else False,
                    private=managed.private,
                    findings=tuple(findings),
                )
            )
    secret_files = [rendered[m.template][0] for m in MANAGED_FILES if m.ignored]
    ignore = _ignore_change(project_dir, [path for path in secret_files if path])
    return Plan(answers, (ignore, *changes) if ignore else tuple(changes))


def _ignore_change(project_dir: Path, secret_files: list[str]) -> Change | None:
    """``.gitignore`` with the lines that keep ``secret_files`` out of git, written first."""
    lines = gitignore.missing_lines(project_dir, secret_files)
    if not lines:
        return None
    found = file_io.read(project_dir / gitignore.IGNORE_FILE, gitignore.IGNORE_FILE)
    current = found.text if found else None
    new = file_io.keep_conventions(current, gitignore.with_lines(current, lines))
    findings = tuple(
        Finding(gitignore.IGNORE_FILE, line, "ignored (holds the password)", "not ignored")
        for line in lines
    )
    return Change(gitignore.IGNORE_FILE, current, new, bool(found and found.bom), False, findings)


def load_plan(project_dir: Path) -> Plan:
    return plan(project_dir, answers_module.load(project_dir))


def check(project_dir: Path) -> list[Finding]:
    """``envsync check``: the plan's findings, and with secret_storage: local, every file git
    tracks that holds the password."""
    current = load_plan(project_dir)
    if current.answers.secret_storage != local_secret.LOCAL:
        return current.findings
    leaks = local_secret.tracked_files_holding(
        project_dir, secret_spellings([current.answers.db_password])
    )
    return current.findings + [
        Finding(path, LEAK_KEY, "absent", "present", secret=False) for path in leaks
    ]


def check_writable(project_dir: Path, changes: tuple[Change, ...]) -> None:
    """Refuse before the first write, so one read-only file leaves every file as it was."""
    for change in changes:
        file_io.check_writable(project_dir / change.path, change.path)


def apply(project_dir: Path, changes: tuple[Change, ...]) -> None:
    check_writable(project_dir, changes)
    for change in changes:
        file_io.write(
            project_dir / change.path,
            change.new,
            bom=change.bom,
            new_mode=PRIVATE_MODE if change.private else PUBLIC_MODE,
            shown=change.path,
        )


def password_files(answers: Answers, changes: tuple[Change, ...]) -> list[str]:
    """The files a run wrote the password into: the changed files that hold a spelling of it,
    and the answers file when it keeps the password (``secret_storage: answers``)."""
    spellings = secret_spellings([answers.db_password])
    written = [c.path for c in changes if any(s in c.new for s in spellings)]
    if answers.secret_storage == local_secret.LOCAL:
        return written
    return [answers_module.ANSWERS_FILE, *written]


def secret_spellings(values: list[str | None]) -> set[str]:
    """Every way a secret is written in some file, so that output can hide all of them."""
    spellings: set[str] = set()
    for value in values:
        if not value:
            continue
        encoded = database_url.encode_component(value)
        spellings |= {
            value,
            encoded,
            ini_file.quote(encoded),
            compose_file.quote(value)[1:-1],
            escape(value),
            value.replace("'", "''"),  # a YAML single-quoted scalar, as a user may write it
        }
        with contextlib.suppress(FormatError):
            spelled = dotenv_file.quote(value, key="", path="")
            spellings.add(spelled.removeprefix("'").removesuffix("'"))
    return spellings


def plan_secrets(current_plan: Plan) -> set[str]:
    found = [f.found for f in current_plan.findings if f.secret]
    expected = [f.expected for f in current_plan.findings if f.secret]
    return secret_spellings([current_plan.answers.db_password, *found, *expected])


def diff(current_plan: Plan, *, show_secrets: bool) -> str:
    from difflib import unified_diff  # only --diff needs it

    hidden = set() if show_secrets else plan_secrets(current_plan)
    chunks = []
    for change in current_plan.changes:
        old = (change.old or "").splitlines(keepends=True)
        new = change.new.splitlines(keepends=True)
        lines = unified_diff(
            old,
            new,
            fromfile=f"a/{change.path}" if change.old is not None else "/dev/null",
            tofile=f"b/{change.path}",
        )
        text = "".join(lines)
        chunks.append(text if show_secrets else mask_text(mask_fields(text), hidden))
    return "".join(chunks)
