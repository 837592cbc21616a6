"""compose_interpolation reads values as Docker Compose v2 does; escape() makes any text literal.

The judge is the real compose binary (tests/compose_v2.py): each example writes many values into one
service's ``environment`` and asks compose once, since every run of the binary costs tens of ms.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsync.formats.compose_interpolation import (
    InterpolationError,
    escape,
    interpolate,
    references,
)
from tests import compose_v2

NAMES = ["A", "b_2", "_x", "UNSET"]
_VARIABLES = st.dictionaries(st.sampled_from(NAMES[:3]), st.text("ab$ -}", max_size=3))
# Braces, operators and letters Go folds into names (Kelvin sign, long s) or does not (dotless i).
_LITERAL = st.one_of(
    st.text("ab_1 }{:-?+#'\"\\\n\u212a\u017f\u0131é", max_size=4),
    st.sampled_from(["{{", "{}", "}}", "$\u212a", "$\u017fx", "$\u0131"]),
)
_NAME = st.sampled_from(NAMES)
_OPERATOR = st.sampled_from([":-", "-", ":?", "?", ":+", "+"])


def _expressions(argument: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _LITERAL,
        st.just("$$"),
        st.just("$"),
        _NAME.map("${}".format),
        _NAME.map("${{{}}}".format),
        st.builds("${{{}{}{}}}".format, _NAME, _OPERATOR, argument),
    )


# Arguments nest up to two levels deep: ${A:-${B:-x}} and ${A:+$B-${C?}}.
_ARGUMENT = st.lists(_expressions(_LITERAL), max_size=3).map("".join)
_TOKEN = st.one_of(
    _expressions(st.lists(_expressions(_ARGUMENT), max_size=3).map("".join)),
    st.sampled_from(["${}", "${1}", "${A", "${-}", "${A:x}"]),  # what compose cannot parse
)
_VALUE = st.lists(_TOKEN, max_size=5).map("".join)


def _ours(value: str, variables: dict[str, str]) -> str | None:
    try:
        return interpolate(value, variables)
    except InterpolationError:
        return None


def _compose_file(directory: Path, values: list[str]) -> Path:
    environment = {f"V{i}": value for i, value in enumerate(values)}
    path = directory / "compose.yaml"
    # Double-quoted, non-ASCII escaped: go-yaml and PyYAML read such a scalar alike.
    document = {"services": {"s": {"image": "x", "environment": environment}}}
    path.write_text(yaml.safe_dump(document, default_style='"', width=float("inf")))
    return path


def _compose_values(directory: Path, values: list[str], variables: dict[str, str]) -> list[str]:
    resolved = compose_v2.config(_compose_file(directory, values), environ=variables)
    environment = resolved["services"]["s"].get("environment", {})
    return [environment[f"V{i}"] for i in range(len(values))]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(_VALUE, min_size=1, max_size=20), variables=_VARIABLES)
def test_interpolate_agrees_with_compose(
    tmp_path: Path, values: list[str], variables: dict[str, str]
) -> None:
    ours = [_ours(value, variables) for value in values]
    accepted = [value for value, result in zip(values, ours, strict=True) if result is not None]
    assert _compose_values(tmp_path, accepted, variables) == [r for r in ours if r is not None]
    refused = [value for value, result in zip(values, ours, strict=True) if result is None]
    if refused:
        compose_v2.refusal(_compose_file(tmp_path, refused[:1]), environ=variables)


@settings(max_examples=300)
@given(value=st.text(), variables=st.dictionaries(st.text(min_size=1), st.text()))
def test_an_escaped_value_is_read_back_literally_whatever_is_set(
    value: str, variables: dict[str, str]
) -> None:
    assert interpolate(escape(value), variables) == value


# What compose-go does that a simpler reader would not; checked against compose below.
FORMS = [
    ("a $ b", "a $ b"),  # a lone $ stays
    ("${A:+alt}", "alt"),
    ("${UNSET:+alt}", ""),
    ("$$A", "$A"),
    ("$A_b", ""),  # the name runs on: A_b is unset
    ("${UNSET:-${A:-x}}", "set"),  # issue 10, bug 8: nested defaults
    ("${UNSET:-${NONE:-x}}", "x"),
    ("${UNSET:-a}b}", "ab}"),  # the default stops at its own closing brace
    ("${UNSET:-{x}}", "{x}"),
    ("${UNSET:-{}}b}", "{}}b"),  # the brace counter skips the character after each {
    ("${A-x:-y}", "set"),  # the first operator decides
    ("${UNSET?x:-y}", None),
    ("${UNSET:-${A:?}}", "set"),
    ("$\u212a$\u017f$\u0131", "$\u0131"),  # Go folds the Kelvin sign and long s into names
]


@pytest.mark.parametrize(("value", "expected"), FORMS)
def test_compose_go_forms(value: str, expected: str | None) -> None:
    assert _ours(value, {"A": "set"}) == expected


def test_the_forms_are_what_compose_does(tmp_path: Path) -> None:
    accepted = [(value, expected) for value, expected in FORMS if expected is not None]
    values = [value for value, _ in accepted]
    assert _compose_values(tmp_path, values, {"A": "set"}) == [e for _, e in accepted]
    for value, expected in FORMS:
        if expected is None:
            compose_v2.refusal(_compose_file(tmp_path, [value]), environ={"A": "set"})


def test_a_default_is_read_even_when_the_variable_is_set() -> None:
    with pytest.raises(InterpolationError, match="required variable B"):
        interpolate("${A:-${B:?}}", {"A": "set"})


@pytest.mark.parametrize("value", ["Secret${x", "${pw:?Secret}", "${}Secret", "${A:-${Secret"])
def test_errors_never_repeat_the_value(value: str) -> None:
    with pytest.raises(InterpolationError) as error:
        interpolate(value, {})
    assert "Secret" not in str(error.value)


def test_references_name_every_variable_read_nested_ones_included() -> None:
    assert references("$X ${A:-${B:?m}}$$C ${D:+$E} ${X}") == ["X", "B", "A", "E", "D"]
    assert references("no $$VARIABLE") == []
