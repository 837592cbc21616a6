"""``copier update`` on an adopted project brings a changed template section in cleanly: the
section adopt writes is the template's, so Copier's merge has nothing to fight over."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import BIN, envsync, snapshot
from tests.layouts import INCIDENT, git_project
from tests.test_copier_update import _commit_all, _git, _template_repo

USER_KEY = "SENTRY_DSN=https://key@sentry.invalid/1\n"
CONFLICT = re.compile(r"^(<{7}|>{7})( |$)", re.M)


def _section_template(template: Path) -> Path:
    """The template file that holds the credentials section's bullets."""
    (path,) = (
        path
        for path in (template / "template").rglob("*")
        if path.is_file() and "says whether they agree" in path.read_text()
    )
    return path


def test_copier_update_with_a_changed_section_leaves_no_conflict_markers(
    template_src: Path, tmp_path: Path
) -> None:
    template = _template_repo(template_src, tmp_path)
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    adopted = envsync("adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    answers = project / ".copier-answers.yml"
    text = re.sub(r"(?m)^_src_path: .*$", f"_src_path: {template}", answers.read_text())
    answers.write_text(re.sub(r"(?m)^_commit: .*$", "_commit: v1", text))
    env = project / "backend/.env"
    env.write_text(env.read_text() + USER_KEY)
    _commit_all(project, "adopted")

    section = _section_template(template)
    section.write_text(
        section.read_text().replace("says whether they agree", "says whether every place agrees")
    )
    _commit_all(template, "template v2: a reworded section")
    _git("tag", "v2", cwd=template)

    update = subprocess.run(
        [BIN / "copier", "update", "--trust", "--defaults", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert update.returncode == 0, update.stderr
    conflicted = [
        name
        for name, data in snapshot(project).items()
        if not name.startswith(".git/") and CONFLICT.search(data.decode(errors="replace"))
    ]
    assert conflicted == []
    assert "says whether every place agrees" in (project / "CLAUDE.md").read_text()
    assert env.read_text().endswith(USER_KEY)
    assert envsync("check", cwd=project).returncode == 0
