"""What envsync hands to ``docker compose``, checked against libpq's own parser."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

from envsync.live import compose

# Any printable text a name or password may be (answers refuse line breaks and the like).
_VALUES = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


@given(user=_VALUES, database=_VALUES, host=_VALUES)
def test_conninfo_reads_back_as_libpq_parses_it(user: str, database: str, host: str) -> None:
    text = compose.conninfo(host=host, port="5432", user=user, dbname=database)
    expected = {"host": host, "port": "5432", "user": user, "dbname": database}
    assert conninfo_to_dict(text) == expected
