"""The project's files as a plan has them: each read once (inside the project), then edited in
memory; a document per format on demand."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from envsync import file_io
from envsync.errors import FormatError
from envsync.formats import Context, Document, document


@dataclass
class Workspace:
    """The project's files as the plan has them: read once, then edited in memory."""

    project_dir: Path
    overrides: Mapping[str, file_io.TextFile | None]
    environ: Mapping[str, str]
    # render and set must repair every finding; check only reports them.
    strict: bool = True
    # Dotenv files that compose reads too (interpolation .env, env_file:).
    compose_read: set[str] = field(default_factory=set)
    # Files the plan creates.
    created: set[str] = field(default_factory=set)
    originals: dict[str, file_io.TextFile | None] = field(default_factory=dict)
    texts: dict[str, str | None] = field(default_factory=dict)
    # Each document parsed, with every text as it was then: a document reads other files too
    # (compose's .env), so any change parses it again. Parsing per place is quadratic in a map
    # of thousands of places in one file.
    parsed: dict[tuple[str, str], tuple[tuple[str | None, ...], Document]] = field(
        default_factory=dict
    )

    def text(self, path: str) -> str | None:
        if path not in self.texts:
            found = (
                self.overrides[path]
                if path in self.overrides
                else file_io.read(self.project_dir, path)
            )
            if found is not None:
                _refuse_conflict(found.text, path)
            self.originals[path] = found
            self.texts[path] = found.text if found else None
        return self.texts[path]

    def document(self, path: str, fmt: str) -> Document | None:
        text = self.text(path)
        if text is None:
            return None
        original = self.originals.get(path)
        if fmt == "ini" and original is not None and original.bom:
            raise FormatError(
                path=path,
                line=1,
                message="starts with a UTF-8 byte-order mark: Alembic cannot read it "
                "(MissingSectionHeaderError); save the file as UTF-8 without BOM",
            )
        cached = self.parsed.get((path, fmt))
        if cached is not None and cached[0] == tuple(self.texts.values()):
            return cached[1]
        context = Context(path, self.project_dir, self.environ, self.text)
        parsed = document(fmt, text, context)
        self.parsed[path, fmt] = (tuple(self.texts.values()), parsed)
        return parsed


_CONFLICT = re.compile(r"^(<{7}|>{7})( |$)", re.M)


def _refuse_conflict(text: str, path: str) -> None:
    """A file with merge-conflict markers (after ``copier update``) is neither old nor new."""
    marker = _CONFLICT.search(text)
    if marker:
        raise FormatError(
            path=path,
            line=text.count("\n", 0, marker.start()) + 1,
            message="has an unresolved merge conflict (<<<<<<< ... >>>>>>>); resolve it, then "
            "run envsync again",
        )
