"""The answers file envsync writes stays Copier's: ``copier update`` keeps working after
``envsync set`` and brings template changes in without undoing the set values."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import BIN, envsync

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
    template = Path(shutil.copytree(template_src, tmp_path / "template"))
    _git("init", "-q", cwd=template)
    _commit_all(template, "template v1")
    _git("tag", "v1", cwd=template)

    project = tmp_path / "project"
    copier = [BIN / "copier"]
    subprocess.run(
        [*copier, "copy", "--trust", "--defaults", "--quiet", str(template), str(project)],
        check=True,
        capture_output=True,
    )
    _git("init", "-q", cwd=project)
    _commit_all(project, "generated")
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

    update = subprocess.run(
        [*copier, "update", "--trust", "--defaults", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert update.returncode == 0, update.stderr
    after = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert after["_commit"] == "v2"
    assert (after["db_port"], after["db_user"]) == (6001, "renamed")
    assert after["db_password"] == before["db_password"]
    assert "Updated template." in (project / "CLAUDE.md").read_text()
    assert '"6001:5432"' in (project / "docker-compose.yml").read_text()
    assert envsync("check", cwd=project).returncode == 0
