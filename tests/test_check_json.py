"""``envsync check --json`` answers a machine reader with one object on stdout, whatever happens:
in sync, drift, or bad input (then with the file, line and key that the message names)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PORT, envsync_process


def _report(project: Path) -> tuple[int, dict[str, object], str]:
    result = envsync_process("check", "--json", cwd=project)
    return result.returncode, json.loads(result.stdout), result.stderr


def test_in_sync_and_drift_carry_a_status(project: Path) -> None:
    code, report, _ = _report(project)
    assert (code, report["status"], report["in_sync"]) == (0, "in_sync", True)
    env = project / "backend/.env"
    env.write_text(env.read_text().replace("@127.0.0.1:", "@localhost:"))
    code, report, _ = _report(project)
    assert (code, report["status"], report["in_sync"]) == (1, "drift", False)


def test_a_bad_answer_is_an_error_object_naming_the_file_and_key(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"db_port: {PORT}", "db_port: 70000"))
    code, report, stderr = _report(project)
    assert code == 2
    assert report["status"] == "error"
    assert (report["file"], report["key"]) == (".copier-answers.yml", "db_port")
    assert isinstance(report["message"], str) and report["message"] in stderr
    assert "db_port" in report["message"]


def test_a_bad_map_line_is_an_error_object_naming_the_file_and_line(project: Path) -> None:
    place_map = project / "envsync.toml"
    lines = place_map.read_text().splitlines(keepends=True)
    number = next(i for i, text in enumerate(lines, 1) if text.startswith("key ="))
    lines[number - 1] = 'key = "unclosed\n'
    place_map.write_text("".join(lines))
    code, report, stderr = _report(project)
    assert (code, report["status"], report["file"]) == (2, "error", "envsync.toml")
    assert report["line"] == number, report
    assert report["message"] in stderr
