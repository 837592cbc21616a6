"""Dotenv files: only the owned keys change, whatever shape their line has."""

from __future__ import annotations

import io
import logging

import pytest
from dotenv import dotenv_values
from hypothesis import given
from hypothesis import strategies as st

from envsync.errors import FormatError
from envsync.formats import dotenv_file
from envsync.formats.dotenv_file import DotenvDocument
from tests.formats.context import context

URL = "postgresql+asyncpg://u:p%40ss@127.0.0.1:5432/d"
WANTED_LINE = f"DATABASE_URL={URL}"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("A=1\nDATABASE_URL\nB=2\n", f"A=1\n{WANTED_LINE}\nB=2\n"),
        ("A=1\n\nDATABASE_URL", f"A=1\n\n{WANTED_LINE}"),
        ("DATABASE_URL=\n", f"{WANTED_LINE}\n"),
        ("export DATABASE_URL='x'  # mine\r\n", f"export DATABASE_URL='{URL}'  # mine\r\n"),
        ('DATABASE_URL="x"\n', f'DATABASE_URL="{URL}"\n'),
        ("A=1", f"A=1\n{WANTED_LINE}\n"),
    ],
    ids=["bare key", "bare key last", "empty value", "single quotes kept", "double quotes kept",
         "absent"],
)  # fmt: skip
def test_repair_writes_the_url_whatever_the_line_looked_like(current: str, expected: str) -> None:
    repaired = DotenvDocument(current, context(".env")).write("DATABASE_URL", URL)
    assert repaired == expected
    assert DotenvDocument(repaired, context(".env")).read("DATABASE_URL").value == URL


def test_a_reference_is_read_as_python_dotenv_expands_it() -> None:
    text = "POSTGRES_PASSWORD=s3cret\nDATABASE_URL=postgresql://u:${POSTGRES_PASSWORD}@db/app\n"
    reading = DotenvDocument(text, context(".env")).read("DATABASE_URL")
    assert reading.value == dotenv_values(stream=io.StringIO(text))["DATABASE_URL"]
    assert reading.source == "postgresql://u:${POSTGRES_PASSWORD}@db/app"


@pytest.mark.parametrize("value", ["a\nINJECTED=1", "a\rb", "a\x00b", "a\u2028b", "a\x85b"])
@pytest.mark.parametrize("literal", [False, True])
def test_a_value_that_would_spill_onto_another_line_is_refused(value: str, literal: bool) -> None:
    document = DotenvDocument("A=1\n", context(".env"))
    write = document.write_literal if literal else document.write
    with pytest.raises(FormatError, match=r"^\.env: B cannot hold the character U\+"):
        write("B", value)


NAMES = st.sampled_from(["A", "B", "C", "ENVSYNC_TEST_FROM_ENV"])
PIECES = st.one_of(
    NAMES.map(lambda name: f"${{{name}}}"),
    st.tuples(NAMES, st.text("xy:-$ ", max_size=4)).map(lambda nd: f"${{{nd[0]}:-{nd[1]}}}"),
    st.text("ab $#{}:-\\'\"=", max_size=5),
)
VALUES = st.lists(PIECES, max_size=4).map("".join)
LINES = st.one_of(
    st.tuples(NAMES, VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(NAMES, VALUES).map(lambda kv: f"export {kv[0]}='{kv[1]}'"),
    st.tuples(NAMES, VALUES).map(lambda kv: f'{kv[0]} = "{kv[1]}"  # note'),
    NAMES,
    st.sampled_from(["", "# comment", "not a binding", "'unterminated"]),
)


@given(lines=st.lists(LINES, max_size=8), environment=st.one_of(st.none(), VALUES))
def test_values_resolve_as_python_dotenv_does(lines: list[str], environment: str | None) -> None:
    """Our one-pass resolution against python-dotenv's own (quadratic) one."""
    text = "\n".join(lines) + "\n"
    with pytest.MonkeyPatch.context() as patch:
        if environment is None:
            patch.delenv("ENVSYNC_TEST_FROM_ENV", raising=False)
        else:
            patch.setenv("ENVSYNC_TEST_FROM_ENV", environment)
        logging.getLogger("dotenv.main").disabled = True
        assert dotenv_file.values(text) == dotenv_values(stream=io.StringIO(text))
