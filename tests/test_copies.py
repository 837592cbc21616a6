"""Copies outside the map, found by ``envsync check`` on projects made by ``copier copy``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from tests.conftest import BIN, envsync, envsync_process
from tests.git_repo import git

CANARY = "Canary-7f3e@pw/9%x"
OLD = "old-Passw0rd-4711"
NEW = "new-Passw0rd-0815"


def _answers(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _commit(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not (project / ".git").exists():
        assert git("init", "-q", cwd=project).returncode == 0
    assert git("add", "-A", cwd=project).returncode == 0
    assert git("commit", "-q", "-m", "files", cwd=project).returncode == 0


def _set_password(project: Path, password: str) -> None:
    result = envsync("set", "--files-only", f"db_password={password}", cwd=project)
    assert result.returncode == 0, result.stderr


def _copies(project: Path) -> list[dict[str, object]]:
    result = envsync("check", "--json", cwd=project)
    report = json.loads(result.stdout)
    assert result.returncode == (0 if report["in_sync"] else 1)
    return [f for f in report["findings"] if f["kind"] == "copy"]


def _where(found: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(f["file"], f["line"], f["expected"]) for f in found]


@pytest.fixture
def repository(project: Path) -> Path:
    """The generated project as its first commit, with a password of the test's own."""
    _set_password(project, OLD)
    _commit(project, {})
    return project


def test_a_fresh_project_is_in_sync_in_and_outside_git(project: Path) -> None:
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync")
    _commit(project, {})
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync"), check.stdout


def test_the_current_password_in_a_tracked_readme(repository: Path) -> None:
    _commit(repository, {"README.md": f"# App\n\nLog in with\n\n    password: {OLD}\n"})
    check = envsync("check", cwd=repository)
    assert check.returncode == 1
    assert "README.md:5: password: the current db_password outside the map (********)" in (
        check.stdout
    )
    assert "[[ignore]]" in check.stdout
    assert OLD not in check.stdout + check.stderr
    assert _where(_copies(repository)) == [("README.md", 5, "the current db_password")]


def test_the_previous_password_left_in_a_seed_script_after_set(repository: Path) -> None:
    seed = f"#!/bin/sh\npsql postgresql://app:{quote(OLD, safe='')}@127.0.0.1:5432/app\n"
    _commit(repository, {"scripts/seed.sh": seed})
    assert envsync("check", cwd=repository).returncode == 1  # the current password, for now
    _set_password(repository, NEW)
    found = _copies(repository)
    assert _where(found) == [("scripts/seed.sh", 2, "a previous db_password")]
    assert found[0]["key"] == "URL password" and found[0]["found"] == "********"


def test_rotate_remembers_the_password_it_replaced(repository: Path) -> None:
    _commit(repository, {"scripts/psql.sh": f"PGPASSWORD='{OLD}' psql -h 127.0.0.1\n"})
    assert envsync("rotate", "--files-only", cwd=repository).returncode == 0
    assert _where(_copies(repository)) == [("scripts/psql.sh", 1, "a previous db_password")]


def test_a_settings_default_url(repository: Path) -> None:
    settings = (
        "import os\n\n"
        'DATABASE_URL = os.getenv(\n    "DATABASE_URL", '
        f'"postgresql+asyncpg://user:{OLD}@127.0.0.1:5432/app"\n)\n'
    )
    _commit(repository, {"app/settings.py": settings})
    assert _where(_copies(repository)) == [("app/settings.py", 4, "the current db_password")]


def test_a_password_pasted_into_backend_env(repository: Path) -> None:
    _set_password(repository, NEW)
    env = repository / "backend/.env"
    env.write_text(env.read_text() + f"POSTGRES_PASSWORD={OLD}\nPOSTGRES_USER=someone\n")
    found = _copies(repository)
    assert _where(found) == [
        ("backend/.env", 4, "a previous db_password"),
        ("backend/.env", 5, "a credential no place of the map names"),
    ]
    assert [f["found"] for f in found] == ["********", "someone"]
    text = envsync("check", cwd=repository).stdout
    assert "backend/.env:4: POSTGRES_PASSWORD: a previous db_password outside the map" in text
    assert OLD not in text and NEW not in text


def test_an_unknown_value_under_a_credential_key_of_a_file_envsync_reads(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(env.read_text() + "POSTGRES_PASSWORD=typed-by-hand\n")
    assert _where(_copies(project)) == [
        ("backend/.env", 4, "a credential no place of the map names")
    ]


def test_false_alarms_stay_quiet(project: Path) -> None:
    """A SECRET_KEY that is not the password, a password equal to the user name (only password
    positions count), example files with placeholders, references."""
    assert (
        envsync("set", "--files-only", "db_user=app", "db_password=app", cwd=project).returncode
        == 0
    )
    _commit(
        project,
        {
            "app/settings.py": 'SECRET_KEY = "s3cr3t-signing-key"\nDB_USER = "app"\n',
            "README.md": "Run `psql -h 127.0.0.1 -U app app`.\n\n    user: app\n    name: app\n",
            ".env.example": "POSTGRES_USER=app\nPOSTGRES_PASSWORD=changethis\n",
            "docs/env.sample": "DATABASE_URL=postgresql://app:CHANGE_ME@localhost/app\n",
            "scripts/up.sh": 'PGPASSWORD="${POSTGRES_PASSWORD}" psql -U app\n',
        },
    )
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync"), check.stdout


def test_the_password_in_an_example_file_is_a_copy(repository: Path) -> None:
    example = repository / "backend/.env.example"
    example.write_text(example.read_text().replace("CHANGE_ME", OLD))
    assert _where(_copies(repository)) == [("backend/.env.example", 2, "the current db_password")]


def test_an_ignore_entry_silences_a_copy_kept_on_purpose(repository: Path) -> None:
    _commit(
        repository,
        {
            "README.md": f"password: {OLD}\n",
            "docs/setup.md": f"password: {OLD}\n",
            "scripts/seed.sh": f"psql postgresql://app:{OLD}@127.0.0.1/app\n",
        },
    )
    assert len(_copies(repository)) == 3
    entries = (
        '\n[[ignore]]\nfile = "docs/*.md"\nkey = "password"\n'
        '\n[[ignore]]\nfile = "scripts/seed.sh"\nline = "psql *"\n'
    )
    with (repository / "envsync.toml").open("a") as handle:
        handle.write(entries)
    assert _where(_copies(repository)) == [("README.md", 1, "the current db_password")]
    with (repository / "envsync.toml").open("a") as handle:
        handle.write('\n[[ignore]]\nfile = "README.md"\n')
    assert _copies(repository) == []


def test_an_ignore_line_is_a_glob_not_a_regular_expression(repository: Path) -> None:
    """A cloned map's ``(a+)+$`` would backtrack for ever as a regular expression."""
    _commit(repository, {"scripts/seed.sh": f"PGPASSWORD={OLD} psql {'a' * 40}!\n"})
    with (repository / "envsync.toml").open("a") as handle:
        handle.write('\n[[ignore]]\nfile = "scripts/seed.sh"\nline = "(a+)+$"\n')
    assert _where(_copies(repository)) == [("scripts/seed.sh", 1, "the current db_password")]


def test_an_ignore_entry_without_a_file_is_refused(repository: Path) -> None:
    with (repository / "envsync.toml").open("a") as handle:
        handle.write('\n[[ignore]]\nkey = "password"\n')
    result = envsync("check", cwd=repository)
    assert result.returncode == 2
    assert "envsync.toml: ignore #1 needs a text field 'file'" in result.stderr


def test_an_ignored_env_file_is_searched(repository: Path) -> None:
    (repository / "backend/.env.local").write_text(f"SOME_PASSWORD={OLD}\n")
    (repository / ".gitignore").write_text((repository / ".gitignore").read_text() + "*.local\n")
    assert _where(_copies(repository)) == [("backend/.env.local", 1, "the current db_password")]


def test_the_pre_commit_hook_fails_on_a_copy(repository: Path) -> None:
    config = (
        "repos:\n  - repo: local\n    hooks:\n      - id: envsync-check\n"
        "        name: envsync check\n        entry: envsync check\n        language: system\n"
        "        pass_filenames: false\n        always_run: true\n"
    )
    _commit(repository, {".pre-commit-config.yaml": config})
    (repository / "NOTES.md").write_text(f"db password: {OLD}\n")
    git("add", "NOTES.md", cwd=repository)
    environment = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(repository.parent / "pre-commit-home"),
    }
    hook = subprocess.run(
        [BIN / "pre-commit", "run", "--all-files"],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 1, hook.stdout + hook.stderr
    assert "NOTES.md:1: password: the current db_password outside the map" in hook.stdout
    assert OLD not in hook.stdout + hook.stderr


def test_a_warm_check_sees_an_edit_of_a_tracked_file_and_a_new_env_file(repository: Path) -> None:
    _commit(repository, {"README.md": "# App\n"})
    assert envsync_process("check", cwd=repository).returncode == 0
    warm = envsync_process("check", cwd=repository)
    assert (warm.returncode, warm.stdout) == (0, "in sync\n")
    # git's index is binary: no `$_` read from it ties the cache to the shell's last command.
    cache = (repository / ".envsync/check-cache").read_text().splitlines()
    assert [line for line in cache if line.startswith("env ")] == []
    assert any(line.endswith("/.git/index") for line in cache)
    (repository / "README.md").write_text(f"# App\n\npassword: {OLD}\n")  # not staged
    assert envsync_process("check", cwd=repository).returncode == 1
    (repository / "README.md").write_text("# App\n")
    assert envsync_process("check", cwd=repository).returncode == 0
    (repository / "server").mkdir()
    (repository / "server/.env").write_text(f"DB_PASS={OLD}\n")
    assert envsync_process("check", cwd=repository).returncode == 1


def test_no_password_in_any_output_cache_or_history(project: Path) -> None:
    _set_password(project, OLD)
    _commit(project, {"scripts/seed.sh": f"psql postgresql://app:{quote(OLD, safe='')}@h/app\n"})
    rendered = envsync("render", cwd=project)
    _set_password(project, CANARY)
    env = project / "backend/.env"
    env.write_text(env.read_text() + f"POSTGRES_PASSWORD='{CANARY}'\n")
    spellings = {CANARY, quote(CANARY, safe=""), OLD}
    outputs = [rendered.stdout + rendered.stderr]
    for arguments in (("check",), ("check", "--json")):
        result = envsync_process(*arguments, cwd=project)
        assert result.returncode == 1
        outputs.append(result.stdout + result.stderr)
    env.write_text(env.read_text().replace(f"POSTGRES_PASSWORD='{CANARY}'\n", ""))
    (project / "scripts/seed.sh").unlink()
    clean = envsync_process("check", cwd=project)
    assert clean.returncode == 0, clean.stdout
    outputs.append(clean.stdout + clean.stderr)
    stored = [path.read_bytes() for path in (project / ".envsync").iterdir()]
    assert len(stored) >= 4  # the cache, the history, its key, the .gitignore
    for spelling in spellings:
        assert not any(spelling in output for output in outputs)
        assert not any(spelling.encode() in data for data in stored)
    for name in ("secret-history", "secret-key"):
        assert stat.S_IMODE((project / ".envsync" / name).stat().st_mode) == 0o600
    history = (project / ".envsync/secret-history").read_text().splitlines()
    assert len(history) == 3 and all(line.endswith(" db_password") for line in history)


def test_another_database_keeps_its_own_credentials(project: Path) -> None:
    """A second database service, its env file and a URL to it: not copies, even when its
    password is the map's previous one (two databases, places.md)."""
    services = (
        "  db_test:\n    image: postgres:16\n    env_file: .env.test\n    environment:\n"
        "      POSTGRES_PASSWORD: ${TEST_DB_PASSWORD:?}\n"
        "  tests:\n    image: app\n    environment:\n"
        "      DATABASE_URL: postgresql://app:${TEST_DB_PASSWORD}@db_test:5432/app_test\n"
    )
    compose = project / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("\nvolumes:\n", f"{services}\nvolumes:\n"))
    password = str(_answers(project)["db_password"])
    (project / ".env").write_text(f"TEST_DB_PASSWORD={password}\n")
    (project / ".env.test").write_text("POSTGRES_USER=tester\nPOSTGRES_DB=app_test\n")
    _set_password(project, NEW)
    assert _copies(project) == []
