"""Is the schema there: pgvector installed, the database at Alembic's head (doctor's last steps)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

__all__ = ["Check", "Status", "alembic_check", "vector_check"]

# A migration that creates pgvector: op.execute("CREATE EXTENSION IF NOT EXISTS vector") and kin.
_CREATES_VECTOR = re.compile(r"create\s+extension\s+(if\s+not\s+exists\s+)?\W?vector\b", re.I)


class Status(Enum):
    OK = "ok"
    PROBLEM = "problem"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str


def vector_check(project_dir: Path, ini: str | None, connection: Connection) -> Check:
    """Whether pgvector is installed in the connected database, and how to get it there."""
    row = connection.execute(
        "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
    ).fetchone()
    if row is None:
        missing = f"the vector extension is not installed in {connection.info.dbname}"
        if ini is not None and _migrations_create_vector(project_dir / ini):
            advice = (
                f"run `cd {PurePosixPath(ini).parent} && alembic upgrade head` "
                "(a migration creates it)"
            )
        else:
            advice = (
                "no migration creates it: add one that runs `CREATE EXTENSION IF NOT EXISTS vector`"
            )
        return Check("pgvector", Status.PROBLEM, f"{missing}: {advice}")
    return Check("pgvector", Status.OK, f"vector {row[0]} is installed")


def alembic_check(project_dir: Path, ini: str | None, connection: Connection) -> Check:
    """Whether the connected database is at the head of the project's migrations."""
    name = "alembic"
    try:
        import alembic  # noqa: F401  (only whether it is installed)
    except ImportError:
        return Check(name, Status.SKIPPED, "alembic is not installed here: head not compared")
    if ini is None or not (project_dir / ini).is_file():
        return Check(name, Status.SKIPPED, f"{ini or 'the map names no alembic.ini'}: not found")
    backend = PurePosixPath(ini).parent
    try:
        heads = set(_script_directory(project_dir / ini).get_heads())
    # Alembic runs the project's own env and revision files: any error there is a finding about
    # the project, reported as one line, never a traceback.
    except Exception as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[-1]
        return Check(name, Status.PROBLEM, f"alembic cannot read {ini}: {reason}")
    row = connection.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
    exists = row is not None and row[0]
    current = (
        {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
        if exists
        else set()
    )
    if current == heads:
        return Check(name, Status.OK, f"at head ({', '.join(sorted(heads)) or 'no revisions'})")
    return Check(
        name,
        Status.PROBLEM,
        f"the database is at {', '.join(sorted(current)) or 'no revision'}, head is "
        f"{', '.join(sorted(heads))}: run `cd {backend} && alembic upgrade head`",
    )


def _script_directory(ini: Path):  # type: ignore[no-untyped-def]
    """Alembic's view of the migrations, as ``alembic`` run from the ini's directory sees them.

    Alembic resolves a relative ``script_location`` against the working directory, and users run
    it from the ini's directory (``cd backend && alembic upgrade head``); doctor runs elsewhere.
    A ``package:path`` location is left to Alembic.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ini))
    location = config.get_main_option("script_location")
    if location and not os.path.isabs(location) and ":" not in location:
        # set_main_option interpolates: a literal % must be doubled.
        config.set_main_option("script_location", str(ini.parent / location).replace("%", "%%"))
    return ScriptDirectory.from_config(config)


def _migrations_create_vector(ini: Path) -> bool:
    """Whether a migration of the project creates pgvector (so upgrading is the right advice)."""
    try:
        directory = Path(_script_directory(ini).dir)
    except Exception:  # an unreadable Alembic setup is the alembic check's finding, not this one
        return False
    for path in directory.rglob("*.py"):
        try:
            if _CREATES_VECTOR.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False
