"""``envsync adopt --update``: a copy ``check`` found outside the map becomes a place of it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import envsync, snapshot


def _answers(project: Path) -> dict[str, str]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return {key: str(value) for key, value in loaded.items()}


def test_update_adds_the_places_found_and_changes_nothing_else(project: Path) -> None:
    facts = _answers(project)
    url = (
        f"postgresql+asyncpg://{facts['db_user']}:{facts['db_password']}@db:5432/{facts['db_name']}"
    )
    compose = project / "docker-compose.yml"
    compose.write_text(
        compose.read_text().replace(
            "\nvolumes:\n",
            f"  backend:\n    image: app\n    environment:\n      DATABASE_URL: {url}\n"
            "\nvolumes:\n",
        )
    )
    check = envsync("check", cwd=project)
    assert check.returncode == 1
    assert (
        "docker-compose.yml:27: DATABASE_URL: the current db_password outside the map"
        in check.stdout
    )
    old_map = (project / "envsync.toml").read_text()
    before = snapshot(project)

    result = envsync("adopt", "--update", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "added to envsync.toml: docker-compose.yml: services.backend.environment.DATABASE_URL"
    )
    new_map = (project / "envsync.toml").read_text()
    assert new_map.startswith(old_map.rstrip("\n"))
    after = snapshot(project)
    assert {name for name in after if after[name] != before.get(name)} == {"envsync.toml"}
    assert envsync("check", cwd=project).stdout.strip() == "in sync"

    again = envsync("adopt", "--update", cwd=project)
    assert again.stdout.strip() == "envsync.toml already names every place discovery finds"
    assert (project / "envsync.toml").read_text() == new_map


def test_update_needs_a_managed_project(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n")
    result = envsync("adopt", "--update", cwd=tmp_path)
    assert result.returncode == 2
    assert "envsync.toml: envsync does not manage this project yet" in result.stderr
