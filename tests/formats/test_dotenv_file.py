"""backend/.env: only the owned keys change, whatever shape their line has."""

from __future__ import annotations

import pytest

from envsync.formats import dotenv_file

TARGET = "DATABASE_URL=postgresql+asyncpg://u:p%40ss@127.0.0.1:5432/d\n"
WANTED_LINE = "DATABASE_URL=postgresql+asyncpg://u:p%40ss@127.0.0.1:5432/d"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("A=1\nDATABASE_URL\nB=2\n", f"A=1\n{WANTED_LINE}\nB=2\n"),
        ("A=1\n\nDATABASE_URL", f"A=1\n\n{WANTED_LINE}"),
        ("DATABASE_URL=\n", f"{WANTED_LINE}\n"),
        ("export DATABASE_URL='x'  # mine\r\n", f"export {WANTED_LINE}  # mine\r\n"),
        ("A=1", f"A=1\n{WANTED_LINE}\n"),
    ],
    ids=[
        "bare key",
        "bare key last, no newline",
        "empty value",
        "export, quotes, comment",
        "absent",
    ],
)
def test_repair_writes_the_url_whatever_the_line_looked_like(current: str, expected: str) -> None:
    repaired, findings = dotenv_file.sync(current, TARGET, path="backend/.env", owned={})
    assert findings
    assert repaired == expected
    assert dotenv_file.sync(repaired, TARGET, path="backend/.env", owned={}) == (repaired, [])
