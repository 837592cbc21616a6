"""The map's second databases: ``[database.SERVICE]`` tables and places that name them."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envsync.errors import MapError
from envsync.places import map_edit, map_file
from envsync.places.model import DATABASE_FACTS, fill, qualified, unqualified

TWO_DATABASES = """\
[database.db_test]
db_user = "app"
db_name = "app_test"
db_port = 5452

[[place]]
database = "db_test"
file = "docker-compose.yml"
key = "services.{db_service}.environment.POSTGRES_PASSWORD"
value = "{db_password}"

[[place]]
database = "db_test"
file = "backend/.env"
key = "TEST_DATABASE_URL"
url = { view = "host", scheme = "postgresql+asyncpg" }

[[place]]
file = "backend/.env"
key = "DATABASE_URL"
url = "host"
"""


def test_a_place_of_a_second_database_reads_its_facts_only() -> None:
    place_map = map_file.parse(TWO_DATABASES)
    assert place_map.databases["db_test"].facts == {
        "db_user": "app",
        "db_name": "app_test",
        "db_port": "5452",
    }
    password, test_url, url = place_map.places
    assert password.value == "{db_test.db_password}"
    assert password.key == "services.{db_test.db_service}.environment.POSTGRES_PASSWORD"
    assert test_url.facts() == tuple(
        f"db_test.{name}" for name in ("db_user", "db_password", "db_host", "db_port", "db_name")
    )
    assert url.facts() == ("db_user", "db_password", "db_host", "db_port", "db_name")


def test_the_map_is_written_back_as_the_user_spells_it() -> None:
    place_map = map_file.parse(TWO_DATABASES)
    text = map_file.dump(place_map)
    assert 'database = "db_test"' in text and "db_test.db_" not in text
    assert map_file.parse(text) == place_map


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[database.db_test]\ndb_pasword = "x"\n', "database.db_test: unknown fact 'db_pasword'"),
        ('[database."db test"]\ndb_user = "x"\n', "not a compose service name"),
        ('[database.db_test]\ndb_port = "http"\n', "database.db_test.db_port"),
        ("[database.db_test]\ndb_user = 5\n", "database.db_test.db_user must be text"),
        ('database = "db_test"\n', "'database' must be tables"),
        (
            '[[place]]\ndatabase = "nope"\nfile = ".env"\nkey = "X"\nvalue = "{db_user}"\n',
            "database 'nope' has no [database.nope] table",
        ),
        (
            '[[place]]\ndatabase = ["db"]\nfile = ".env"\nkey = "X"\nvalue = "{db_user}"\n',
            "database must name a [database.SERVICE] table",
        ),
    ],
)
def test_a_bad_database_table_is_one_line_naming_it(text: str, message: str) -> None:
    with pytest.raises(MapError) as raised:
        map_file.parse(text)
    assert message in str(raised.value) and "envsync.toml" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("db_password", 'new"pw'), ("db_port", "6000"), ("db_name", "app_t2"), ("db_user", "bob")],
)
def test_a_database_fact_is_changed_in_its_table_alone(name: str, value: str) -> None:
    text = TWO_DATABASES.replace("db_port = 5452", "db_port = 5452  # the test stack's")
    text = text.replace('db_user = "app"', "db_user = 'app'")  # a TOML literal string
    changed = map_edit.with_database_fact(text, "db_test", name, value)
    before, after = map_file.parse(text), map_file.parse(changed)
    assert after.databases["db_test"].facts == {**before.databases["db_test"].facts, name: value}
    assert after.places == before.places
    assert "db_port = " in changed and "  # the test stack's" in changed
    assert changed.count("\n") == text.count("\n") + (name == "db_password")


_literal = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
_fields = st.sampled_from([*DATABASE_FACTS, "app_driver", "redis_password"])


@given(st.lists(st.tuples(_literal, _fields), max_size=5))
def test_qualifying_a_pattern_changes_which_facts_it_reads_and_nothing_else(
    pieces: list[tuple[str, str]],
) -> None:
    pattern = "".join(
        literal.replace("{", "{{").replace("}", "}}") + "{" + name + "}" for literal, name in pieces
    )
    facts = {name: f"<{name}>" for name in (*DATABASE_FACTS, "app_driver", "redis_password")}
    facts |= {f"db_test.{name}": f"<test {name}>" for name in DATABASE_FACTS}
    spelled = qualified(pattern, "db_test")
    assert unqualified(spelled, "db_test") == pattern
    expected = "".join(
        literal + (f"<test {name}>" if name in DATABASE_FACTS else f"<{name}>")
        for literal, name in pieces
    )
    assert fill(spelled, facts) == expected
    # Without dotted names, fill reads a pattern as str.format does.
    assert fill(pattern, facts) == string.Formatter().vformat(pattern, (), facts)


def test_a_fact_written_in_another_shape_is_refused_not_doubled() -> None:
    text = TWO_DATABASES.replace('db_user = "app"', 'db_user = """app"""')
    with pytest.raises(MapError) as raised:
        map_edit.with_database_fact(text, "db_test", "db_user", "bob")
    assert "database.db_test.db_user is not written as a one-line string" in str(raised.value)
