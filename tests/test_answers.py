"""The answers file: read without any other project file, envsync's questions validated, the
template's other questions carried, a repeated key refused."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import envsync, snapshot

ANSWERS = ".copier-answers.yml"


def test_a_repeated_key_is_refused_naming_file_key_and_line(project: Path) -> None:
    path = project / ANSWERS
    text = path.read_text()
    path.write_text(text + "db_port: 6000\n")
    line = text.count("\n") + 1
    before = snapshot(project)
    for command in (["check"], ["render"], ["set", "db_name=other", "--files-only"]):
        result = envsync(*command, cwd=project)
        assert result.returncode == 2, command
        assert f"{ANSWERS}: db_port: is given twice (line {line})" in result.stderr, result.stderr
    assert snapshot(project) == before


def test_a_question_of_a_newer_template_is_carried(project: Path) -> None:
    path = project / ANSWERS
    path.write_text(path.read_text() + "team_name: platform\n")
    assert envsync("check", cwd=project).returncode == 0
    changed = envsync("set", "team_name=data", "db_name=other", "--files-only", cwd=project)
    assert changed.returncode == 0, changed.stderr
    answers = yaml.safe_load(path.read_text())
    assert answers["team_name"] == "data" and answers["db_name"] == "other"
    assert envsync("check", cwd=project).returncode == 0


def test_set_refuses_a_key_no_template_asks(project: Path) -> None:
    result = envsync("set", "team_nam=data", "--files-only", cwd=project)
    assert result.returncode == 2
    assert "team_nam: is not a question of this template" in result.stderr
