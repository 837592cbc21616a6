"""Property tests over files users write, not only over values envsync writes.

Each test generates an existing file in the shapes people use (comments, blank lines, quotes of
every kind, ``export``, CRLF, indentation, list and map environments, anchors, merge keys), drifts
one owned value, repairs it, and asks the real consumer: it reads the file without error and gets
the wanted value; every other line is byte for byte what it was; a second repair changes nothing.
"""

from __future__ import annotations

import configparser
import io
import string
from pathlib import Path

from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsync.formats.compose_file import ComposeDocument
from envsync.formats.dotenv_file import DotenvDocument
from envsync.formats.ini_file import IniDocument
from envsync.formats.markdown_section import MarkdownDocument
from tests import compose_v2
from tests.formats.context import context

PRINTABLE = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n\x85\u2028\u2029").filter(str.isprintable),
    min_size=1,
    max_size=20,
)
WORD = st.text(string.ascii_letters + string.digits + "_./:@-", min_size=1, max_size=12)
KEYS = st.text(string.ascii_uppercase + "_", min_size=1, max_size=8).map(lambda k: "K" + k)


def _changed_lines(before: str, after: str) -> int:
    """How many lines differ, the texts having the same number of lines."""
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return sum(a != b for a, b in zip(old, new, strict=True))


@st.composite
def dotenv_files(draw: st.DrawFn) -> tuple[str, str]:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    keys = draw(st.lists(KEYS, min_size=1, max_size=5, unique=True))
    owned = draw(st.sampled_from(keys))
    lines = []
    for key in keys:
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# a comment", "   # indented comment"])))
        style = draw(st.sampled_from(["bare", "single", "double"]))
        word = draw(WORD)
        value = {"bare": word, "single": f"'{word} x'", "double": f'"{word} y"'}[style]
        export = "export " if draw(st.booleans()) else ""
        comment = "  # mine" if style != "bare" and draw(st.booleans()) else ""
        lines.append(f"{export}{key}={value}{comment}")
    return newline.join(lines) + newline, owned


@settings(max_examples=150, deadline=None)
@given(file=dotenv_files(), wanted=PRINTABLE.filter(lambda v: "${" not in v))
def test_dotenv_repair(file: tuple[str, str], wanted: str) -> None:
    text, owned = file
    document = DotenvDocument(text, context(".env"))
    repaired = document.write(owned, document.escape(wanted))
    before = dotenv_values(stream=io.StringIO(text))
    after = dotenv_values(stream=io.StringIO(repaired))
    assert after[owned] == wanted
    assert {k: v for k, v in after.items() if k != owned} == {
        k: v for k, v in before.items() if k != owned
    }
    assert _changed_lines(text, repaired) <= 1
    assert DotenvDocument(repaired, context(".env")).read(owned).value == wanted


@st.composite
def ini_files(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["", "  "]))
    header = draw(st.sampled_from(["[alembic]", "[alembic] ; main", "[alembic]  # main"]))
    lines = ["# Alembic", header]
    options = draw(st.lists(st.sampled_from(["script_location", "prepend_sys_path", "a.b"]),
                            unique=True, max_size=3))  # fmt: skip
    url = draw(st.sampled_from([None, "", "postgresql://x:y@h:1/d", "driver://u:p@localhost/db"]))
    position = draw(st.integers(0, len(options)))
    for index, option in enumerate([*options, None]):
        if index == position and url is not None:
            lines.append(
                f"{indent}sqlalchemy.url = {url}".rstrip() if url else f"{indent}sqlalchemy.url ="
            )
            if draw(st.booleans()):
                lines += ["", f"{indent}  ?x=1"]
        if option is not None:
            lines.append(f"{indent}{option} = %(here)s/{option}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "; note", "# note"])))
    lines += ["[formatter_generic]", "format = %(levelname)s %(message)s"]
    return newline.join(lines) + newline


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=ini_files(), password=PRINTABLE)
def test_ini_repair(text: str, password: str, tmp_path: Path) -> None:
    from urllib.parse import quote

    wanted = f"postgresql+psycopg://app:{quote(password, safe='')}@127.0.0.1:5432/app"
    document = IniDocument(text, context("alembic.ini", tmp_path))
    repaired = document.write("[alembic] sqlalchemy.url", document.escape(wanted))
    parser = configparser.ConfigParser(defaults={"here": str(tmp_path)})
    parser.read_string(repaired)  # strict: a duplicate option or section raises
    assert parser.get("alembic", "sqlalchemy.url") == wanted
    assert parser.get("formatter_generic", "format", raw=True) == "%(levelname)s %(message)s"
    again = IniDocument(repaired, context("alembic.ini", tmp_path))
    assert again.read("[alembic] sqlalchemy.url").value == wanted


@st.composite
def compose_files(draw: st.DrawFn) -> str:
    step = draw(st.sampled_from([2, 4]))
    pad = " " * step
    listed = draw(st.booleans())
    password = draw(st.sampled_from(["old", "'old'", '"old"', "&pw old", ""]))
    if listed:
        password = password if password in ("old", "") else "old"
        item = "POSTGRES_PASSWORD" + (f"={password}" if password else "")
        environment = f"{pad * 3}- POSTGRES_USER=app\n{pad * 3}- {item}\n"
    else:
        environment = (
            f"{pad * 3}POSTGRES_USER: app  # the user\n{pad * 3}POSTGRES_PASSWORD: {password}\n"
        )
    common = draw(st.booleans())
    text = "x-common: &common\n" + f"{pad}restart: always\n" if common else ""
    text += "services:\n" + f"{pad}db:\n"
    if common:
        text += f"{pad * 2}<<: *common\n"
    text += f"{pad * 2}image: postgres:16\n"
    if draw(st.booleans()):
        text += f"{pad * 2}# the database\n"
    text += f"{pad * 2}environment:\n{environment}"
    if "&pw" in password:
        text += f"{pad}web:\n{pad * 2}image: nginx\n{pad * 2}environment:\n{pad * 3}PW: *pw\n"
    return text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=compose_files(), password=PRINTABLE)
def test_compose_repair(text: str, password: str, tmp_path: Path) -> None:
    locator = "services.db.environment.POSTGRES_PASSWORD"
    document = ComposeDocument(text, context("docker-compose.yml", tmp_path, environ={}))
    reading = document.read(locator)
    if reading.source is not None and document.references(str(reading.source)):
        return  # a passed-through variable is repaired where it is defined (plan tests)
    repaired = document.write(locator, document.escape(password))
    (tmp_path / "docker-compose.yml").write_text(repaired)
    resolved = compose_v2.environment(tmp_path, "db")
    assert resolved["POSTGRES_PASSWORD"] == password
    assert resolved["POSTGRES_USER"] == "app"
    assert _changed_lines(text, repaired) == 1
    assert (
        ComposeDocument(repaired, context("docker-compose.yml", tmp_path)).read(locator).value
        == password
    )


@st.composite
def markdown_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["", "  "]))
    labels = draw(st.lists(st.sampled_from(["user", "password", "app url", "port"]),
                           min_size=1, max_size=4, unique=True))  # fmt: skip
    prose = st.sampled_from(["Some notes.", "- a list item", "", "```sh\nmake test\n```"])
    lines = ["# Project", *draw(st.lists(prose, max_size=3))]
    if draw(st.booleans()):  # an example of the markers in a fence: not the section
        lines += ["````", "<!-- envsync:begin credentials -->", "````"]
    lines.append(f"{indent}<!-- envsync:begin credentials (managed by envsync) -->")
    lines += [f"{indent}Prose of any template version.", f"{indent}```text"]
    lines += [f"{indent}{label}: {draw(WORD)}" for label in labels]
    lines += [f"{indent}```", f"{indent}<!-- envsync:end credentials -->"]
    lines += draw(st.lists(prose, max_size=2))
    return newline.join(lines) + newline, labels


@settings(max_examples=150, deadline=None)
@given(file=markdown_files(), which=st.integers(0, 3), value=PRINTABLE)
def test_markdown_repair(file: tuple[str, list[str]], which: int, value: str) -> None:
    text, labels = file
    label = labels[which % len(labels)]
    document = MarkdownDocument(text, context("CLAUDE.md"))
    repaired = document.write(label, document.escape(value))
    again = MarkdownDocument(repaired, context("CLAUDE.md"))
    assert again.read(label).value == value
    for other in labels:
        if other != label:
            assert again.read(other).value == document.read(other).value
    assert _changed_lines(text, repaired) <= 1
