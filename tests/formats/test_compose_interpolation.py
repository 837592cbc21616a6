"""compose_interpolation reads values as compose does; escape() makes any text literal.

The reference is Debian's docker-compose (1.x, a Python program): its own interpolator runs in one
long-lived process and answers each generated case. 1.x and compose-go (what compose_interpolation
follows) differ only outside the generated grammar: a lone ``$`` before a non-name character is an
error in 1.x and literal text in compose-go, and 1.x has no ``${NAME:+alt}``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsync.formats.compose_interpolation import InterpolationError, escape, interpolate

_REFERENCE = """
import json, sys
from compose.config.environment import Environment
from compose.config.interpolation import (
    Interpolator, InvalidInterpolation, TemplateWithDefaults, UnsetRequiredSubstitution,
)
for line in sys.stdin:
    value, variables = json.loads(line)
    environment = Environment(variables)
    environment.silent = True
    try:
        result = Interpolator(TemplateWithDefaults, environment).interpolate(value)
    except (InvalidInterpolation, UnsetRequiredSubstitution):
        result = None
    print(json.dumps(result), flush=True)
"""

NAMES = ["A", "b_2", "_x", "UNSET"]
_VARIABLES = st.dictionaries(st.sampled_from(NAMES[:3]), st.text(max_size=5))
_LITERAL = st.text(st.characters(exclude_characters="$"), max_size=4)
_ARGUMENT = st.text(st.characters(exclude_characters="$}"), max_size=4)
_NAME = st.sampled_from(NAMES)
_TOKENS = st.one_of(
    _LITERAL,
    st.just("$$"),
    _NAME.map("${}".format),
    _NAME.map("${{{}}}".format),
    st.builds("${{{}{}{}}}".format, _NAME, st.sampled_from([":-", "-", ":?", "?"]), _ARGUMENT),
    st.sampled_from(["${}", "${1}", "${A", "${-}"]),  # what neither can parse
)
# A name must not run on into the next token's letters, in either reader.
_VALUES = st.lists(_TOKENS, max_size=6).map(lambda tokens: " ".join(tokens))


@pytest.fixture(scope="module")
def reference() -> Iterator[Callable[[str, dict[str, str]], str | None]]:
    command = shutil.which("docker-compose")
    assert command is not None, "install Debian's docker-compose package (see .ci/run)"
    interpreter = Path(command).read_text().splitlines()[0].removeprefix("#!").split()
    process = subprocess.Popen(
        [*interpreter, "-c", _REFERENCE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout

    def ask(value: str, variables: dict[str, str]) -> str | None:
        stdin.write(json.dumps([value, variables]) + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    yield ask
    stdin.close()
    process.wait(timeout=10)


def _ours(value: str, variables: dict[str, str]) -> str | None:
    try:
        return interpolate(value, variables)
    except InterpolationError:
        return None


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, variables=_VARIABLES)
def test_interpolate_agrees_with_docker_compose(
    reference: Callable[[str, dict[str, str]], str | None],
    value: str,
    variables: dict[str, str],
) -> None:
    assert _ours(value, variables) == reference(value, variables)


@settings(max_examples=300)
@given(value=st.text(), variables=st.dictionaries(st.text(min_size=1), st.text()))
def test_an_escaped_value_is_read_back_literally_whatever_is_set(
    value: str, variables: dict[str, str]
) -> None:
    assert interpolate(escape(value), variables) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a $ b", "a $ b"),  # compose-go keeps a lone $ (1.x refuses it)
        ("${A:+alt}", "alt"),  # compose-go only
        ("${UNSET:+alt}", ""),
        ("$$A", "$A"),
        ("$A_b", ""),  # the name runs on: A_b is unset
    ],
)
def test_compose_go_only_forms(value: str, expected: str) -> None:
    assert interpolate(value, {"A": "set"}) == expected
