"""The columns adopt's table is laid out in: aligned, headed, wrapped to a terminal's width."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from envsync import text_table

# Cells as adopt has them: words with one space between, no space around.
WORD = st.text(st.sampled_from(list("abc.:/_-XYZ09")), min_size=1, max_size=14)
CELL = st.lists(WORD, max_size=4).map(" ".join)


def test_cells_start_at_their_header_and_the_wrapped_column_fits() -> None:
    header = ["fact", "place", "value"]
    rows = [["db_user", "compose.yaml: services.db.environment.POSTGRES_USER", "app"]]
    assert text_table.lines(header, rows) == [
        "fact     place                                                value",
        "db_user  compose.yaml: services.db.environment.POSTGRES_USER  app",
    ]
    assert text_table.lines(header, rows, width=42, wrap=1) == [
        "fact     place                       value",
        "db_user  compose.yaml: services.db.  app",
        "         environment.POSTGRES_USER",
    ]


@given(
    rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=5),
    width=st.integers(min_value=30, max_value=120),
)
def test_a_wrapped_table_fits_and_loses_no_character(
    rows: list[tuple[str, str, str]], width: int
) -> None:
    header = ["fact", "place", "value"]
    widths = [max(len(r[i]) for r in [tuple(header), *rows]) for i in (0, 2)]
    lines = text_table.lines(header, [list(r) for r in rows], width=width, wrap=1)
    if sum(widths) + 2 * len(text_table.GAP) + 16 <= width:
        assert all(len(line) <= width for line in lines), lines
    start = lines[0].index("place")
    places = "".join(line[start:].split("  ")[0] for line in lines[1:])
    assert places.replace(" ", "") == "".join(r[1] for r in rows).replace(" ", "")
