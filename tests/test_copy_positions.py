"""Password positions and credential keys of a line, for any value a password may be."""

from __future__ import annotations

import string
from urllib.parse import quote

from hypothesis import assume, given
from hypothesis import strategies as st

from envsync import copy_positions
from envsync.formats.compose_interpolation import escape

PRINTABLE = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from("éß€"),
    min_size=1,
    max_size=24,
)
PLAIN = st.text(string.ascii_letters + string.digits + "-_.!@%^&*+=~", min_size=1, max_size=24)
NAMES = st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=16)


def _found(line: str, password: str) -> bool:
    return any(
        password in copy_positions.readings(position.value)
        for position in copy_positions.passwords(line)
    )


@given(PRINTABLE)
def test_a_urls_password_is_found_however_it_is_encoded(password: str) -> None:
    assume(not copy_positions.is_placeholder(password))
    encoded = quote(password, safe="")
    assert _found(f"psql postgresql://app:{encoded}@127.0.0.1:5432/app -c 'select 1'", password)
    assert _found(f'url = "postgresql+asyncpg://app:{encoded}@db/app"', password)
    assert _found(f"sqlalchemy.url = postgresql://app:{encoded.replace('%', '%%')}@h/app", password)


@given(PLAIN, st.sampled_from(["POSTGRES_PASSWORD", "PGPASSWORD", "db_pass", "Password"]))
def test_the_value_of_a_key_named_like_a_password_is_found(password: str, key: str) -> None:
    assume(not copy_positions.is_placeholder(password))
    assert _found(f"{key}={password}", password)
    assert _found(f"  {key}: '{password}'", password)
    assert _found(f'    "{key}": "{password}",', password)
    assert _found(f"export {key}={escape(password)}", password)
    assert _found(f"mysql -u root --password={password} app", password)


@given(NAMES, st.sampled_from(["POSTGRES_USER", "user", "DB_NAME", "-U", "container_name"]))
def test_a_value_that_is_no_password_position_is_never_one(value: str, key: str) -> None:
    line = f"{key}: {value}" if not key.startswith("-") else f"psql {key} {value} -d {value}"
    assume("pass" not in value and "pwd" not in value)
    assert copy_positions.passwords(line) == []


@given(PLAIN.filter(lambda value: "'" not in value))
def test_an_assignment_reads_its_value_without_quotes(value: str) -> None:
    found = copy_positions.assignment(f"  - POSTGRES_DB='{value}'  # the name")
    assert found == copy_positions.Position("POSTGRES_DB", value)


def test_placeholders_and_references_are_no_credentials() -> None:
    for value in ("changethis", "CHANGE_ME", "${POSTGRES_PASSWORD:?set it}", "<password>", "***"):
        assert copy_positions.passwords(f"POSTGRES_PASSWORD={value}") == []
        assert copy_positions.credential(f"POSTGRES_PASSWORD={value}") is None
    assert copy_positions.credential("DEBUG=1") is None
    assert copy_positions.credential("CACHE_URL=redis://cache:6379/0") is None
    assert copy_positions.credential("MAIN=postgres://u:p@db/app") is not None
