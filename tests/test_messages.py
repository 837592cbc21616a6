"""What a newcomer reads: help, hints, headers, prompts and notes, each held to its exact text."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml

from envsync.template_source import described
from tests.conftest import REPO, copier_copy, envsync, envsync_process

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
        "1 file(s) drifted from .copier-answers.yml; run `envsync render` to repair",
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
