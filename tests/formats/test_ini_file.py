"""backend/alembic.ini: the URL is repaired in place, the user's query options kept."""

from __future__ import annotations

from pathlib import Path

from envsync.formats import ini_file

TARGET = "[alembic]\nsqlalchemy.url = postgresql+psycopg://u:p%%40ss@127.0.0.1:5432/d\n"


def test_repair_keeps_query_options_and_every_other_line(tmp_path: Path) -> None:
    current = (
        "# mine\n[alembic]\nscript_location = %(here)s/alembic\n"
        "sqlalchemy.url = postgresql+psycopg://other:x@localhost:5432/d?sslmode=require&x=%%41\n"
        "[post_write_hooks]\nhooks = black\n"
    )
    repaired, findings = ini_file.sync(current, TARGET, path="alembic.ini", here=tmp_path)
    assert {f.key for f in findings} == {
        "[alembic] sqlalchemy.url (user)",
        "[alembic] sqlalchemy.url (password)",
        "[alembic] sqlalchemy.url (host)",
    }
    assert repaired == current.replace("//other:x@localhost:", "//u:p%%40ss@127.0.0.1:")
    url = ini_file.read_url(repaired, path="alembic.ini", here=tmp_path)
    assert url == "postgresql+psycopg://u:p%40ss@127.0.0.1:5432/d?sslmode=require&x=%41"
    assert ini_file.sync(repaired, TARGET, path="alembic.ini", here=tmp_path) == (repaired, [])
