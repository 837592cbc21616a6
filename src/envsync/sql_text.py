"""SQL text for the few statements envsync runs or shows: names and values quoted as PostgreSQL
reads them, so any user, database name or password survives."""


def identifier(name: str) -> str:
    """A quoted identifier: case and every character kept, as the image creates POSTGRES_DB."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string literal (standard_conforming_strings is on: backslashes are plain)."""
    return "'" + value.replace("'", "''") + "'"
