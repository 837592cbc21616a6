"""The answers file envsync writes stays Copier's: ``copier update`` keeps working after
``envsync set`` and brings template changes in without undoing the set values."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import BIN, PORT, copier_copy, envsync

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "envsync tests",
    "GIT_AUTHOR_EMAIL": "tests@envsync.invalid",
    "GIT_COMMITTER_NAME": "envsync tests",
    "GIT_COMMITTER_EMAIL": "tests@envsync.invalid",
}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY}, check=True, capture_output=True
    )


def _commit_all(cwd: Path, message: str) -> None:
    _git("add", "-A", cwd=cwd)
    _git("commit", "-q", "-m", message, cwd=cwd)


def test_copier_update_after_envsync_set(template_src: Path, tmp_path: Path) -> None:
    template = _template_repo(template_src, tmp_path)

    project = _generated(template, tmp_path / "project")
    before = yaml.safe_load((project / ".copier-answers.yml").read_text())

    assert envsync("set", "db_port=6001", "db_user=renamed", cwd=project).returncode == 0
    _commit_all(project, "envsync set")

    claude = template / "template/CLAUDE.md.jinja"
    claude.write_text(
        claude.read_text().replace(
            "# {{ project_name }}\n", "# {{ project_name }}\n\nUpdated template.\n"
        )
    )
    _commit_all(template, "template v2")
    _git("tag", "v2", cwd=template)

    update = _copier_update(project)
    assert update.returncode == 0, update.stderr
    after = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert after["_commit"] == "v2"
    assert (after["db_port"], after["db_user"]) == (6001, "renamed")
    assert after["db_password"] == before["db_password"]
    assert "Updated template." in (project / "CLAUDE.md").read_text()
    assert '"127.0.0.1:6001:5432"' in (project / "docker-compose.yml").read_text()
    assert envsync("check", cwd=project).returncode == 0


def _template_repo(template_src: Path, tmp_path: Path) -> Path:
    """The template in a git repository tagged v1, as a user's clone would be."""
    template = Path(shutil.copytree(template_src, tmp_path / "template"))
    _git("init", "-q", cwd=template)
    _commit_all(template, "template v1")
    _git("tag", "v1", cwd=template)
    return template


def _generated(template: Path, project: Path) -> Path:
    """``copier copy`` of ``template``, committed in a new git repository, as the README says."""
    subprocess.run(
        [
            *(BIN / "copier", "copy", "--trust", "--defaults", "--quiet"),
            *("--data", f"db_port={PORT}", str(template), str(project)),
        ],
        check=True,
        capture_output=True,
    )
    _git("init", "-q", cwd=project)
    _commit_all(project, "generated")
    return project


def _release_v2(template: Path) -> None:
    """A new template version that changes a file envsync does not own."""
    claude = template / "template/CLAUDE.md.jinja"
    claude.write_text(
        claude.read_text().replace("# {{ project_name }}\n", "# {{ project_name }}\n\nv2\n")
    )
    _commit_all(template, "template v2")
    _git("tag", "v2", cwd=template)


def _copier_update(project: Path, *data: str) -> subprocess.CompletedProcess[str]:
    answers = [arg for pair in data for arg in ("--data", pair)]
    return subprocess.run(
        [BIN / "copier", "update", "--trust", "--defaults", "--quiet", *answers],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


USER_KEY = "OPENAI_API_KEY=sk-user-key\n"


@pytest.mark.parametrize("storage", ["answers", "local"])
def test_copier_update_keeps_user_keys_in_env_files(
    template_src: Path, tmp_path: Path, storage: str
) -> None:
    template = _template_repo(template_src, tmp_path)
    project = tmp_path / "project"
    copied = copier_copy(template, project, secret_storage=storage)
    assert copied.returncode == 0, copied.stderr
    _git("init", "-q", cwd=project)
    _commit_all(project, "generated")
    # The git-ignored files a user is told to extend ("add your own keys freely").
    env_files = ["backend/.env", ".env"] if storage == "local" else ["backend/.env"]
    for name in env_files:
        with (project / name).open("a") as env:
            env.write(USER_KEY)
    _release_v2(template)

    update = _copier_update(project)

    assert update.returncode == 0, update.stderr
    assert "v2" in (project / "CLAUDE.md").read_text()
    for name in env_files:
        assert USER_KEY in (project / name).read_text(), name
    assert envsync("check", cwd=project).returncode == 0


def test_an_answer_changed_by_copier_update_reaches_env_with_envsync_render(
    template_src: Path, tmp_path: Path
) -> None:
    template = _template_repo(template_src, tmp_path)
    project = tmp_path / "project"
    assert copier_copy(template, project).returncode == 0
    _git("init", "-q", cwd=project)
    _commit_all(project, "generated")
    with (project / "backend/.env").open("a") as env:
        env.write(USER_KEY)

    assert _copier_update(project, "db_port=6002").returncode == 0
    # Copier kept the file whole; check names what envsync must write, render writes only that.
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.splitlines()[0]) == (
        1,
        f"backend/.env: DATABASE_URL (port): expected '6002', found '{PORT}'",
    )
    assert envsync("render", cwd=project).returncode == 0
    env_text = (project / "backend/.env").read_text()
    assert "@127.0.0.1:6002/" in env_text and USER_KEY in env_text
    assert envsync("check", cwd=project).returncode == 0
