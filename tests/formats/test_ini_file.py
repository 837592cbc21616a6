"""alembic.ini: the URL is found the way configparser finds it and repaired in place."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from envsync.errors import FormatError
from envsync.formats.ini_file import IniDocument
from tests.formats.context import context

KEY = "[alembic] sqlalchemy.url"
URL = "postgresql+psycopg://u:p%%40ss@127.0.0.1:5432/d"


def _repaired(text: str, tmp_path: Path) -> str:
    repaired = IniDocument(text, context("alembic.ini", tmp_path)).write(KEY, URL)
    parser = configparser.ConfigParser(defaults={"here": str(tmp_path)})
    parser.read_string(repaired)  # strict: a second sqlalchemy.url or [alembic] raises
    assert parser.get("alembic", "sqlalchemy.url") == URL.replace("%%", "%")
    return repaired


def test_repair_keeps_every_other_line(tmp_path: Path) -> None:
    current = (
        "# mine\n[alembic]\nscript_location = %(here)s/alembic\n"
        "sqlalchemy.url = postgresql+psycopg://other:x@localhost:5432/d\n"
        "[post_write_hooks]\nhooks = black\n"
    )
    assert _repaired(current, tmp_path) == current.replace(
        "postgresql+psycopg://other:x@localhost:5432/d", URL
    )


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # configparser takes indented keys as keys (issue: a second url was appended)
        ("[alembic]\n  script_location = a\n  sqlalchemy.url = x\n",
         f"[alembic]\n  script_location = a\n  sqlalchemy.url = {URL}\n"),
        # a header with a comment is still [alembic]
        ("[alembic] ; main\nsqlalchemy.url = x\n", f"[alembic] ; main\nsqlalchemy.url = {URL}\n"),
        # a continuation line after a blank line belongs to the value
        ("[alembic]\nsqlalchemy.url = x\n\n  y\nother = 1\n",
         f"[alembic]\nsqlalchemy.url = {URL}\nother = 1\n"),
        # an empty value gets its space
        ("[alembic]\nsqlalchemy.url =\n", f"[alembic]\nsqlalchemy.url = {URL}\n"),
        (
            "[alembic]\nscript_location = a\n",
            f"[alembic]\nscript_location = a\nsqlalchemy.url = {URL}\n",
        ),
        (
            "[loggers]\nkeys = root\n",
            f"[loggers]\nkeys = root\n[alembic]\nsqlalchemy.url = {URL}\n",
        ),
    ],
    ids=["indented keys", "header comment", "continuation", "empty value", "absent", "no section"],
)  # fmt: skip
def test_repair_lands_where_configparser_reads(current: str, expected: str, tmp_path: Path) -> None:
    assert _repaired(current, tmp_path) == expected


def test_errors_name_the_problem_not_the_value(tmp_path: Path) -> None:
    text = "[alembic]\nsqlalchemy.url = postgresql://u:se%40cret@h/d\n"
    document = IniDocument(text, context("alembic.ini", tmp_path))
    with pytest.raises(FormatError) as raised:
        document.read(KEY)
    assert "se%40cret" not in str(raised.value) and "%40" not in str(raised.value)
    assert "'%'" in str(raised.value)
