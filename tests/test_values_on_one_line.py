"""A value cannot escape its spelling (issue 22, item 2): a line break never reaches a line-based
file. Wherever a value comes from (the map's facts and patterns, the answers, ``envsync set``),
it is refused in one line before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import refused_in_one_line

BREAKS = ["a\nINJECTED=evil", "a\rb", "a\u2028b", "a\x85b"]


@pytest.mark.parametrize("value", BREAKS)
def test_a_fact_of_the_map_with_a_line_break_is_refused(project: Path, value: str) -> None:
    with (project / "envsync.toml").open("a") as handle:
        handle.write(
            f'\n[[place]]\nfile = "backend/.env"\nkey = "REDIS_URL"\nvalue = {json.dumps(value)}\n'
        )
    line = refused_in_one_line(project, "render")
    assert line.startswith("envsync: envsync.toml: place #")
    assert (
        f"(backend/.env: REDIS_URL): value holds the non-printable character U+{ord(value[1]):04X}"
        in line
    )


@pytest.mark.parametrize("fmt", ["ini", "markdown", "compose"])
def test_a_line_break_is_refused_for_every_line_based_format(project: Path, fmt: str) -> None:
    file = {"ini": "backend/alembic.ini", "markdown": "CLAUDE.md", "compose": "docker-compose.yml"}
    key = {"ini": "[alembic] x", "markdown": "credentials/x", "compose": "services.db.x"}
    text = (
        (project / "envsync.toml")
        .read_text()
        .replace("[facts]\n", '[facts]\nredis = "a\\n[core]\\nfsmonitor = touch x"\n', 1)
    )
    text += f'\n[[place]]\nfile = "{file[fmt]}"\nkey = "{key[fmt]}"\nvalue = "{{redis}}"\n'
    (project / "envsync.toml").write_text(text)
    line = refused_in_one_line(project, "render")
    assert line == "envsync: envsync.toml: facts.redis holds the non-printable character U+000A"


@pytest.mark.parametrize("value", BREAKS)
def test_set_refuses_a_line_break_in_an_answer(project: Path, value: str) -> None:
    line = refused_in_one_line(project, "set", f"db_password={value}")
    assert "db_password" in line


def test_set_refuses_a_line_break_in_a_fact_of_the_map(project: Path) -> None:
    text = (project / "envsync.toml").read_text().replace("[facts]\n", '[facts]\nredis = "x"\n', 1)
    (project / "envsync.toml").write_text(text)
    assert "redis" in refused_in_one_line(project, "set", "redis=a\nINJECTED=evil")
