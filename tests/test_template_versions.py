"""Projects made by another template version: compared fact by fact, never "edited by hand"."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import envsync, snapshot
from tests.test_copier_update import (
    _commit_all,
    _copier_update,
    _generated,
    _git,
    _template_repo,
)


def test_prose_of_another_version_inside_the_section_is_not_drift(project: Path) -> None:
    claude = project / "CLAUDE.md"
    claude.write_text(
        claude.read_text().replace(
            "## Database credentials (development only)",
            "## Local database (an older template said it this way)\n\nSome other words.",
        )
    )
    before = snapshot(project)
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync")
    assert envsync("render", cwd=project).returncode == 0
    assert snapshot(project) == before


def test_copier_update_to_a_reworded_template_needs_no_render(
    template_src: Path, tmp_path: Path
) -> None:
    template = _template_repo(template_src, tmp_path)
    project = _generated(template, tmp_path / "project")

    section = template / "template/CLAUDE.md.jinja"
    section.write_text(
        section.read_text()
        .replace("**Development only.**", "**For development, never production.**")
        .replace("compose:", "compose (updated):")
    )
    compose = template / "template/docker-compose.yml.jinja"
    compose.write_text(compose.read_text().replace("interval: 5s", "interval: 3s"))
    _commit_all(template, "template v2")
    _git("tag", "v2", cwd=template)

    update = _copier_update(project)
    assert update.returncode == 0, update.stderr
    assert "For development, never production." in (project / "CLAUDE.md").read_text()
    check = envsync("check", cwd=project)
    assert (check.returncode, check.stdout.strip()) == (0, "in sync")
