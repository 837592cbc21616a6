"""database_url mirrors SQLAlchemy's ``make_url`` without importing it: the two are compared."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from envsync import answers, database_url

_HOSTS = st.one_of(
    st.sampled_from(["127.0.0.1", "localhost", "db.example.internal", "::1", "fe80::1"]),
    st.ip_addresses().map(str),
)


@settings(max_examples=200)
@given(
    driver=st.sampled_from(answers.APP_DRIVERS),
    user=st.text(min_size=1),
    password=st.text(min_size=1),
    host=_HOSTS,
    port=st.integers(1, 65535),
    database=st.text(min_size=1),
)
def test_a_built_url_reads_back_as_its_parts_in_both_parsers(
    driver: str, user: str, password: str, host: str, port: int, database: str
) -> None:
    url = database_url.build(
        driver=driver, user=user, password=password, host=host, port=port, database=database
    )
    parsed, theirs = database_url.parse(url), make_url(url)
    assert parsed is not None
    expected = (f"postgresql+{driver}", user, password, host, port, database)
    assert (
        parsed.drivername,
        parsed.user,
        parsed.password,
        parsed.host,
        parsed.port,
        parsed.database,
    ) == expected
    assert (
        theirs.drivername,
        theirs.username,
        theirs.password,
        theirs.host,
        theirs.port,
        theirs.database,
    ) == expected


# Text made of URL delimiters, escapes and look-alike digits, often behind a valid scheme.
_URL_TEXT = st.text(st.sampled_from("ab%40%zz+:/@?[]#=& -_.5²٣"), max_size=30)
_URLS = st.one_of(
    _URL_TEXT,
    st.builds("{}://{}".format, st.sampled_from(["postgresql+asyncpg", "pg", "a b"]), _URL_TEXT),
)


def _ours(url: str) -> tuple[object, ...] | None:
    parsed = database_url.parse(url)
    return None if parsed is None else tuple(getattr(parsed, p) for p in database_url.URL_PARTS)


def _theirs(url: str) -> tuple[object, ...] | None:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    return (
        parsed.drivername,
        parsed.username,
        parsed.password,
        parsed.host,
        parsed.port,
        parsed.database,
    )


@settings(max_examples=300)
@given(url=_URLS)
def test_parse_splits_any_text_where_make_url_does(url: str) -> None:
    assert _ours(url) == _theirs(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://u:p@h: 5/d",  # int() accepts surrounding spaces
        "postgresql+asyncpg://u:p@h:5_0/d",  # and underscores between digits
        "postgresql+asyncpg://u:p@h:²/d",  # isdigit() says yes, int() says no
        "postgresql+asyncpg://u:p@ss@h/d",  # a raw @ in the password ends it at the first @
        "postgresql+asyncpg://u:%41@h/d",  # a raw %41 is decoded to A
        "postgresql+asyncpg://u:a+b@h/d",  # + stays + (no quote_plus decoding)
        "postgresql+asyncpg://u:p@h:/d",  # an empty port is an error, not "no port"
    ],
)
def test_known_corners_agree(url: str) -> None:
    assert _ours(url) == _theirs(url)
