"""One module per file format: locate a place, read it as its consumer does, splice a value.

Every format offers a ``Document`` built from a file's text with the same small surface:

- ``read(locator)``: a ``Reading``, the value as the file's consumer gets it and the text it is
  written with (its *source*: quotes removed, interpolation not applied);
- ``escape(value)``: the source that the consumer reads back as ``value``;
- ``references(source)``: the variables a source reads (``${POSTGRES_PASSWORD}``);
- ``definition(name)``: where such a variable is defined, so a repair goes there;
- ``write(locator, source)``: the file's new text with only that value changed (added if absent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Target:
    """Where a referenced variable is defined: a key of a dotenv file."""

    file: str
    key: str


@dataclass(frozen=True)
class Reading:
    """A place as its consumer reads it. ``value`` None: the consumer gets nothing there."""

    value: str | tuple[str, ...] | None
    source: str | tuple[str, ...] | None = None
    line: int | None = None
    # The value comes from another file (compose's ``env_file:``): a repair goes there.
    defined_in: Target | None = None
    # The consumer does not use the place at all (a disabled healthcheck): nothing to compare.
    unused: bool = False


@dataclass(frozen=True)
class Context:
    """What a document needs besides its own text."""

    path: str
    project_dir: Path
    environ: Mapping[str, str]
    # The text of another project file as the plan currently has it (None: missing).
    text_of: Callable[[str], str | None]


class Document(Protocol):
    def read(self, locator: str) -> Reading: ...

    def escape(self, value: str) -> str: ...

    def references(self, source: str) -> tuple[str, ...]: ...

    def definition(self, name: str) -> Target | None: ...

    def write(self, locator: str, source: str | tuple[str, ...]) -> str: ...


class Unreferenced:
    """A format without variable references: every value reads as it is written."""

    def references(self, source: str) -> tuple[str, ...]:
        return ()

    def definition(self, name: str) -> Target | None:
        return None


def document(fmt: str, text: str, context: Context) -> Document:
    from envsync.formats import (
        compose_file,
        dotenv_file,
        ini_file,
        markdown_section,
        secret_file,
        workflow_file,
    )

    documents: dict[str, Callable[[str, Context], Document]] = {
        "compose": compose_file.ComposeDocument,
        "dotenv": dotenv_file.DotenvDocument,
        "ini": ini_file.IniDocument,
        "markdown": markdown_section.MarkdownDocument,
        "workflow": workflow_file.WorkflowDocument,
        "secret_file": secret_file.SecretFileDocument,
    }
    return documents[fmt](text, context)
