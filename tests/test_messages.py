"""What a newcomer reads: help, hints, headers, prompts and notes, each held to its exact text."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import yaml

from envsync.live.server import free_port
from envsync.template_source import described
from tests.conftest import BIN, REPO, copier_copy, envsync, envsync_process, snapshot
from tests.layouts import git_project
from tests.test_adopt import table_rows

SECRETS_HINT = "passwords are shown as ********; add --show-secrets to print them"
ANSWERS_HEADER = (
    "# Change a value with `envsync set KEY=VALUE`; it updates every file that carries it."
)


def test_db_help_names_the_embedded_extra() -> None:
    result = envsync_process("db", "--help", cwd=REPO)
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "The compose file's database service without Docker (needs envsync[embedded])." in lines


def test_set_without_equals_names_the_argument_not_the_answers_file(project: Path) -> None:
    result = envsync("set", "db_password", cwd=project)
    assert (result.returncode, result.stderr) == (
        2,
        "envsync: 'db_password' has no '=': give KEY=VALUE, "
        "e.g. `envsync set db_password=NEW_VALUE`\n",
    )


def _break_password(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(re.sub(r"(//myproject_user:)[^@]*@", r"\1hunter2@", env.read_text()))


def test_masked_findings_say_that_show_secrets_exists(project: Path) -> None:
    _break_password(project)
    assert envsync("check", cwd=project).stdout.splitlines() == [
        "backend/.env: DATABASE_URL (password): expected ********, found ********",
        "1 file(s) drifted from the facts; run `envsync render` to repair",
        SECRETS_HINT,
    ]
    diff = envsync("render", "--diff", "--dry-run", cwd=project).stdout.splitlines()
    assert SECRETS_HINT in diff
    shown = envsync("check", "--show-secrets", cwd=project).stdout
    assert SECRETS_HINT not in shown and "hunter2" in shown


def test_a_finding_without_secrets_gives_no_hint(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("127.0.0.1", "localhost"))
    assert SECRETS_HINT not in envsync("check", cwd=project).stdout


def test_version_option_and_check_json_carry_the_installed_version(project: Path) -> None:
    """The source tree's template commit beside the version (an installed wheel's:
    tests/test_template_source.py)."""
    template = described(REPO)
    assert template is not None
    result = envsync_process("--version", cwd=project)
    assert (result.returncode, result.stdout) == (
        0,
        f"envsync {version('envsync')} (template {template})\n",
    )
    report = json.loads(envsync("check", "--json", cwd=project).stdout)
    assert report == {
        "status": "in_sync",
        "version": version("envsync"),
        "template": template,
        "in_sync": True,
        "findings": [],
    }


def test_every_file_points_to_envsync_set(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    assert answers.read_text().splitlines()[0] == ANSWERS_HEADER
    compose = (project / "docker-compose.yml").read_text().splitlines()
    assert compose[1:3] == [
        "# POSTGRES_* environment, port mapping and healthcheck test: change them with",
        "# `envsync set KEY=VALUE`, which updates every file that carries them.",
    ]
    claude = (project / "CLAUDE.md").read_text()
    assert (
        "<!-- envsync:begin credentials (managed by envsync: change a value with "
        "`envsync set KEY=VALUE`) -->\n"
    ) in claude
    # envsync set rewrites the answers file with the header Copier wrote.
    assert envsync("set", "db_port=6543", cwd=project).returncode == 0
    assert answers.read_text().splitlines()[0] == ANSWERS_HEADER
    for text in (answers.read_text(), "\n".join(compose), claude):
        assert "NEVER EDIT" not in text and "edit .copier-answers.yml" not in text


def test_copier_prompts_fit_80_columns_with_their_meaning_first() -> None:
    questions = {
        name: spec
        for name, spec in yaml.safe_load((REPO / "copier.yml").read_text()).items()
        if isinstance(spec, dict) and "help" in spec
    }
    # Copier prints "🎤 " (three columns) then the help on the prompt's line.
    too_long = {name: q["help"] for name, q in questions.items() if len(q["help"]) + 3 > 80}
    assert too_long == {}
    assert questions["secret_storage"]["help"] == (
        "Password: local = only in git-ignored .env; answers = in tracked files too"
    )
    assert questions["db_host"]["help"] == (
        "Host for the app: 127.0.0.1 (localhost may reach another server on ::1)"
    )


COMPOSE = """\
services:
  db:
    image: postgres:16
    container_name: app-db
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: s3cret
      POSTGRES_DB: appdb
    ports:
      - "5432:5432"
"""


def test_adopt_without_the_template_says_which_src_path_to_add(tmp_path: Path) -> None:
    """Installed from a wheel, envsync carries template/ but no copier.yml: adopt cannot point
    ``_src_path`` anywhere and says what the user must write there."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "src/envsync", site / "envsync")
    shutil.copytree(REPO / "template", site / "envsync/template")  # the wheel's force-include
    project = tmp_path / "app"
    project.mkdir()
    (project / "docker-compose.yml").write_text(COMPOSE)
    (project / "backend").mkdir()
    (project / "backend/.env").write_text(
        "DATABASE_URL=postgresql+psycopg://app:s3cret@127.0.0.1:5432/appdb\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "from envsync.cli import app; app()", "adopt"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "note: copier update needs the template: add to .copier-answers.yml `_src_path:` the "
        "absolute path or git URL of a clone of the envsync repository (the directory with "
        "copier.yml) and `_commit:` the tag or commit of it that matches this envsync"
    ) in result.stdout.splitlines()
    assert "s3cret" not in result.stdout + result.stderr


def test_db_up_on_the_port_of_another_envsync_database_names_it(
    live_project: Path, template_src: Path
) -> None:
    """The demo from quickstart.sh still runs when the Quickstart starts its own database."""
    port = yaml.safe_load((live_project / ".copier-answers.yml").read_text())["db_port"]
    second = live_project.parent / "second"
    assert copier_copy(template_src, second, db_port=port).returncode == 0
    result = envsync("db", "up", cwd=second)
    data_dir = live_project / ".envsync/volumes/db"
    assert (result.returncode, result.stderr) == (
        2,
        f"envsync: port {port} on 127.0.0.1 is already in use by another envsync database "
        f"(data directory {data_dir}); stop it with `envsync db down` in its project, "
        f"or move this project: `envsync set db_port={port + 1}`\n",
    )


def test_db_up_on_a_port_another_program_holds_says_how_to_move(project: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        assert envsync("set", f"db_port={port}", cwd=project).returncode == 0
        result = envsync("db", "up", cwd=project)
    assert (result.returncode, result.stderr) == (
        2,
        f"envsync: port {port} on 127.0.0.1 is already in use by another program (another "
        f"PostgreSQL or a docker container?); stop it, "
        f"or move this project: `envsync set db_port={port + 1}`\n",
    )


# --- messages that must be true (issue 23, item 9) ---------------------------------------------

REDIS_PLACE = """
[[place]]
file = ".env"
key = "REDIS_URL"
value = "redis://:{redis_password}@127.0.0.1:6379/0"
"""


def _with_redis_fact(project: Path) -> None:
    """The README's own-facts example: a secret of the team's own, in a root .env."""
    toml = project / "envsync.toml"
    text = toml.read_text().replace(
        "[facts]\n", '[facts]\nredis_password = { value = "s3cret", secret = true }\n', 1
    )
    toml.write_text(text + REDIS_PLACE)


def _named_as_written(stdout: str) -> set[str]:
    """The files the command's ``created X`` / ``updated X`` lines name."""
    return {
        line.split()[1]
        for line in stdout.splitlines()
        if line.startswith(("created ", "updated ", "wrote "))
    }


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def _notes_about_modes(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if "other users can read" in line]


def test_an_own_secret_is_not_called_the_database_password(project: Path) -> None:
    _with_redis_fact(project)
    before = snapshot(project)
    rendered = envsync("render", cwd=project)
    assert (rendered.returncode, rendered.stdout) == (0, "created .env\n")
    assert _changed(before, snapshot(project)) == {".env"}

    (project / "envsync.toml").chmod(0o644)
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text() + "# the team's note: ask Ana before a rotate\n")
    before = snapshot(project)
    result = envsync("set", "redis_password=n3w-redis", cwd=project)
    assert result.returncode == 0, result.stderr
    assert _named_as_written(result.stdout) == _changed(before, snapshot(project))
    assert _named_as_written(result.stdout) == {"envsync.toml", ".env"}
    assert _notes_about_modes(result.stdout) == [
        "note: envsync.toml holds redis_password and other users can read it; envsync kept "
        "the mode: to restrict it, run `chmod go-rwx envsync.toml`"
    ]
    assert "password" not in result.stdout.splitlines()[0]  # no volume keeps a redis password

    (project / "backend/.env").chmod(0o644)
    both = envsync("set", "redis_password=n4w-redis", "db_password=N3w-Pw-both", cwd=project)
    assert _notes_about_modes(both.stdout) == [
        "note: envsync.toml (redis_password), backend/.env (the database password) hold secrets "
        "and other users can read them; envsync kept the mode: to restrict it, run "
        "`chmod go-rwx envsync.toml backend/.env`"
    ]


def test_the_mode_note_comes_when_a_secret_is_written_not_on_every_set(project: Path) -> None:
    (project / "backend/.env").chmod(0o644)
    port = envsync("set", f"db_port={free_port()}", cwd=project)
    assert port.returncode == 0, port.stderr
    assert _notes_about_modes(port.stdout) == []
    password = envsync("set", "db_password=N3w-Pw-0644", cwd=project)
    assert _notes_about_modes(password.stdout) == [
        "note: backend/.env holds the database password and other users can read it; envsync "
        "kept the mode: to restrict it, run `chmod go-rwx backend/.env`"
    ]
    again = envsync("set", f"db_port={free_port()}", cwd=project)
    assert _notes_about_modes(again.stdout) == []


def test_only_a_password_change_speaks_of_what_a_volume_keeps(project: Path) -> None:
    port = envsync("set", "--files-only", f"db_port={free_port()}", cwd=project)
    assert port.stdout.splitlines()[0] == "--files-only: the database was not changed"
    password = envsync("set", "--files-only", "db_password=N3w-Pw-vol", cwd=project)
    assert password.stdout.splitlines()[0] == (
        "--files-only: the database was not changed; an existing volume keeps its first "
        "password; `envsync doctor` tells how"
    )


def test_a_local_password_typed_on_the_command_line_is_refused_there(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(secret_storage="local")
    before = snapshot(project)
    result = envsync("set", "db_password=it's", cwd=project)
    assert (result.returncode, result.stderr) == (
        2,
        "envsync: envsync set: db_password: must not contain ' with secret_storage: local "
        "(compose and python-dotenv would read it differently from .env); choose another "
        "password\n",
    )
    assert snapshot(project) == before


def test_adopt_prefer_names_the_files_it_changed_and_what_they_feed(tmp_path: Path) -> None:
    """The compose file reads the password through ``${POSTGRES_PASSWORD}``: --prefer repairs
    it in the .env that defines it, and compose.yaml itself stays as it was."""
    port = free_port()
    project = git_project(
        tmp_path / "app",
        {
            ".gitignore": "backend/.env\n",
            "compose.yaml": f"""
                services:
                  db:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: app
                      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}
                      POSTGRES_DB: app
                    ports:
                      - "127.0.0.1:{port}:5432"
                  backend:
                    build: ./backend
                    env_file: backend/.env
                    depends_on: [db]
                """,
            ".env": "POSTGRES_PASSWORD=Old-pw-1\n",
            "backend/.env": f"DATABASE_URL=postgresql://app:New-pw-2@127.0.0.1:{port}/app\n",
        },
    )
    (project / ".env").chmod(0o644)
    before = snapshot(project)
    result = envsync("adopt", "--prefer", "backend/.env: DATABASE_URL", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    changed = _changed(before, snapshot(project))
    assert changed == {".env", "envsync.toml", "CLAUDE.md", ".copier-answers.yml"}
    assert _named_as_written(result.stdout) == changed
    assert "updated .env (POSTGRES_PASSWORD)" in result.stdout.splitlines()
    assert _notes_about_modes(result.stdout) == [
        "note: .env holds the database password and other users can read it; envsync kept "
        "the mode: to restrict it, run `chmod go-rwx .env`"
    ]
    assert (
        "note: compose.yaml: POSTGRES_* changed; a database volume initialised with the old "
        "values keeps them (recreate it, or ALTER ROLE; `envsync doctor` tells)"
    ) in result.stdout.splitlines()
    assert "application connects with" not in result.stdout
    assert "still differs" not in result.stdout
    assert result.stdout.splitlines()[-1] == "envsync check: in sync"
    assert envsync("check", cwd=project).returncode == 0


# --- render's previews (item 11) ---------------------------------------------------------------


def test_render_previews_write_nothing_and_exit_1_when_something_would_change(
    project: Path,
) -> None:
    for preview in (["--dry-run"], ["--diff"], ["--diff", "--dry-run"]):
        assert envsync_process("render", *preview, cwd=project).returncode == 0, preview
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("127.0.0.1", "localhost"))
    before = snapshot(project)
    for preview in (["--dry-run"], ["--diff"], ["--diff", "--dry-run"]):
        result = envsync_process("render", *preview, cwd=project)
        assert result.returncode == 1, (preview, result.stdout, result.stderr)
        assert result.stdout.splitlines()[-2:] == [
            "would update backend/.env (DATABASE_URL (host))",
            "nothing was written; `envsync render` writes these changes",
        ]
        assert snapshot(project) == before
    shown = envsync_process("render", "--diff", cwd=project).stdout.splitlines()
    assert "+DATABASE_URL=postgresql+asyncpg://myproject_user:********@127.0.0.1:" in "\n".join(
        shown
    )
    written = envsync_process("render", cwd=project)
    assert (written.returncode, written.stdout) == (
        0,
        "updated backend/.env (DATABASE_URL (host))\n",
    )
    assert envsync_process("render", "--diff", cwd=project).returncode == 0


def test_render_help_says_what_the_previews_do() -> None:
    help_text = " ".join(
        envsync_process("render", "--help", cwd=REPO).stdout.replace("│", " ").split()
    )
    for promise in (
        "A preview with --dry-run or --diff writes nothing: exit 1 if anything would change, "
        "else 0.",
        "Write nothing; name each file that would change; exit 1 if any.",
        "Write nothing; print a unified diff (secrets masked); exit 1 if it is not empty.",
    ):
        assert promise in help_text, help_text


# --- adopt's table (item 10) -------------------------------------------------------------------


def on_a_terminal(*args: str, cwd: Path, environment: dict[str, str]) -> str:
    """The installed ``envsync`` with a pseudo-terminal as stdout and stderr, as a user sees it."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [BIN / "envsync", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")},
            "TERM": "xterm",
            **environment,
        },
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    process.wait(timeout=60)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_adopt_table_is_headed_aligned_marked_and_fits_a_terminal(tmp_path: Path) -> None:
    port = free_port()
    project = git_project(
        tmp_path / "sparkle",
        {
            "docker-compose.yml": f"""
                services:
                  db:
                    image: postgres:16
                    environment:
                      POSTGRES_USER: postgres
                      POSTGRES_PASSWORD: Compose-pw-1
                      POSTGRES_DB: sparkle
                    ports:
                      - "{port}:5432"
                """,
            "backend/.env": (
                f"DATABASE_URL=postgresql+asyncpg://sparkle_user:Env-pw-2@localhost:{port}/sparkle\n"
            ),
        },
    )
    piped = envsync_process("adopt", cwd=project)
    assert piped.returncode == 1
    rows = table_rows(piped.stdout)
    assert rows[:2] == [
        {
            "fact": "db_user",
            "place": "docker-compose.yml: services.db.environment.POSTGRES_USER",
            "value": "postgres",
            "vs reference": "reference",
        },
        {
            "fact": "",
            "place": "backend/.env: DATABASE_URL",
            "value": "sparkle_user",
            "vs reference": "differs",
        },
    ]
    assert {row["vs reference"] for row in rows} == {"reference", "same", "differs"}
    assert "\x1b[" not in piped.stdout

    coloured = on_a_terminal("adopt", cwd=project, environment={"COLUMNS": "64"})
    assert "\x1b[31mdiffers\x1b[0m" in coloured
    shown = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    table = shown.split("\nvs reference:")[0].splitlines()
    assert table[0].split() == ["fact", "place", "value", "vs", "reference"]
    assert max(len(line) for line in table) <= 64, table
    assert len(table) > len(rows) + 1  # the long places wrapped onto lines of their own
    assert any(
        line.startswith("db_password  docker-compose.yml:") and line.endswith("reference")
        for line in table
    ), table


# --- colour and --quiet (item 12) --------------------------------------------------------------

ESC = "\x1b["


def _piped(*args: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """The installed ``envsync`` with stdout a pipe, under ``environment`` (and no other
    colour variable)."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [BIN / "envsync", *args],
        cwd=cwd,
        env={**base, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def _drift(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("127.0.0.1", "localhost"))


def test_colour_on_a_terminal_unless_no_color_and_when_piped_only_if_forced(
    project: Path,
) -> None:
    _drift(project)
    for command in (["check"], ["render", "--diff"]):  # the fast path, and the Typer app
        assert ESC in on_a_terminal(*command, cwd=project, environment={}), command
        assert ESC not in on_a_terminal(*command, cwd=project, environment={"NO_COLOR": "1"})
        assert ESC not in _piped(*command, cwd=project).stdout, command
        forced = _piped(*command, cwd=project, FORCE_COLOR="1").stdout
        assert ESC in forced, command
        both = _piped(*command, cwd=project, FORCE_COLOR="1", NO_COLOR="1")
        assert ESC not in both.stdout, command
        # An empty NO_COLOR is no request (no-color.org).
        assert ESC in on_a_terminal(*command, cwd=project, environment={"NO_COLOR": ""})
    forced = _piped("check", cwd=project, FORCE_COLOR="1").stdout.splitlines()[0]
    assert forced == (
        "\x1b[1mbackend/.env:\x1b[0m DATABASE_URL (host): expected \x1b[32m'127.0.0.1'\x1b[0m, "
        "found \x1b[31m'localhost'\x1b[0m"
    )


def test_doctor_marks_are_coloured_only_where_colour_is_allowed(project: Path) -> None:
    colour = re.compile(r"\x1b\[[0-9;]*m")
    forced = _piped("doctor", cwd=project, FORCE_COLOR="1").stdout
    assert forced.startswith("\x1b[32m[ok]\x1b[0m files agree"), forced
    assert not colour.search(_piped("doctor", cwd=project).stdout)
    shown = on_a_terminal("doctor", cwd=project, environment={"NO_COLOR": "1"})
    assert "✓ files agree" in shown and not colour.search(shown)
    assert "\x1b[32m✓\x1b[0m files agree" in on_a_terminal("doctor", cwd=project, environment={})


def test_quiet_prints_only_findings(project: Path) -> None:
    for run in (_piped, envsync):  # the console script's fast path, and the Typer app
        assert run("check", "-q", cwd=project).stdout == ""
        assert run("check", "--quiet", cwd=project).returncode == 0
    _drift(project)
    finding = "backend/.env: DATABASE_URL (host): expected '127.0.0.1', found 'localhost'\n"
    for run in (_piped, envsync):
        result = run("check", "--quiet", cwd=project)
        assert (result.returncode, result.stdout) == (1, finding)
    dry = envsync("render", "--dry-run", "-q", cwd=project)
    assert (dry.returncode, dry.stdout) == (1, "would update backend/.env (DATABASE_URL (host))\n")
    diff = envsync("render", "--diff", "-q", cwd=project)
    assert diff.returncode == 1
    assert diff.stdout.startswith("--- a/backend/.env\n+++ b/backend/.env\n@@ ")
    assert "would update" not in diff.stdout and SECRETS_HINT not in diff.stdout
    written = envsync("render", "-q", cwd=project)
    assert (written.returncode, written.stdout) == (0, "")
    assert envsync("check", "-q", cwd=project).returncode == 0
    changed = envsync("set", "-q", f"db_port={free_port()}", cwd=project)
    assert (changed.returncode, changed.stdout) == (0, "")
    refused = envsync("set", "-q", "db_port=0", cwd=project)
    assert refused.returncode == 2 and refused.stderr.startswith("envsync: ")


def test_a_file_changed_for_a_reference_elsewhere_names_its_key(project: Path) -> None:
    """Back in answers mode, compose keeps ``${POSTGRES_PASSWORD}``: a rotate writes the .env
    that defines it, and says which key, while the compose file stays as it was."""
    for storage in ("local", "answers"):
        assert envsync("set", f"secret_storage={storage}", cwd=project).returncode == 0
    before = snapshot(project)
    result = envsync("rotate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert _named_as_written(result.stdout) == _changed(before, snapshot(project))
    assert "updated .env (POSTGRES_PASSWORD)" in result.stdout.splitlines()
    assert "docker-compose.yml" not in _named_as_written(result.stdout)
