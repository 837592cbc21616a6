"""Commands run from a subfolder work on the project above it, as git and pre-commit find theirs,
and never on one above the repository root."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import envsync_process
from tests.git_repo import git


def test_check_and_render_from_a_subfolder_work_on_the_project(project: Path) -> None:
    assert git("init", "-q", cwd=project).returncode == 0
    backend = project / "backend"
    for _ in range(2):  # a full check, then the console script's answer from the check cache
        check = envsync_process("check", cwd=backend / "alembic")
        assert (check.returncode, check.stdout) == (0, "in sync\n"), check.stderr
    env = backend / ".env"
    env.write_text(env.read_text().replace("@127.0.0.1:", "@localhost:"))
    check = envsync_process("check", cwd=backend)
    assert check.returncode == 1
    assert check.stdout.startswith("backend/.env: DATABASE_URL (host): expected '127.0.0.1'")
    render = envsync_process("render", cwd=backend)
    assert render.stdout.startswith("updated backend/.env (DATABASE_URL (host))"), render.stderr
    assert envsync_process("check", cwd=backend).returncode == 0
    assert not (backend / "envsync.toml").exists()


def test_the_search_stops_at_the_repository_root(project: Path) -> None:
    """A repository inside the project (a vendored one) is a world of its own."""
    vendored = project / "vendor/library"
    (vendored / "src").mkdir(parents=True)
    assert git("init", "-q", cwd=vendored).returncode == 0
    check = envsync_process("check", cwd=vendored / "src")
    assert check.returncode == 2
    assert ".copier-answers.yml: not found" in check.stderr
    assert envsync_process("check", cwd=project / "vendor").returncode == 0


def test_an_explicit_project_is_searched_from_too(project: Path, tmp_path: Path) -> None:
    check = envsync_process("check", "--project", str(project / "backend"), cwd=tmp_path)
    assert (check.returncode, check.stdout) == (0, "in sync\n"), check.stderr
