"""Files holding the password that other users can read are named once, with the fix."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from envsync import file_modes
from tests.conftest import envsync


def test_note_names_readable_files_with_the_chmod_that_fixes_them(tmp_path: Path) -> None:
    for name, mode in {"open.env": 0o644, "group file": 0o640, "private.env": 0o600}.items():
        (tmp_path / name).write_text("x\n")
        (tmp_path / name).chmod(mode)
    paths = dict.fromkeys(["open.env", "group file", "private.env", "missing.env"], "a secret")
    note = file_modes.note(tmp_path, paths)
    assert note is not None
    assert note.startswith("open.env, group file hold a secret and other users can read them")
    paths["open.env"] = "the database password"
    mixed = file_modes.note(tmp_path, paths)
    assert mixed is not None
    assert mixed.startswith(
        "open.env (the database password), group file (a secret) hold secrets and other users "
        "can read them;"
    )
    command = note.rsplit("`", 2)[1]
    assert command == "chmod go-rwx open.env 'group file'"
    subprocess.run(shlex.split(command), cwd=tmp_path, check=True)
    assert file_modes.note(tmp_path, paths) is None


def test_set_and_adopt_say_once_which_files_others_can_read(project: Path) -> None:
    for name in ("backend/.env", "CLAUDE.md", "docker-compose.yml"):
        (project / name).chmod(0o644)
    result = envsync("set", "db_password=N3w-Pw-0644", cwd=project)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if "other users can read" in line]
    assert notes == [
        "note: docker-compose.yml, backend/.env, CLAUDE.md hold the database password and "
        "other users can read them; envsync kept the mode: to restrict it, run "
        "`chmod go-rwx docker-compose.yml backend/.env CLAUDE.md`"
    ]
    assert (project / "backend/.env").stat().st_mode & 0o777 == 0o644
    (project / ".copier-answers.yml").unlink()
    (project / "envsync.toml").unlink()
    (project / "CLAUDE.md").write_text("# Notes of the team\n")  # adopt adds the section
    adopted = envsync("adopt", cwd=project)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    # No tracked file held the password: adopt keeps it in the git-ignored backend/.env
    # (secret_storage: local) and writes it nowhere, so there is nothing to warn about.
    notes = [line for line in adopted.stdout.splitlines() if "other users can read" in line]
    assert notes == []
    assert "N3w-Pw-0644" not in (project / "CLAUDE.md").read_text()


def test_render_of_private_files_says_nothing(project: Path) -> None:
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("//myproject_user:", "//other:"))
    result = envsync("render", cwd=project)
    assert "other users can read" not in result.stdout
