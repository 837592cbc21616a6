"""Compose's variable interpolation, as compose-go's ``template`` package applies it.

Compose runs it on every string of the compose file and on the values of the ``.env`` and
``env_file:`` files it reads. The quirks below are compose-go's, kept on purpose (checked against
the real binary in tests/formats/test_compose_interpolation.py):

- An operator's argument runs to the *last* ``}`` of the line; a brace counter then cuts the
  expression at its own closing brace and the rest is interpolated on its own. That is what makes
  nested defaults ``${A:-${B:-x}}`` work.
- The argument (default, alternative or error text) is interpolated before the variable is looked
  at, so ``${A:-${B:?}}`` fails when B is unset even if A is set.
- Names are ``[_a-z][_a-z0-9]*`` matched case-insensitively by Go, which also folds the Kelvin
  sign and the long s into ``k`` and ``s``; Python's ``re.I`` folds two more letters, so the
  classes spell Go's set out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["InterpolationError", "escape", "interpolate", "references"]

_NAME = "[_A-Za-z\u017f\u212a][_A-Za-z0-9\u017f\u212a]*"
_PATTERN = re.compile(
    rf"\$(?:(?P<escaped>\$)|(?P<named>{_NAME})|\{{(?:(?P<braced>{_NAME}(?::?[-+?].*)?)\}}|))"
)
# compose-go picks the operator that appears first in the matched text.
_OPERATORS = (":?", "?", ":-", "-", ":+", "+")

Lookup = Callable[[str], str | None]


class InterpolationError(ValueError):
    """A ``${`` that compose cannot parse, or a required variable that is unset.

    The message names the problem only: the value may hold a password.
    """


def escape(value: str) -> str:
    """``value`` spelled so that compose reads it back literally."""
    return value.replace("$", "$$")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """What compose makes of ``value`` given the variables it can see."""
    return _substitute(value, variables.get)


def references(value: str) -> list[str]:
    """The variable names ``value`` reads, in order of first appearance, nested ones included."""
    names: dict[str, None] = {}

    def record(name: str) -> str:
        names[name] = None
        # Set and not empty: every `:?` passes, so no reference is hidden behind an error.
        return "x"

    _substitute(value, record)
    return list(names)


def _substitute(template: str, lookup: Lookup) -> str:
    return _PATTERN.sub(lambda match: _replace(match[0], lookup), template)


def _closing_brace(text: str) -> int:
    """compose-go's brace counter: a ``{`` also swallows the character after it."""
    depth = 0
    i = 0
    while i < len(text):
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        if text[i] == "{":
            depth += 1
            i += 1
        i += 1
    return -1


def _replace(matched: str, lookup: Lookup) -> str:
    found = [(matched.find(op), op) for op in _OPERATORS if op in matched]
    operator = min(found)[1] if found else None
    end = _closing_brace(matched)
    rest = ""
    if end > -1:
        matched, rest = matched[: end + 1], matched[end + 1 :]
    match = _PATTERN.match(matched)
    assert match is not None  # the text is a prefix of a match, cut after a closing brace
    if match["escaped"]:
        return "$"
    if match["named"]:
        return lookup(match["named"]) or ""
    braced = match["braced"]
    if not braced:
        raise InterpolationError("invalid interpolation format: a '${' compose cannot parse")
    if operator is None:  # a plain ${NAME}: an operator always comes right after the name
        return lookup(braced) or ""
    name, argument = braced.split(operator, 1)
    argument = _substitute(argument, lookup)
    current = lookup(name)
    missing = current is None or (operator.startswith(":") and current == "")
    if operator in {":-", "-"}:
        value = argument if missing else str(current)
    elif operator in {":+", "+"}:
        value = "" if missing else argument
    elif missing:
        raise InterpolationError(f"required variable {name} is missing a value")
    else:
        value = str(current)
    return value + _substitute(rest, lookup)
