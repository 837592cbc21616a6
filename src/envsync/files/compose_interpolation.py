"""Compose's variable interpolation, as compose-go applies it to every string in the file."""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(
    r"""
    \$(?:
        (?P<escaped>\$) |
        (?P<named>[_A-Za-z][_A-Za-z0-9]*) |
        \{(?P<braced>[_A-Za-z][_A-Za-z0-9]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\} |
        (?P<invalid>\{)
    )
    """,
    re.X,
)


class InterpolationError(ValueError):
    """A ``${`` that compose cannot parse, or a required variable that is unset."""


def escape(value: str) -> str:
    """``value`` spelled so that compose reads it back literally."""
    return value.replace("$", "$$")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """What compose makes of ``value`` given the variables it can see."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"]:
            # Never the value itself: it may be the password.
            raise InterpolationError(
                "invalid interpolation format: a '${' that is not ${NAME}, ${NAME:-default}... "
                "(write a literal '$' as '$$')"
            )
        name = match["named"] or match["braced"]
        op, arg = match["op"], match["arg"] or ""
        current = variables.get(name)
        empty = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in {":-", "-"}:
            return arg if (current is None if op == "-" else empty) else str(current)
        if op in {":?", "?"}:
            if current is None if op == "?" else empty:
                raise InterpolationError(arg or f"required variable {name} is missing a value")
            return str(current)
        if op in {":+", "+"}:
            return "" if (current is None if op == "+" else empty) else arg
        return "" if current is None else current

    return _REFERENCE.sub(replace, value)
