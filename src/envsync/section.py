"""The credentials section adopt appends to CLAUDE.md (or AGENTS.md): its places and its text,
opened with the template's own BEGIN line, so ``copier update`` and adopt agree on it."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from envsync import answers, file_io
from envsync.formats import markdown_section
from envsync.places.discovery import Discovery
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Place, PlaceMap

# The template's BEGIN line (template/CLAUDE.md.jinja), word for word.
SECTION_BEGIN = (
    f"{markdown_section.BEGIN}{markdown_section.DEFAULT_SECTION} (managed by envsync: change a "
    "value with `envsync set KEY=VALUE`) -->"
)
SECTION_END = f"{markdown_section.END}{markdown_section.DEFAULT_SECTION} -->"


def places(path: str, found: Discovery, home: str | None) -> tuple[Place, ...]:
    places = [
        Place(path, "markdown", "service", "{db_service}"),
        Place(path, "markdown", "user", "{db_user}"),
        Place(path, "markdown", "password", _password_line(home)),
        Place(path, "markdown", "database", "{db_name}"),
    ]
    if found.database.port is not None:
        places += [
            Place(path, "markdown", "host", "{db_host}"),
            Place(path, "markdown", "port", "{db_port}"),
        ]
    return tuple(places)


def _password_line(home: str | None) -> str:
    if home is None:
        return "{db_password}"
    return f"in no file git tracks (secret_storage: local): {home}"


def _lines(
    found: Discovery, adopted: answers.Answers, home: str | None, place_map: PlaceMap
) -> list[str]:
    db = found.database
    values = {
        "service": adopted.db_service,
        "user": adopted.db_user,
        "password": _password_line(home).format(db_password=adopted.db_password),
        "database": adopted.db_name,
    }
    if db.port is not None:
        values |= {"host": adopted.db_host, "port": str(adopted.db_port)}
    longest = max((len(run) for v in values.values() for run in re.findall("`+", v)), default=0)
    fence = "`" * max(3, longest + 1)
    files = ", ".join(dict.fromkeys(p.file for p in place_map.places if p.format != "markdown"))
    compose = " -f ".join(PurePosixPath(path).name for path in db.files)
    where = f" in {db.directory}/" if db.directory != "." else ""
    return [
        SECTION_BEGIN,
        "## Database credentials (development only)",
        "",
        f"The local database is the `{db.service}` service of {db.files[0]} "
        f"(`docker compose -f {compose} up -d {db.service}`{where}). Never use these "
        "credentials in production.",
        "",
        f"{fence}text",
        *(f"{label}{markdown_section.FIELD_SEPARATOR}{value}" for label, value in values.items()),
        fence,
        "",
        f"- envsync keeps these values in step in {files} and this section ({MAP_FILE} lists "
        "every place): change one with `envsync set KEY=VALUE`, never by hand.",
        "- `envsync check` says whether they agree; `envsync doctor` explains a refused "
        "connection.",
        "- The postgres image applies `POSTGRES_*` only when its volume is first created: after "
        "a password change, `envsync doctor` shows how to update the running database.",
        SECTION_END,
    ]


def appended(
    current: file_io.TextFile | None,
    found: Discovery,
    adopted: answers.Answers,
    home: str | None,
    place_map: PlaceMap,
) -> str:
    """The file with the section appended after every byte of the user's text."""
    text = current.text if current is not None else f"# {adopted.project_name}\n"
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline
    if text.strip() and not text.endswith(newline * 2):
        text += newline
    lines = _lines(found, adopted, home, place_map)
    return text + newline.join(lines) + newline
