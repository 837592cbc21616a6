"""The check cache: a warm ``envsync check`` answers without its machinery, and never says
"in sync" where a full check would find drift."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsync import check_cache
from envsync.commands import check as check_command
from tests.conftest import envsync

CACHE = Path(".envsync") / "check-cache"


def _full_check_is_clean(project: Path) -> bool:
    findings, _ = check_command.findings(project)
    return not findings


def test_a_clean_check_is_remembered_with_hashes_only(project: Path) -> None:
    assert envsync("check", cwd=project).returncode == 0
    cache = project / CACHE
    assert cache.stat().st_mode & 0o777 == 0o600
    password = yaml.safe_load((project / ".copier-answers.yml").read_text())["db_password"]
    assert password not in cache.read_text()
    assert (project / ".envsync/.gitignore").read_text() == "*\n"
    assert check_cache.answer(project)


def test_a_warm_check_imports_neither_typer_nor_yaml_nor_jinja(project: Path) -> None:
    assert envsync("check", cwd=project).returncode == 0
    probe = (
        "import sys; sys.argv = ['envsync', 'check', '-C', sys.argv[1]]\n"
        "from envsync.entry import main; main()\n"
        "heavy = ('typer', 'click', 'yaml', 'jinja2', 'dotenv')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(project)], capture_output=True, text=True, check=True
    )
    assert result.stdout == "in sync\n[]\n"


def test_a_full_check_loads_no_writer_of_live_changes(project: Path) -> None:
    """A check the cache cannot answer reads the record of an interrupted change, and only
    reads it: what writes one (salted hashes, random salts) stays out of every commit's hook."""
    probe = (
        "import sys; sys.argv = ['envsync', 'check', '-C', sys.argv[1]]\n"
        "from envsync.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('hashlib', 'secrets', 'envsync.live.change_record', 'psycopg')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(project)], capture_output=True, text=True, check=True
    )
    assert result.stdout == "in sync\n[]\n"
    assert check_cache.answer(project)  # it was a full check: it stored its answer


def test_drift_is_never_answered_from_the_cache(project: Path) -> None:
    assert envsync("check", cwd=project).returncode == 0
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("127.0.0.1", "localhost"))
    assert not check_cache.answer(project)
    assert envsync("check", cwd=project).returncode == 1
    assert not check_cache.answer(project)  # a failed check stores nothing


@pytest.mark.parametrize(
    "spoil",
    [
        lambda cache: cache.write_text("file 12"),
        lambda cache: cache.write_text(
            cache.read_text().replace("code ", "code 0", 1)  # another envsync
        ),
        lambda cache: cache.write_bytes(b"\xff\xfe"),
        lambda cache: cache.unlink(),
    ],
    ids=["corrupt", "other code", "not text", "missing"],
)
def test_a_spoilt_cache_is_ignored(project: Path, spoil: object) -> None:
    assert envsync("check", cwd=project).returncode == 0
    spoil(project / CACHE)  # type: ignore[operator]
    assert not check_cache.answer(project)
    assert envsync("check", cwd=project).returncode == 0
    assert check_cache.answer(project)


def test_an_unwritable_cache_directory_is_no_error(project: Path) -> None:
    (project / ".envsync").write_text("a file where the directory would be\n")
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync")
    assert not check_cache.answer(project)


def test_an_environment_variable_a_file_refers_to_is_an_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project / "docker-compose.yml"
    image = 'image: "pgvector/pgvector:pg16"'
    compose.write_text(
        compose.read_text().replace(image, 'image: "${DB_IMAGE:-pgvector/pgvector:pg16}"')
    )
    assert envsync("check", cwd=project).returncode == 0
    assert check_cache.answer(project)
    monkeypatch.setenv("DB_IMAGE", "postgres:15")
    assert not check_cache.answer(project)
    assert not _full_check_is_clean(project)


EDITS = st.sampled_from(["append", "replace", "delete", "env", "none"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edit=EDITS, which=st.integers(0, 50), text=st.text("ab:=\n #$", max_size=6), data=st.data())
def test_the_fast_answer_always_equals_the_full_one(
    default_project: Path, tmp_path_factory: pytest.TempPathFactory, edit: str, which: int,
    text: str, data: st.DataObject,
) -> None:  # fmt: skip
    project = Path(shutil.copytree(default_project, tmp_path_factory.mktemp("p") / "project"))
    _, first = check_command.findings(project)
    inputs = [name for name in first.inputs if (project / name).is_file()]
    target = project / inputs[which % len(inputs)]
    environ = dict(os.environ)
    try:
        if edit == "append":
            target.write_text(target.read_text() + text)
        elif edit == "replace":
            original = target.read_text()
            position = data.draw(st.integers(0, max(0, len(original) - 1)))
            target.write_text(original[:position] + text + original[position + 1 :])
        elif edit == "delete":
            target.unlink()
        elif edit == "env":
            os.environ["POSTGRES_PASSWORD"] = text or "x"
        fast = check_cache.answer(project)
        try:
            full = _full_check_is_clean(project)
        except Exception:
            full = False
        if fast:
            assert full
        if edit == "none":
            assert fast
    finally:
        os.environ.clear()
        os.environ.update(environ)
        shutil.rmtree(project)
