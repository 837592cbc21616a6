"""No secret leaked: private modes, masked output, and ``secret_storage: local``.

In local mode the password is in no file git tracks; the tests prove it with ``git grep`` in a real
repository and a fresh clone, and prove Alembic still connects to a real PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from envsync import redact as project_module
from envsync.cli import app
from envsync.commands.check import LEAK_KEY
from envsync.formats.compose_interpolation import interpolate
from envsync.live import server
from envsync.live.server import ServerSpec
from tests.conftest import alembic, copier_copy, envsync, envsync_process, snapshot
from tests.git_repo import git as _git
from tests.readers import env_url

PRIVATE = ("docker-compose.yml", "backend/.env", "backend/alembic.ini", "CLAUDE.md")
PUBLIC = (".gitignore", "backend/.env.example", "backend/requirements.txt")
# Every character class the files spell differently: URL-encoded, %% in alembic.ini, $$ in
# compose; no ', \ or ${, which local mode refuses.
PASSWORD = "Hunter2-$ecret/p@ss%41:x"


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _commit_all(project: Path) -> None:
    assert _git("init", "-q", cwd=project).returncode == 0
    assert _git("add", "-A", cwd=project).returncode == 0
    assert _git("commit", "-q", "-m", "init", cwd=project).returncode == 0


def _tracked_files_holding(project: Path, password: str) -> str:
    """``git grep`` of every spelling of ``password`` over the files git tracks."""
    patterns = [arg for s in project_module.secret_spellings([password]) for arg in ("-e", s)]
    found = _git("grep", "-F", "-l", *patterns, cwd=project)
    assert found.returncode in (0, 1), found.stderr
    return found.stdout


def _local_password(project: Path) -> str:
    password = dotenv_values(project / ".env")["POSTGRES_PASSWORD"]
    assert password
    return password


@pytest.fixture
def local_project(make_project: Callable[..., Path]) -> Path:
    return make_project("local", secret_storage="local", db_password=PASSWORD)


def test_copier_copy_makes_every_file_holding_the_password_private(
    project: Path, local_project: Path
) -> None:
    for name in (".copier-answers.yml", *PRIVATE):
        assert _mode(project / name) == 0o600, name
    for name in PUBLIC:
        assert _mode(project / name) == 0o644, name
    assert _mode(local_project / ".env") == 0o600
    assert _mode(local_project / "backend/.env") == 0o600


def test_local_mode_keeps_the_password_out_of_every_tracked_file(local_project: Path) -> None:
    answers = yaml.safe_load((local_project / ".copier-answers.yml").read_text())
    assert answers["secret_storage"] == "local"
    assert "db_password" not in answers
    assert _local_password(local_project) == PASSWORD
    _commit_all(local_project)
    ignored = _git("check-ignore", ".env", "backend/.env", cwd=local_project).stdout
    assert ignored.split() == [".env", "backend/.env"]
    assert _tracked_files_holding(local_project, PASSWORD) == ""
    # compose reads it through interpolation from the git-ignored .env
    service = yaml.safe_load((local_project / "docker-compose.yml").read_text())["services"]["db"]
    assert service["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "in no file git tracks" in (local_project / "CLAUDE.md").read_text()
    assert envsync("check", cwd=local_project).stdout == "in sync\n"
    result = envsync("render", cwd=local_project)
    assert (result.returncode, result.stdout) == (0, "all files in sync\n")
    assert _tracked_files_holding(local_project, PASSWORD) == ""


def test_a_fresh_clone_gets_a_new_password_from_render(local_project: Path, tmp_path: Path) -> None:
    _commit_all(local_project)
    clone = tmp_path / "clone"
    assert _git("clone", "-q", str(local_project), str(clone), cwd=tmp_path).returncode == 0
    assert not (clone / ".env").exists() and not (clone / "backend/.env").exists()
    check = envsync("check", cwd=clone)
    assert check.returncode == 1
    assert {".env: file:", "backend/.env: file:"} <= {
        line.split(" expected")[0] for line in check.stdout.splitlines()
    }

    result = envsync_process("render", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert "created .env" in result.stdout
    assert "created backend/.env" in result.stdout
    assert (
        ".env, backend/.env hold the database password (secret_storage: local, git-ignored); a "
        "database volume created before keeps its first password: if it refuses this one, run "
        "`envsync doctor`"
    ) in result.stdout.splitlines()
    password = _local_password(clone)
    assert password != PASSWORD
    assert len(password) >= 32
    assert dotenv_values(clone / "backend/.env")["DATABASE_URL"] == env_url(clone)
    assert f":{password}@" in env_url(clone)
    assert _mode(clone / ".env") == 0o600 and _mode(clone / "backend/.env") == 0o600
    assert _git("status", "--porcelain", cwd=clone).stdout == ""
    assert _tracked_files_holding(clone, password) == ""
    assert envsync("check", cwd=clone).stdout == "in sync\n"
    assert "holds the database password" not in envsync("render", cwd=clone).stdout


def test_a_lost_project_env_is_recovered_from_the_backend_env(local_project: Path) -> None:
    (local_project / ".env").unlink()
    result = envsync("render", cwd=local_project)
    assert result.returncode == 0
    assert _local_password(local_project) == PASSWORD  # the volume still knows this one


def test_check_fails_when_a_tracked_file_holds_the_local_password(local_project: Path) -> None:
    _commit_all(local_project)
    notes = local_project / "NOTES.md"
    notes.write_text("the password is " + PASSWORD + "\n")
    assert envsync("check", cwd=local_project).returncode == 0, "untracked files are not checked"
    assert _git("add", "NOTES.md", cwd=local_project).returncode == 0
    check = envsync("check", cwd=local_project)
    assert check.returncode == 1
    assert f"NOTES.md: {LEAK_KEY}: expected 'absent', found 'present'" in (check.stdout)
    assert PASSWORD not in check.stdout
    report = envsync("check", "--json", cwd=local_project).stdout
    assert '"file": "NOTES.md"' in report and PASSWORD not in report


def test_the_password_is_refused_in_the_answers_file_in_local_mode(local_project: Path) -> None:
    answers = local_project / ".copier-answers.yml"
    answers.write_text(answers.read_text() + f"db_password: {PASSWORD}\n")
    result = envsync("check", cwd=local_project)
    assert result.returncode == 2
    assert result.stderr.startswith("envsync: .copier-answers.yml: db_password: must not be here")
    assert PASSWORD not in result.stderr


def test_set_in_local_mode_writes_the_password_only_to_ignored_files(local_project: Path) -> None:
    _commit_all(local_project)
    result = envsync("set", "db_password=Rotated-Pass-0001", cwd=local_project)
    assert result.returncode == 0, result.stderr
    assert "Rotated-Pass-0001" not in result.stdout
    assert _local_password(local_project) == "Rotated-Pass-0001"
    assert ":Rotated-Pass-0001@" in env_url(local_project)
    assert "db_password" not in (local_project / ".copier-answers.yml").read_text()
    assert _git("status", "--porcelain", cwd=local_project).stdout == ""
    assert envsync("check", cwd=local_project).returncode == 0


@pytest.mark.parametrize(("bad", "shown"), [("it's", "'"), ("back\\slash", "\\"), ("a${b}", "${")])
def test_local_mode_refuses_a_password_dotenv_readers_disagree_on(
    local_project: Path, bad: str, shown: str
) -> None:
    before = snapshot(local_project)
    result = envsync("set", f"db_password={bad}", cwd=local_project)
    assert result.returncode == 2
    assert f"must not contain {shown}" in result.stderr
    assert bad not in result.stderr
    assert snapshot(local_project) == before


def test_switching_modes_moves_the_password_and_keeps_it(project: Path) -> None:
    password = yaml.safe_load((project / ".copier-answers.yml").read_text())["db_password"]
    assert envsync("set", "secret_storage=local", cwd=project).returncode == 0
    assert "db_password" not in (project / ".copier-answers.yml").read_text()
    assert _local_password(project) == password
    assert _mode(project / ".env") == 0o600
    assert password not in (project / "CLAUDE.md").read_text()
    assert password not in (project / "docker-compose.yml").read_text()
    assert from_compose_password(project) == password
    assert envsync("check", cwd=project).returncode == 0

    compose = (project / "docker-compose.yml").read_text()
    leaked = re.sub(r"POSTGRES_PASSWORD: .*", f"POSTGRES_PASSWORD: {password}", compose)
    (project / "docker-compose.yml").write_text(leaked)
    assert envsync("render", cwd=project).stdout.startswith("updated docker-compose.yml")
    assert (project / "docker-compose.yml").read_text() == compose

    assert envsync("set", "secret_storage=answers", cwd=project).returncode == 0
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["db_password"] == password
    # compose still reads it from .env, which holds the same password: not drift
    assert from_compose_password(project) == password
    # A reference stays a reference: the new password goes where the variable is defined.
    assert envsync("set", "db_password=Changed-In-Answers-1", cwd=project).returncode == 0
    assert from_compose_password(project) == "Changed-In-Answers-1"
    assert "${POSTGRES_PASSWORD:?" in (project / "docker-compose.yml").read_text()
    assert envsync("check", cwd=project).returncode == 0


def from_compose_password(project: Path) -> str:
    """POSTGRES_PASSWORD as compose resolves it: interpolated from the project's .env."""
    raw = yaml.safe_load((project / "docker-compose.yml").read_text())
    value = raw["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    return interpolate(value, {"POSTGRES_PASSWORD": _local_password(project)})


@pytest.fixture
def local_live_project(template_src: Path, live_dir: Path) -> Iterator[tuple[Path, ServerSpec]]:
    """A local-mode project in a git repository, its database running on a free port."""
    port = server.free_port()
    dst = live_dir / "local"
    copied = copier_copy(template_src, dst, secret_storage="local", db_port=port)
    assert copied.returncode == 0, copied.stderr
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    spec = ServerSpec(
        user=answers["db_user"],
        password=_local_password(dst),
        database=answers["db_name"],
        port=port,
        data_dir=live_dir / "pgdata",
    )
    server.start(spec)
    try:
        yield dst, spec
    finally:
        server.stop(spec.data_dir)


def test_local_mode_alembic_connects_with_no_password_in_tracked_files(
    local_live_project: tuple[Path, ServerSpec],
) -> None:
    project, spec = local_live_project
    _commit_all(project)
    assert envsync("render", cwd=project).stdout == "all files in sync\n"
    assert _tracked_files_holding(project, spec.password) == ""
    upgraded = alembic("upgrade", "head", project=project)
    assert upgraded.returncode == 0, upgraded.stderr
    current = alembic("current", project=project)
    assert "(head)" in current.stdout, current.stderr
    assert spec.password not in upgraded.stdout + upgraded.stderr + current.stdout


def _outputs(project: Path, password: str) -> Iterator[tuple[str, str]]:
    """Every command, on drift and on bad input, with what it printed."""
    env = project / "backend/.env"
    env.write_text(re.sub(r"(//[^:]+:)[^@]*@", r"\1wrong-Passw0rd@", env.read_text()))
    compose = project / "docker-compose.yml"
    if "${POSTGRES_PASSWORD" not in compose.read_text():
        compose.write_text(compose.read_text().replace('"myproject_user"', '"someone_else"', 1))
    runs = [
        ["check"],
        ["check", "--json"],
        ["render", "--diff", "--dry-run"],
        ["render", "--dry-run"],
        ["render", "--diff"],
        ["render"],
        ["doctor"],
        ["adopt"],
        ["db", "status"],
        ["set", "db_port=6543"],
        ["set", f"db_password={password}x"],
        ["rotate"],
        ["set", f"db_password={password}"],
        ["set", "db_port=0"],
    ]
    for args in runs:
        result = envsync(*args, cwd=project)
        yield " ".join(args), result.stdout + result.stderr
    # Bad input: errors name files and keys, never values.
    answers = project / ".copier-answers.yml"
    good = answers.read_text()
    answers.write_text(good + "db_colour: blue\n")
    for args in (["check"], ["render"]):
        result = envsync(*args, cwd=project)
        yield "bad answers: " + " ".join(args), result.stdout + result.stderr
    answers.write_text(good)
    env_text = env.read_text()
    env.write_text(env_text + "NOT A BINDING\n")
    for args in (["check"], ["render", "--diff"]):
        result = envsync(*args, cwd=project)
        yield "bad .env: " + " ".join(args), result.stdout + result.stderr
    env.write_text(env_text)


@pytest.mark.parametrize("mode", ["answers", "local"])
def test_no_command_prints_the_password_unless_asked(
    make_project: Callable[..., Path], mode: str
) -> None:
    project = make_project(mode, secret_storage=mode, db_password=PASSWORD)
    spellings = project_module.secret_spellings([PASSWORD, PASSWORD + "x"])
    covered = set()
    for name, output in _outputs(project, PASSWORD):
        covered.add(name.split(": ")[-1].split()[0])
        leaked = [s for s in spellings if s in output]
        assert not leaked, (name, output)
    registered = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    registered |= {g.name for g in app.registered_groups if g.name}
    assert registered <= covered, registered - covered
    # The same pipeline shows them when asked, so the searches above could have found them.
    env = project / "backend/.env"
    env.write_text(re.sub(r"(//[^:]+:)[^@]*@", r"\1wrong-Passw0rd@", env.read_text()))
    shown = envsync("check", "--show-secrets", cwd=project).stdout
    assert "wrong-Passw0rd" in shown
    assert "Hunter2-$ecret/p@ss%41:x" in shown


def _to_list_form(compose: Path, password_item: str) -> None:
    """The db service's environment rewritten as a list, the password item given."""
    text = compose.read_text()
    user = re.search(r"POSTGRES_USER: (.*)", text)
    database = re.search(r"POSTGRES_DB: (.*)", text)
    assert user and database
    block = re.search(r"    environment:\n(      .*\n){3}", text)
    assert block
    listed = (
        "    environment:\n"
        f"      - POSTGRES_USER={yaml.safe_load(user[1])}\n"
        f"      - {password_item}\n"
        f"      - POSTGRES_DB={yaml.safe_load(database[1])}\n"
    )
    compose.write_text(text.replace(block[0], listed))


def test_local_mode_repairs_a_list_form_password_with_the_reference(local_project: Path) -> None:
    compose = local_project / "docker-compose.yml"
    _to_list_form(compose, "POSTGRES_PASSWORD=typed-in-by-hand")
    check = envsync("check", cwd=local_project)
    assert check.returncode == 1
    assert "services.db.environment.POSTGRES_PASSWORD" in check.stdout
    assert envsync("render", cwd=local_project).returncode == 0
    item = re.search(r"- (\"POSTGRES_PASSWORD=.*\")\n", compose.read_text())
    assert item is not None
    reference = yaml.safe_load(item[1]).removeprefix("POSTGRES_PASSWORD=")
    assert reference.startswith("${POSTGRES_PASSWORD:?")
    assert interpolate(reference, {"POSTGRES_PASSWORD": PASSWORD}) == PASSWORD
    assert envsync("check", cwd=local_project).returncode == 0


def test_a_password_exported_in_the_shell_is_what_compose_reads(
    local_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compose takes the shell's POSTGRES_PASSWORD before .env's: check reports it, render
    names the shell instead of writing a .env the shell would override."""
    assert envsync("check", cwd=local_project).returncode == 0
    monkeypatch.setenv("POSTGRES_PASSWORD", "exported-in-the-shell")
    check = envsync("check", cwd=local_project)
    assert check.returncode == 1
    assert "docker-compose.yml: services.db.environment.POSTGRES_PASSWORD:" in check.stdout
    before = snapshot(local_project)
    render = envsync("render", cwd=local_project)
    assert render.returncode == 2
    assert "reads POSTGRES_PASSWORD from your shell's environment" in render.stderr
    assert "unset POSTGRES_PASSWORD" in render.stderr
    assert snapshot(local_project) == before
