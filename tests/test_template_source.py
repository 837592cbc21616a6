"""An installed wheel (``pip install ./envsync``, not editable) knows which template revision it
is: its version comes from git, ``--version`` names the template's commit, and ``envsync adopt``
records the clone and commit that ``copier update`` needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import BIN, REPO
from tests.layouts import git_project
from tests.test_adopt import INCIDENT
from tests.test_copier_update import _commit_all, _git

COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", "build", "dist"
)


def _describe(clone: Path) -> str:
    return subprocess.run(
        ["git", "describe", "--tags", "--always"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _install(clone: Path, target: Path) -> Path:
    """The wheel pip builds from the clone (in its own build environment), unpacked in
    ``target``: the package as ``pip install ./envsync`` installs it."""
    built = subprocess.run(
        [BIN / "pip", "install", "-q", "--no-deps", "--target", str(target), str(clone)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return target


def _installed_envsync(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed package's console script, with the test environment's dependencies."""
    return subprocess.run(
        [sys.executable, "-c", "from envsync.entry import main; main()", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A clone tagged v0.1.0, installed; then a template commit after the tag, installed."""
    root = tmp_path_factory.mktemp("releases")
    clone = Path(shutil.copytree(REPO, root / "envsync", ignore=COPIED))
    _git("init", "-q", cwd=clone)
    _commit_all(clone, "envsync 0.1.0")
    _git("tag", "v0.1.0", cwd=clone)
    first = _install(clone, root / "first")
    claude = clone / "template/CLAUDE.md.jinja"
    claude.write_text(claude.read_text().replace("\n\nNotes for", "\n\nRevised.\n\nNotes for"))
    _commit_all(clone, "Revise the template")
    second = _install(clone, root / "second")
    return clone, first, second


def test_versions_and_template_commits_tell_revisions_apart(
    releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    clone, first, second = releases
    one = _installed_envsync(first, "--version", cwd=tmp_path)
    two = _installed_envsync(second, "--version", cwd=tmp_path)
    assert one.stdout == "envsync 0.1.0 (template v0.1.0)\n", one.stderr
    revision = _describe(clone)
    assert revision.startswith("v0.1.0-1-g")
    version, template = two.stdout.removeprefix("envsync ").split(" ", 1)
    assert version.startswith("0.1.1.dev1+g") and template == f"(template {revision})\n"


def test_adopt_from_a_wheel_records_the_clone_for_copier_update(
    releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    clone, _, second = releases
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    adopted = _installed_envsync(second, "adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "copier update needs the template" not in adopted.stdout
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == (str(clone), _describe(clone))
    _commit_all(project, "adopted")
    # The clone's HEAD, which the wheel was built from, is past the newest tag: Copier's
    # default, the newest tag, would be a downgrade.
    update = subprocess.run(
        [BIN / "copier", "update", "--trust", "--defaults", "--quiet", "--vcs-ref=HEAD"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert update.returncode == 0, update.stderr
    check = _installed_envsync(second, "check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_wheel_whose_clone_is_gone_asks_for_the_template(
    releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, _, second = releases
    moved = Path(shutil.copytree(second, tmp_path / "installed"))
    record = moved / "envsync/template_source.json"
    record.write_text(record.read_text().replace('"_src_path": "', '"_src_path": "/gone'))
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    adopted = _installed_envsync(moved, "adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "copier update needs the template" in adopted.stdout
    assert "_src_path" not in (project / ".copier-answers.yml").read_text()
