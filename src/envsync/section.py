"""The credentials section adopt appends to CLAUDE.md (or AGENTS.md): the template's own text
and places, rendered with the adopted answers, so ``copier update`` and adopt agree on it."""

from __future__ import annotations

from dataclasses import replace

from envsync import answers, file_io, render
from envsync.errors import EnvsyncError
from envsync.formats import markdown_section
from envsync.places import map_file
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Place

# The template file whose section adopt appends: one text for copier copy and adopt.
TEMPLATE_FILE = "CLAUDE.md"
# The section's labels that give an address on this machine.
_HOST_VIEW = ("host", "port", "app url", "alembic url")


def _from_template(
    adopted: answers.Answers, home: str | None, published: bool
) -> tuple[str, tuple[Place, ...]]:
    """The template's CLAUDE.md for these answers and the places its section has (the
    template's map, markdown places); in local mode, the password line names ``home``. A
    database that publishes no port has no address on this machine: no host, port or URL."""
    text = render.template_for(TEMPLATE_FILE, adopted)
    map_text = render.template_for(MAP_FILE, adopted)
    if text is None or map_text is None:
        raise EnvsyncError(f"{TEMPLATE_FILE}: the template has no section; please report")
    own = tuple(p for p in map_file.parse(map_text).places if p.format == "markdown")
    if adopted.secret_storage == answers.LOCAL and home is not None:
        kept = next(p.value for p in own if p.key == "password")
        assert isinstance(kept, str)
        line = f"in no file git tracks (secret_storage: local): {home}"
        text = text.replace(
            f"password{markdown_section.FIELD_SEPARATOR}{kept}\n",
            f"password{markdown_section.FIELD_SEPARATOR}{line}\n",
        )
        own = tuple(replace(p, value=line) if p.key == "password" else p for p in own)
    if not published:
        own = tuple(p for p in own if p.key not in _HOST_VIEW)
        labels = tuple(f"{key}{markdown_section.FIELD_SEPARATOR}" for key in _HOST_VIEW)
        text = "".join(line for line in text.splitlines(True) if not line.startswith(labels))
    return text, own


def places(
    path: str, adopted: answers.Answers, home: str | None, *, published: bool
) -> tuple[Place, ...]:
    """The section's places, as the template's map has them, in ``path``."""
    return tuple(replace(p, file=path) for p in _from_template(adopted, home, published)[1])


def appended(
    current: file_io.TextFile | None,
    adopted: answers.Answers,
    home: str | None,
    *,
    published: bool,
) -> str:
    """The template's CLAUDE.md when there is none; else the file with the template's section
    appended after every byte of the user's text."""
    rendered, _ = _from_template(adopted, home, published)
    if current is None:
        return rendered
    lines = rendered.splitlines()
    begin = next(i for i, line in enumerate(lines) if line.startswith(markdown_section.BEGIN))
    end = next(i for i, line in enumerate(lines) if line.startswith(markdown_section.END))
    text = current.text
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline
    if text.strip() and not text.endswith(newline * 2):
        text += newline
    return text + newline.join(lines[begin : end + 1]) + newline
