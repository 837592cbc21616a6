"""How secrets are hidden in everything envsync prints: every spelling of every secret, and the
value of every secret place wherever it sits in a file."""

from __future__ import annotations

import os

from envsync import database_url, file_io
from envsync.drift import MASK
from envsync.errors import FormatError
from envsync.plan import Plan
from envsync.workspace import Workspace


def secret_spellings(values: list[str | None]) -> set[str]:
    """Every way a secret is written in some file, so that output can hide all of them."""
    import contextlib

    from envsync.formats import compose_file, dotenv_file, ini_file
    from envsync.formats.compose_interpolation import escape

    spellings: set[str] = set()
    for value in values:
        if not value:
            continue
        encoded = database_url.encode_component(value)
        spellings |= {
            value,
            encoded,
            encoded.lower(),
            ini_file.quote(encoded),
            compose_file.quote(value)[1:-1],
            escape(value),
            value.replace("'", "''"),  # a YAML single-quoted scalar, as a user may write it
        }
        with contextlib.suppress(FormatError):
            spelled = dotenv_file.quote(value, key="", path="")
            spellings.add(spelled.removeprefix("'").removesuffix("'"))
    return spellings


def plan_secrets(current_plan: Plan) -> set[str]:
    found = [f.found for f in current_plan.findings if f.secret]
    expected = [f.expected for f in current_plan.findings if f.secret]
    return secret_spellings([*current_plan.facts.secret_values(), *found, *expected])


def masked_lines(current_plan: Plan, path: str, text: str | None) -> list[str]:
    """``text``'s lines with the value of every secret place of ``path`` masked in place."""
    lines = (text or "").splitlines(keepends=True)
    places = [
        place.resolved(current_plan.facts.values)
        for place in current_plan.place_map.places
        if place.file == path
        and (place.url is not None or current_plan.facts.is_secret(place.facts()))
    ]
    if not text or not places:
        return lines
    ws = Workspace(current_plan.project_dir, {path: file_io.TextFile(text, False)}, os.environ)
    try:
        doc = ws.document(path, places[0].format)
        readings = [(place, doc.read(place.key)) for place in places] if doc else []
    except FormatError:
        return lines
    for place, reading in readings:
        if reading.line is None or not isinstance(reading.source, str):
            continue
        index = reading.line - 1
        if index >= len(lines):
            continue
        if place.url is not None:
            raw = database_url.split_raw(reading.source)
            secret = raw.get("password") if raw else None
        else:
            secret = reading.source
        if secret and secret in lines[index]:
            lines[index] = lines[index].replace(secret, MASK)
    return lines
