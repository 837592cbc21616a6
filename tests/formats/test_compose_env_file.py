"""compose_env_file reads a ``.env`` as Docker Compose v2 does, checked against the real binary.

Each example writes several files into one project, the first as the project ``.env`` and each
as a service's ``env_file:``, and asks compose once (every run of the binary costs tens of ms).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsync.errors import FormatError
from envsync.formats.compose_env_file import Binding, locate, values
from tests import compose_v2

ABSENT = "%absent%"  # no generated value holds a %
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# Mostly names the values refer to; then what only env_file keys can be.
_KEYS = ["A", "A", "B", "db_pw", "K.x", "1A", "a-b", "X[0]", "é"]
_REFERENCES = ["$A", "${B}", "${db_pw:-d}", "${NONE-${A}}", "$$A", "${A:+alt}", "${B", "$"]
_TEXT = st.one_of(
    st.text("ab=:#'\" \t\\{}\n", max_size=4),
    st.sampled_from(_REFERENCES),
    st.sampled_from(_REFERENCES),
    st.sampled_from(["\\$A", "\\$", "\\n", "\\0101", "\\101", "\\\\", '\\"', "\\'", " #c", "\t#c"]),
)
_RAW = st.lists(_TEXT, max_size=4).map("".join)
_VALUE = st.one_of(
    _RAW.map(lambda raw: raw.replace("\n", "")),
    _RAW.map("'{}'".format),
    _RAW.map('"{}"'.format),
)
_ASSIGNMENT = st.builds(
    "{}{}{}{}{}".format,
    st.sampled_from(["", "export ", "  ", "\t"]),
    st.sampled_from(_KEYS),
    st.sampled_from(["=", " = ", ":", ": ", "\t="]),
    _VALUE,
    st.sampled_from(["", "  ", " # comment", "\t# not a comment", "# glued"]),
)
_LINE = st.one_of(
    _ASSIGNMENT,
    _ASSIGNMENT,
    _ASSIGNMENT,
    st.sampled_from(_KEYS),  # bare KEY: from compose's environment
    st.sampled_from(["", "# comment", "  # indented comment"]),
)
_FILE = st.builds(
    lambda lines, ending, bom: bom + ending.join(lines),
    st.lists(_LINE, max_size=8),
    st.sampled_from(["\n", "\n", "\r\n", "\r"]),
    st.sampled_from(["", "", "\ufeff"]),
)
_ENVIRON = st.dictionaries(
    st.sampled_from(["A", "db_pw", "NONE", "é"]), st.sampled_from(["env", "e v", "$$e", ""])
)


def _ours(text: str, environ: dict[str, str]) -> dict[str, str] | None:
    try:
        return values(text, environ=environ)
    except FormatError:
        return None


def _write_project(
    directory: Path, dotenv: str | None, env_files: list[str], probes: list[str]
) -> Path:
    """A project with ``dotenv`` as its ``.env``, a service per env file, one probing ``.env``."""
    for old in directory.glob("*"):
        old.unlink()
    services: dict[str, object] = {
        f"s{i}": {"image": "x", "env_file": [f"{i}.env"]} for i in range(len(env_files))
    }
    for index, text in enumerate(env_files):
        (directory / f"{index}.env").write_bytes(text.encode())
    if dotenv is not None:
        (directory / ".env").write_bytes(dotenv.encode())
        probe = {name: f"${{{name}-{ABSENT}}}" for name in probes}
        services["probe"] = {"image": "x", "environment": probe}
    compose = directory / "compose.yaml"
    compose.write_text(yaml.safe_dump({"services": services}, default_style='"'))
    return compose


def _environments(compose: Path, environ: dict[str, str]) -> dict[str, dict[str, str]]:
    services = compose_v2.config(compose, environ=environ)["services"]
    return {name: service.get("environment", {}) for name, service in services.items()}


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(_FILE, min_size=1, max_size=6), environ=_ENVIRON)
def test_values_agree_with_compose(
    tmp_path: Path, files: list[str], environ: dict[str, str]
) -> None:
    first, *others = files
    dotenv: str | None = first
    project_values = _ours(first, environ)
    if project_values is None:  # compose would refuse the whole project: judge the file alone
        compose_v2.refusal(_write_project(tmp_path, None, [first], []), environ=environ)
        dotenv = None
        project = dict(environ)
    else:
        # The shell wins over the project's .env, for the compose file and for env_file alike.
        project = {**project_values, **environ}
    read = [(text, _ours(text, project)) for text in others]
    refused = [text for text, result in read if result is None]
    accepted = [(text, result) for text, result in read if result is not None]
    probes = sorted(key for key in {*(project_values or {}), *environ} if _NAME.fullmatch(key))
    compose = _write_project(tmp_path, dotenv, [text for text, _ in accepted], probes)
    expected = {f"s{i}": result for i, (_, result) in enumerate(accepted)}
    if dotenv is not None:
        expected["probe"] = {name: project.get(name, ABSENT) for name in probes}
    assert _environments(compose, environ) == expected
    if refused:
        compose_v2.refusal(_write_project(tmp_path, None, refused[:1], []), environ=environ)


# Each line is a rule compose-go has and python-dotenv or a first guess does not; B is set.
RULES = [
    ("A=$B", {"A": "env"}),
    ("A=a\\$B", {"A": "a\\env"}),  # no escapes outside double quotes
    ('A="a\\$B"', {"A": "a$B"}),
    ("A=$$B", {"A": "$B"}),
    ("A='$B \\n'", {"A": "$B \\n"}),
    ("A='it\\'s'", {"A": "it's"}),
    ('A="\\0101\\101\\x41"', {"A": "A\\101\\x41"}),  # \0NNN only
    ("A= #x", {"A": "#x"}),
    ("A=a\t#x", {"A": "a\t#x"}),
    ("A=a #x #y", {"A": "a"}),
    ("A: b", {"A": "b"}),
    ("export A=1", {"A": "1"}),
    ("B\nNONE\n", {"B": "env"}),  # a bare key takes compose's environment, or is absent
    ("B=file\nA=$B", {"B": "file", "A": "env"}),  # the environment wins inside a value
    ("A=a\rB=2", {"A": "a\rB=2"}),  # CR alone does not end a line
    ("A=a\r\nB=2", {"A": "a", "B": "2"}),
    ("A='x' y", {"A": "x", "": "y"}),
    ("A=${NONE:-${B:-x}}", {"A": "env"}),
    ("\ufeffA=1", {"A": "1"}),
    ("A\tB=1", {"A\tB": "1"}),
]


@pytest.mark.parametrize(("text", "expected"), RULES)
def test_compose_rules(text: str, expected: dict[str, str]) -> None:
    assert values(text, environ={"B": "env"}) == expected


def test_the_rules_are_what_compose_does(tmp_path: Path) -> None:
    compose = _write_project(tmp_path, None, [text for text, _ in RULES], [])
    found = _environments(compose, {"B": "env"})
    assert found == {f"s{i}": expected for i, (_, expected) in enumerate(RULES)}


def test_a_doubled_dollar_reaches_the_container_once_but_python_dotenv_keeps_both(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=pa$$word\n")
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n  db:\n    image: postgres\n    environment:\n"
        "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n"
    )
    service = compose_v2.config(compose)["services"]["db"]
    assert service["environment"]["POSTGRES_PASSWORD"] == "pa$word"
    assert values((tmp_path / ".env").read_text(), environ={}) == {"POSTGRES_PASSWORD": "pa$word"}
    assert dotenv_values(tmp_path / ".env") == {"POSTGRES_PASSWORD": "pa$$word"}


def test_locate_gives_each_value_as_written_for_a_splice() -> None:
    text = '# c\nexport A = \'x y\' # c\nB="q\\""\r\nC=plain  # c\nD\nA: 2\n'
    bindings = locate(text)
    assert [(b.key, b.line, text[b.start : b.end], b.quote) for b in bindings] == [
        ("A", 2, "'x y'", "'"),
        ("B", 3, '"q\\""', '"'),
        ("C", 4, "plain", ""),
        ("D", 5, "", ""),
        ("A", 6, "2", ""),
    ]
    assert bindings[3] == Binding("D", 5, text.index("D") + 1, text.index("D") + 1, "", True)
    spliced = text[: bindings[2].start] + "'new'" + text[bindings[2].end :]
    assert values(spliced, environ={})["C"] == "new"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("A=1\nB='Secret", 2),  # never closed
        ("A=1\n\nB=Secret${", 3),  # a ${ compose cannot parse
        ("A=${B:?Secret}", 1),  # a required variable unset
        ("B C=Secret", 1),  # a space in the name
        ("B'C=Secret", 1),
        ("export ", 1),
    ],
)
def test_errors_name_file_and_line_never_the_value(text: str, line: int) -> None:
    with pytest.raises(FormatError) as error:
        values(text, environ={}, path="backend/.env")
    assert str(error.value).startswith(f"backend/.env:{line}: ")
    assert "Secret" not in str(error.value)
