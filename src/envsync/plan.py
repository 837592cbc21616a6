"""One pipeline for check, render, render --dry-run, render --diff and set.

``plan`` reads every place of the map as its consumer reads it, compares it with the facts, and
computes the repair: the new text of each file, changed only where a place differs (or where a
reference it reads is defined). The commands differ only in what they do with the plan.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from envsync import compare, file_io, local_secret
from envsync import facts as facts_module
from envsync.drift import Finding
from envsync.errors import EnvsyncError, FormatError, UnrepairableError
from envsync.facts import Facts
from envsync.formats.dotenv_file import DotenvDocument
from envsync.places import map_file
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Place, PlaceMap, fill
from envsync.workspace import Workspace

# Files of these formats are the project's own secrets: git-ignored, made empty when missing.
PRIVATE_FORMATS = ("dotenv", "secret_file")


@dataclass(frozen=True)
class Change:
    """One file whose text the plan changes."""

    path: str
    old: str | None
    new: str
    bom: bool
    private: bool
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Rewrite:
    """A whole file whose new text the command gives: the answers, the map, the section.

    ``keys`` name what changed in it, for the report; ``private``: it holds a secret.
    """

    path: str
    text: str
    keys: tuple[str, ...] = ()
    private: bool = False


@dataclass(frozen=True)
class Plan:
    facts: Facts
    place_map: PlaceMap
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    # Every project file the plan read: what a cached check must find unchanged.
    inputs: tuple[str, ...] = ()
    project_dir: Path = Path(".")
    # The files as the plan read and parsed them: check's copy search reads them from here.
    workspace: Workspace | None = field(default=None, compare=False, repr=False)


def private_files(place_map: PlaceMap, facts: Facts) -> set[str]:
    return {
        place.file
        for place in place_map.places
        if not place.example and facts.is_secret(place.facts())
    }


def _create_missing(
    place_map: PlaceMap, facts: Facts, ws: Workspace
) -> tuple[list[Finding], set[str]]:
    """Files the map names that do not exist: from the template, or empty for a dotenv file."""
    from envsync import render

    findings, created = [], set()
    for path in dict.fromkeys(place.file for place in place_map.places):
        if ws.text(path) is not None:
            continue
        fmt = next(place.format for place in place_map.places if place.file == path)
        text = render.template_for(path, facts.answers)
        if text is None and fmt not in PRIVATE_FORMATS:
            raise FormatError(
                path=path,
                message=f"is missing; restore it (git checkout -- {path}) or remove its places "
                f"from {MAP_FILE}",
            )
        ws.texts[path] = text or ""
        created.add(path)
        ws.created.add(path)
        findings.append(Finding(path, "file", "present", None))
        if fmt == "dotenv":
            _define(ws, path, [p for p in place_map.places if p.file == path], facts)
    return findings, created


def _define(ws: Workspace, path: str, places: list[Place], facts: Facts) -> None:
    """A created env file defines at once every variable its places spell as a plain value:
    a compose file may require one (``${TEST_DB_PASSWORD:?}``) before its place is reached."""
    for place in places:
        if place.url is not None or place.example or not isinstance(place.value, str):
            continue
        doc = ws.document(path, "dotenv")
        assert doc is not None
        if doc.read(place.key).value is None:
            ws.texts[path] = doc.write(place.key, doc.escape(fill(place.value, facts.values)))


def plan(
    project_dir: Path,
    facts: Facts,
    place_map: PlaceMap,
    *,
    rewrites: Sequence[Rewrite] = (),
    strict: bool = True,
) -> Plan:
    """Everything that would change, computed before anything is written.

    ``rewrites``: whole files the command writes too (the answers, the map, the section); the
    places in them are read from their new text.
    """
    ws = Workspace(project_dir, {}, os.environ, strict=strict)
    findings: list[Finding] = []
    created: set[str] = set()
    for rewrite in rewrites:
        if ws.text(rewrite.path) == rewrite.text:
            continue
        keys = rewrite.keys
        if ws.text(rewrite.path) is None:
            created.add(rewrite.path)
            keys = ("file", *keys)
        findings += [Finding(rewrite.path, key, "present", None) for key in keys]
        ws.texts[rewrite.path] = rewrite.text
    missing_findings, missing = _create_missing(place_map, facts, ws)
    findings += missing_findings
    created |= missing
    files = list(dict.fromkeys((p.file, p.format) for p in place_map.places))
    ws.compose_read = compare.compose_readers(
        ws, [(fill(f, facts.values), fmt) for f, fmt in files]
    )
    edits: list[compare.Edit] = []
    for place in place_map.places:
        place_findings, place_edits = compare.evaluate(place, facts, ws)
        if place.file not in created:
            findings += place_findings
        edits += place_edits
    _apply_edits(edits, ws)
    if strict:
        _verify(place_map, facts, ws)
    private = private_files(place_map, facts) | {r.path for r in rewrites if r.private}
    ignore = _ignore_change(project_dir, place_map, private, ws)
    changes = [ignore] if ignore else []
    findings += ignore.findings if ignore else ()
    given = {rewrite.path for rewrite in rewrites}
    for path, text in ws.texts.items():
        if ignore is not None and path == ignore.path:
            continue
        original = ws.originals.get(path)
        old = original.text if original else None
        if text is None or text == old:
            continue
        changes.append(
            Change(
                path=path,
                # A given text is the command's own, byte for byte; an edit keeps the file's
                # line endings and final newline.
                old=old,
                new=text if path in given else file_io.keep_conventions(old, text),
                bom=original.bom if original else False,
                private=path in private,
                findings=_findings_of(path, findings, edits),
            )
        )
    from envsync.answers import ANSWERS_FILE

    if strict and facts.answers.secret_storage == local_secret.LOCAL:
        from envsync import gitignore

        env_files = _env_files(place_map, private)
        gitignore.refuse_tracked(project_dir, [c.path for c in changes if c.path in env_files])
    # The answers last: a project with answers is one envsync manages.
    changes.sort(key=lambda change: change.path == ANSWERS_FILE)
    inputs = (ANSWERS_FILE, MAP_FILE, *ws.originals)
    return Plan(facts, place_map, tuple(changes), tuple(findings), inputs, project_dir, ws)


def _findings_of(
    path: str, findings: list[Finding], edits: list[compare.Edit]
) -> tuple[Finding, ...]:
    """What changed in ``path``: its places' findings; a file none of whose places differ
    changed for a place elsewhere (the ``.env`` line defining compose's ``${VAR}``): its keys."""
    own = tuple(f for f in findings if f.path == path)
    if own:
        return own
    keys = dict.fromkeys(edit.key for edit in edits if edit.file == path)
    return tuple(Finding(path, key, None, None) for key in keys)


def _ignore_change(
    project_dir: Path, place_map: PlaceMap, private: set[str], ws: Workspace
) -> Change | None:
    """``.gitignore`` with the lines that keep the env files holding a secret out of git, even
    before there is a repository: its first ``git add -A`` must not take them. Written first."""
    from envsync import gitignore

    present = [path for path in sorted(_env_files(place_map, private)) if ws.text(path) is not None]
    committed, lines = gitignore.tracked_and_missing_lines(project_dir, present)
    if not lines:
        return None
    current = ws.text(gitignore.IGNORE_FILE)
    original = ws.originals.get(gitignore.IGNORE_FILE)
    new = file_io.keep_conventions(current, gitignore.with_lines(current, lines))
    gitignore.check_ignored(project_dir, [p for p in present if p not in committed], new)
    ws.texts[gitignore.IGNORE_FILE] = new
    findings = tuple(
        Finding(gitignore.IGNORE_FILE, line, "ignored (holds the password)", "not ignored")
        for line in lines
    )
    return Change(
        gitignore.IGNORE_FILE, current, new, bool(original and original.bom), False, findings
    )


def _env_files(place_map: PlaceMap, private: set[str]) -> set[str]:
    """The files of ``private`` that hold a secret as a dotenv value: the git-ignored ones."""
    return {
        path
        for path in private
        if any(p.file == path and p.format in PRIVATE_FORMATS for p in place_map.places)
    }


def _apply_edits(edits: list[compare.Edit], ws: Workspace) -> None:
    chosen: dict[tuple[str, str], compare.Edit] = {}
    for edit in edits:
        earlier = chosen.setdefault((edit.file, edit.key), edit)
        if earlier.source != edit.source:
            raise EnvsyncError(
                f"{MAP_FILE}: {earlier.origin} and {edit.origin} both need {edit.file}: "
                f"{edit.key}, with different values; make them name the same fact"
            )
    for edit in chosen.values():
        if ws.text(edit.file) is None:
            ws.texts[edit.file] = ""
            ws.created.add(edit.file)
        doc = ws.document(edit.file, edit.format)
        assert doc is not None
        if edit.literal and isinstance(doc, DotenvDocument) and isinstance(edit.source, str):
            ws.texts[edit.file] = doc.write_literal(edit.key, edit.source)
        else:
            ws.texts[edit.file] = doc.write(edit.key, edit.source)


def _verify(place_map: PlaceMap, facts: Facts, ws: Workspace) -> None:
    """Read every place back from the repaired texts: a repair that did not take is an error,
    never a file written wrong."""
    for place in place_map.places:
        remaining, _ = compare.evaluate(place, facts, ws)
        if remaining:
            first = remaining[0]
            raise UnrepairableError(
                path=first.path,
                message=f"{first.key} cannot be repaired in place (it still reads differently "
                "after the edit); change it by hand",
            )


def load(project_dir: Path) -> tuple[PlaceMap, str | None]:
    """The project's map; a project without one gets the template's (its text, to write)."""
    place_map = map_file.load(project_dir)
    if place_map is not None:
        return place_map, None
    from envsync import answers as answers_module
    from envsync import render

    answers = facts_module.complete(project_dir, answers_module.read(project_dir), None)
    text = render.template_for(MAP_FILE, answers)
    if text is None:
        raise FormatError(path=MAP_FILE, message="not found; run `envsync adopt` to write it")
    return map_file.parse(text), text


def load_plan(project_dir: Path, *, strict: bool = True) -> Plan:
    place_map, map_text = load(project_dir)
    facts = facts_module.load(project_dir, place_map)
    rewrites = [] if map_text is None else [Rewrite(MAP_FILE, map_text)]
    return plan(project_dir, facts, place_map, rewrites=rewrites, strict=strict)
