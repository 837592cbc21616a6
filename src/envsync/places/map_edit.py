"""Edits to the map's text that keep every other byte: a fact of the team's own, a fact of a
second database. ``envsync set`` changes the map with them."""

from __future__ import annotations

import re

from envsync.errors import MapError
from envsync.places.map_file import MAP_FILE, toml_string


def with_fact(text: str, name: str, value: str) -> str:
    """The map's text with user fact ``name`` set to ``value``; every other byte kept."""
    pattern = re.compile(
        rf"^(?P<lead>{re.escape(name)}\s*=\s*\{{\s*value\s*=\s*)\"(?:[^\"\\]|\\.)*\"", re.M
    )
    plain = re.compile(rf"^(?P<lead>{re.escape(name)}\s*=\s*)\"(?:[^\"\\]|\\.)*\"", re.M)
    for candidate in (pattern, plain):
        changed, count = candidate.subn(
            lambda match: match["lead"] + toml_string(value), text, count=1
        )
        if count:
            return changed
    raise MapError(path=MAP_FILE, message=f"cannot find facts.{name} written as a basic string")


def with_database_fact(text: str, service: str, name: str, value: str) -> str:
    """The map's text with ``name`` of ``[database.SERVICE]`` set to ``value`` (the line
    replaced, or added under the table's header); every other byte kept."""
    header = re.compile(rf"^\[\s*database\.{re.escape(service)}\s*\][^\n]*\n?", re.M)
    found = header.search(text)
    if found is None:
        raise MapError(path=MAP_FILE, message=f"cannot find the table [database.{service}]")
    following = re.compile(r"^\s*\[", re.M).search(text, found.end())
    end = following.start() if following else len(text)
    table = text[found.end() : end]
    line = re.compile(
        rf"^{re.escape(name)}\s*=\s*(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[0-9]+)(?=[ \t]*(#|$))", re.M
    )
    entry = f"{name} = {toml_string(value)}"
    changed, count = line.subn(lambda _: entry, table, count=1)
    if not count:
        if re.search(rf"^{re.escape(name)}\s*=", table, re.M):
            raise MapError(
                path=MAP_FILE,
                message=f"database.{service}.{name} is not written as a one-line string or "
                "number; write it so, then run the command again",
            )
        changed = f"{entry}\n{table}"
    lead = text[: found.end()] if found.group().endswith("\n") else text[: found.end()] + "\n"
    return lead + changed + text[end:]
