"""What envsync hands to ``docker compose``, checked against libpq's own parser."""

from __future__ import annotations

import ast
from pathlib import Path

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


def test_docker_is_run_only_through_composes_runner() -> None:
    """One runner (``compose.run``) for every docker command: its timeout, its captured output
    and its "could not run" answer are the same for every question the live commands ask."""
    live = Path(compose.__file__).parent
    for module in sorted(live.glob("*.py")):
        if module.name == "compose.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        runs_docker = any(
            isinstance(node, ast.Constant) and node.value == "docker" for node in ast.walk(tree)
        ) or "compose." in module.read_text(encoding="utf-8")
        imports = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not (runs_docker and "subprocess" in imports), f"{module.name} runs subprocess"
