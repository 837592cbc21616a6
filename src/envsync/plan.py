"""One pipeline for check, render, render --dry-run, render --diff and set.

``plan`` reads every place of the map as its consumer reads it, compares it with the facts, and
computes the repair: the new text of each file, changed only where a place differs (or where a
reference it reads is defined). The commands differ only in what they do with the plan.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from envsync import check_cache, copies, database_url, file_io, local_secret
from envsync import facts as facts_module
from envsync.drift import MASK, Finding, mask_fields, mask_text
from envsync.errors import AnswersError, EnvsyncError, FormatError, UnrepairableError
from envsync.facts import Facts
from envsync.formats import Context, Document, Reading, Target, document
from envsync.formats.compose_file import ComposeDocument
from envsync.formats.dotenv_file import DotenvDocument
from envsync.places import map_file
from envsync.places.map_file import MAP_FILE
from envsync.places.model import PLACEHOLDER, URL_PARTS, Place, PlaceMap, fact_names, fill

# Files of these formats are the project's own secrets: git-ignored, made empty when missing.
PRIVATE_FORMATS = ("dotenv", "secret_file")
LEAK_KEY = "database password (secret_storage: local) in a file git tracks"
# One reference, the whole of a value: `$NAME`, `${NAME}`, `${NAME:-default}` (even nested).
_WHOLE_REFERENCE = re.compile(
    r"\$(?:(?P<plain>[A-Za-z_]\w*)|\{(?P<braced>[A-Za-z_]\w*)(?:[:?+\-].*)?\})", re.S
)


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


@dataclass(frozen=True)
class _Edit:
    file: str
    format: str
    key: str
    source: str | tuple[str, ...]
    origin: str
    # A dotenv value both compose and python-dotenv must read literally (single quotes).
    literal: bool = False


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
        context = Context(path, self.project_dir, self.environ, self.text)
        return document(fmt, text, context)


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


def _display(place: Place) -> str:
    if place.format == "markdown":
        section, _, label = place.key.rpartition("/")
        return f"{section or 'credentials'} section ({label})"
    return place.key


def _wanted(place: Place, facts: Facts) -> str | tuple[str, ...]:
    value = place.value
    assert value is not None
    if isinstance(value, str):
        return fill(value, facts.values)
    return tuple(fill(item, facts.values) for item in value)


def _escaped(doc: Document, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return doc.escape(value)
    return tuple(doc.escape(item) for item in value)


def _redirect(
    place: Place, doc: Document, source: str, value: str, line: int | None
) -> _Edit | None:
    """The repair of a value written as a reference: at the variable's definition."""
    names = doc.references(source)
    if not names:
        return None
    whole = _WHOLE_REFERENCE.fullmatch(source)
    # The outer variable of `${A:-${B}}`: setting A is what changes the value.
    name = (whole["plain"] or whole["braced"]) if whole else names[0]
    target: Target | None = doc.definition(name)
    if whole is None or target is None:
        raise UnrepairableError(
            path=place.file,
            line=line,
            message=f"{place.key} is built from references and text; envsync repairs a "
            "reference only where the variable is defined: write it as one ${VAR}, or fix it "
            "by hand",
        )
    if isinstance(doc, ComposeDocument) and name in os.environ:
        raise UnrepairableError(
            path=place.file,
            line=line,
            message=f"{place.key} reads {name} from your shell's environment, which compose "
            f"takes before {target.file}: change or unset it there (unset {name})",
        )
    return _Edit(target.file, "dotenv", target.key, value, place.origin or place.where())


def _evaluate(place: Place, facts: Facts, ws: Workspace) -> tuple[list[Finding], list[_Edit]]:
    findings: list[Finding] = []
    try:
        return _compare(place, facts, ws, findings)
    except UnrepairableError:
        if ws.strict or not findings:
            raise
        return findings, []


def _compare(
    place: Place, facts: Facts, ws: Workspace, findings: list[Finding]
) -> tuple[list[Finding], list[_Edit]]:
    """The place's findings (also put in ``findings`` before any repair is worked out, so a
    check reports them even when the repair is impossible) and the edits that repair it."""
    place = place.resolved(facts.values)
    doc = ws.document(place.file, place.format)
    if doc is None:
        return [], []
    reading = doc.read(place.key)
    if reading.unused:
        return [], []
    if place.url is not None:
        return _evaluate_url(place, facts, doc, reading, findings)
    secret = facts.is_secret(place.facts())
    if place.example and secret:
        return [], []  # an example keeps its placeholder
    wanted = _wanted(place, facts)
    if place.via is not None and isinstance(wanted, str):
        linked = _linked(place, doc, reading, wanted, findings)
        if linked is not None:
            return linked
    if reading.value == wanted:
        if isinstance(doc, DotenvDocument) and isinstance(wanted, str):
            return _two_readers(place, doc, wanted, ws, findings, facts)
        return [], []
    _check_port(place, doc, wanted)
    finding = Finding(place.file, _display(place), _shown(wanted), _shown(reading.value), secret)
    findings.append(finding)
    if isinstance(wanted, str) and reading.defined_in is not None:
        target = reading.defined_in
        return [finding], [_Edit(target.file, "dotenv", target.key, wanted, place.where())]
    if isinstance(wanted, str) and isinstance(reading.source, str):
        redirected = _redirect(place, doc, reading.source, wanted, reading.line)
        if redirected is not None:
            return [finding], [redirected]
    edit = _Edit(place.file, place.format, place.key, _escaped(doc, wanted), place.where())
    return [finding], [edit]


def _linked(
    place: Place, doc: Document, reading: Reading, wanted: str, findings: list[Finding]
) -> tuple[list[Finding], list[_Edit]] | None:
    """A place that must read its value through ``via``: written otherwise, it goes back to
    the reference, and the value to where the variable is defined."""
    assert place.via is not None
    source = reading.source if isinstance(reading.source, str) else None
    if (
        source is not None
        and doc.references(source) == (place.via,)
        and _WHOLE_REFERENCE.fullmatch(source)
    ):
        return None
    target = doc.definition(place.via)
    if target is None:
        raise UnrepairableError(
            path=place.file, message=f"{place.key}: this format has no references"
        )
    reference = (
        f"${{{place.via}:?is not set: run envsync render, which writes it to {target.file}}}"
    )
    finding = Finding(place.file, _display(place), f"${{{place.via}}}", reading.value, secret=True)
    findings.append(finding)
    edits = [
        _Edit(place.file, place.format, place.key, reference, place.where()),
        _Edit(target.file, "dotenv", target.key, wanted, place.where()),
    ]
    return [finding], edits


def _compose_readers(ws: Workspace, place_map_files: list[tuple[str, str]]) -> set[str]:
    """The dotenv files compose reads: each compose file's interpolation ``.env`` and every
    ``env_file:`` of its services."""
    from envsync.formats.compose_file import interpolation_file

    read: set[str] = set()
    for path, fmt in place_map_files:
        if fmt != "compose":
            continue
        read.add(interpolation_file(path))
        doc = ws.document(path, fmt)
        if isinstance(doc, ComposeDocument):
            for service in doc.service_names():
                read.update(doc.env_files(service))
    return read


def _two_readers(
    place: Place,
    doc: DotenvDocument,
    wanted: str,
    ws: Workspace,
    findings: list[Finding],
    facts: Facts,
) -> tuple[list[Finding], list[_Edit]]:
    """A dotenv file compose reads too must give both readers the same value."""
    from envsync.formats import compose_env_file

    if place.file not in ws.compose_read:
        return [], []
    text = ws.text(place.file) or ""
    composed = compose_env_file.values(text, environ=ws.environ, path=place.file).get(place.key)
    if composed == wanted:
        return [], []
    secret = facts.is_secret(place.facts())
    finding = Finding(
        place.file, f"{place.key} (as compose reads it)", _shown(wanted), composed, secret
    )
    findings.append(finding)
    if set(wanted) & {"'", "\\"} or "${" in wanted:
        raise UnrepairableError(
            path=place.file,
            message=f"{place.key}: compose and python-dotenv read this file differently, and no "
            "spelling of this value reads the same to both (it holds ' or \\ or ${); choose "
            "another value",
        )
    edit = _Edit(place.file, "dotenv", place.key, wanted, place.where(), literal=True)
    return [finding], [edit]


def _shown(value: str | tuple[str, ...] | None) -> str | None:
    if isinstance(value, tuple):
        return " ".join(map(repr, value))
    return value


def _check_port(place: Place, doc: Document, wanted: str | tuple[str, ...]) -> None:
    """A host port another service publishes would stop compose from starting both."""
    if not isinstance(doc, ComposeDocument) or not place.key.endswith(".ports"):
        return
    if not isinstance(wanted, str) or not wanted.isdigit():
        return
    service = place.key.split(".")[1]
    taken_by = doc.publishers(int(wanted), besides=service)
    if taken_by:
        from envsync.answers import ANSWERS_FILE

        names = fact_names(place.value) if isinstance(place.value, str) else ()
        raise AnswersError(
            path=ANSWERS_FILE,
            key=names[0] if names else place.key,
            message=f"host port {wanted} is already published by service {taken_by[0]!r} in "
            f"{place.file}; choose another (envsync set db_port=...)",
        )


def _url_parts(place: Place, facts: Facts) -> dict[str, str | None]:
    assert place.url is not None
    parts: dict[str, str | None] = {}
    for name, pattern in place.url.parts.items():
        if pattern is None or (place.example and facts.is_secret(fact_names(pattern))):
            parts[name] = None
        else:
            parts[name] = fill(pattern, facts.values)
    return parts


def _fresh_url(place: Place, parts: Mapping[str, str | None], found: str | None) -> str:
    password = parts.get("password")
    if password is None and place.example:
        password = PLACEHOLDER
    return database_url.with_query_of(
        database_url.build(
            driver=None,
            scheme=parts.get("drivername") or "postgresql",
            user=parts.get("user") or "",
            password=password or None,
            host=parts.get("host") or "",
            port=int(parts.get("port") or 5432),
            database=parts.get("database") or "",
        ),
        found,
    )


def _evaluate_url(
    place: Place, facts: Facts, doc: Document, reading: Reading, findings: list[Finding]
) -> tuple[list[Finding], list[_Edit]]:
    wanted = _url_parts(place, facts)
    display = _display(place)
    found = reading.value if isinstance(reading.value, str) else None
    parsed = database_url.parse(found or "")
    if parsed is None:
        fresh = _fresh_url(place, wanted, None)
        finding = Finding(place.file, display, fresh, found, secret=True)
        findings.append(finding)
        return [finding], [_Edit(place.file, place.format, place.key, doc.escape(fresh), display)]
    changed: dict[str, str] = {}
    for part in URL_PARTS:
        want = wanted.get(part)
        if want is None:
            continue
        have = parsed.part(part)
        if part in ("password", "port") and want == "":
            # The place carries no password (secret_storage: local), or no port (the driver's
            # default, as ``postgresql://app@db/app`` has it).
            want = None
        if have == want or (part == "port" and have is not None and have == str(int(want or 0))):
            continue
        secret = part == "password"
        findings.append(Finding(place.file, f"{display} ({part})", want, have, secret))
        changed[part] = "" if want is None else want
    if not changed:
        return [], []
    source = reading.source if isinstance(reading.source, str) else found or ""
    edits: list[_Edit] = []
    spliced_parts: dict[str, str | None] = {}
    raw = database_url.split_raw(source)
    for part, value in changed.items():
        raw_part = raw.get(part) if raw else None
        redirected = None
        if raw_part and doc.references(raw_part):
            if (
                part in ("user", "password", "database")
                and database_url.encode_component(value) != value
            ):
                raise FormatError(
                    path=place.file,
                    line=reading.line,
                    message=f"{place.key} spells its {part} through {raw_part}, unencoded: a "
                    f"URL cannot carry that {part} ('@', ':', '/', '%', spaces...); choose one "
                    "of letters, digits, '-', '_', '.', '~', or write the URL without references",
                )
            redirected = _redirect(place, doc, raw_part, value, reading.line)
        if redirected is not None:
            edits.append(redirected)
        elif part in ("user", "password", "database"):
            spliced_parts[part] = (
                None if value == "" else doc.escape(database_url.encode_component(value))
            )
        else:
            spliced_parts[part] = None if value == "" else doc.escape(value)
    if spliced_parts:
        new_source = database_url.splice(source, spliced_parts) if raw else None
        if new_source is None:
            new_source = doc.escape(_fresh_url(place, wanted, found))
        edits.append(_Edit(place.file, place.format, place.key, new_source, display))
    return findings, edits


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
    return findings, created


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
    ws.compose_read = _compose_readers(ws, [(fill(f, facts.values), fmt) for f, fmt in files])
    edits: list[_Edit] = []
    for place in place_map.places:
        place_findings, place_edits = _evaluate(place, facts, ws)
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
                findings=tuple(f for f in findings if f.path == path),
            )
        )
    from envsync.answers import ANSWERS_FILE

    # The answers last: a project with answers is one envsync manages.
    changes.sort(key=lambda change: change.path == ANSWERS_FILE)
    inputs = (ANSWERS_FILE, MAP_FILE, *ws.originals)
    return Plan(facts, place_map, tuple(changes), tuple(findings), inputs, project_dir)


def _ignore_change(
    project_dir: Path, place_map: PlaceMap, private: set[str], ws: Workspace
) -> Change | None:
    """``.gitignore`` with the lines that keep the env files holding a secret out of git, even
    before there is a repository: its first ``git add -A`` must not take them. Written first."""
    from envsync import gitignore

    env_files = sorted(
        path
        for path in private
        if any(p.file == path and p.format in PRIVATE_FORMATS for p in place_map.places)
    )
    present = [path for path in env_files if ws.text(path) is not None]
    committed = gitignore.tracked(project_dir, present)
    lines = gitignore.missing_lines(project_dir, [p for p in present if p not in committed])
    if not lines:
        return None
    current = ws.text(gitignore.IGNORE_FILE)
    original = ws.originals.get(gitignore.IGNORE_FILE)
    new = file_io.keep_conventions(current, gitignore.with_lines(current, lines))
    ws.texts[gitignore.IGNORE_FILE] = new
    findings = tuple(
        Finding(gitignore.IGNORE_FILE, line, "ignored (holds the password)", "not ignored")
        for line in lines
    )
    return Change(
        gitignore.IGNORE_FILE, current, new, bool(original and original.bom), False, findings
    )


def _apply_edits(edits: list[_Edit], ws: Workspace) -> None:
    chosen: dict[tuple[str, str], _Edit] = {}
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
        remaining, _ = _evaluate(place, facts, ws)
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


def check(project_dir: Path) -> tuple[list[Finding], Plan]:
    """``envsync check``: the plan's findings, and with secret_storage: local, every file git
    tracks that holds the password. A clean result is remembered for the next check (local
    mode excepted: whether git tracks a file is not among the cached inputs)."""
    current = load_plan(project_dir, strict=False)
    outside = copies.search(project_dir, current.facts, current.place_map)
    findings = [*current.findings, *outside.findings]
    if current.facts.answers.secret_storage != local_secret.LOCAL:
        if not findings:
            inputs = (*current.inputs, *outside.read)
            check_cache.store(project_dir, inputs, watched=outside.watched)
        return findings, current
    leaks = local_secret.tracked_files_holding(
        project_dir, secret_spellings([current.facts.answers.db_password])
    )
    leaked = [Finding(path, LEAK_KEY, "absent", "present", secret=False) for path in leaks]
    return findings + leaked, current


def password_files(written: Plan) -> list[str]:
    """The files a run wrote a secret into."""
    return [change.path for change in written.changes if change.private]


def secret_spellings(values: list[str | None]) -> set[str]:
    """Every way a secret is written in some file, so that output can hide all of them."""
    import contextlib

    from envsync.formats import compose_file, dotenv_file, ini_file
    from envsync.formats.compose_interpolation import escape

    spellings: set[str] = set()
    for value in values:
        if not value:
            continue
        encoded = database_url.encode_component(value)
        spellings |= {
            value,
            encoded,
            encoded.lower(),
            ini_file.quote(encoded),
            compose_file.quote(value)[1:-1],
            escape(value),
            value.replace("'", "''"),  # a YAML single-quoted scalar, as a user may write it
        }
        with contextlib.suppress(FormatError):
            spelled = dotenv_file.quote(value, key="", path="")
            spellings.add(spelled.removeprefix("'").removesuffix("'"))
    return spellings


def plan_secrets(current_plan: Plan) -> set[str]:
    found = [f.found for f in current_plan.findings if f.secret]
    expected = [f.expected for f in current_plan.findings if f.secret]
    return secret_spellings([*current_plan.facts.secret_values(), *found, *expected])


def diff(current_plan: Plan, *, show_secrets: bool) -> str:
    """A unified diff of every change. Secrets are masked by field (where each secret place
    sits in the parsed file, however it is spelled), then by every spelling of every secret."""
    hidden = set() if show_secrets else plan_secrets(current_plan)
    chunks = []
    for change in current_plan.changes:
        old = (change.old or "").splitlines(keepends=True)
        new = change.new.splitlines(keepends=True)
        shown_old, shown_new = old, new
        if not show_secrets:
            shown_old = _masked_lines(current_plan, change.path, change.old)
            shown_new = _masked_lines(current_plan, change.path, change.new)
        text = _unified(
            (old, shown_old),
            (new, shown_new),
            f"a/{change.path}" if change.old is not None else "/dev/null",
            f"b/{change.path}",
        )
        chunks.append(text if show_secrets else mask_text(mask_fields(text), hidden))
    return "".join(chunks)


def _unified(
    old: tuple[list[str], list[str]], new: tuple[list[str], list[str]], source: str, target: str
) -> str:
    """``difflib.unified_diff`` of the real lines, printing their masked twins: a line whose
    only change is a password still shows as changed."""
    from difflib import SequenceMatcher  # only --diff needs it

    (old_lines, old_shown), (new_lines, new_shown) = old, new
    out: list[str] = []
    for group in SequenceMatcher(None, old_lines, new_lines).get_grouped_opcodes(3):
        if not out:
            out += [f"--- {source}\n", f"+++ {target}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in old_shown[i1:i2]]
                continue
            out += ["-" + line for line in old_shown[i1:i2]]
            out += ["+" + line for line in new_shown[j1:j2]]
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _masked_lines(current_plan: Plan, path: str, text: str | None) -> list[str]:
    """``text``'s lines with the value of every secret place of ``path`` masked in place."""
    lines = (text or "").splitlines(keepends=True)
    places = [
        place.resolved(current_plan.facts.values)
        for place in current_plan.place_map.places
        if place.file == path
        and (place.url is not None or current_plan.facts.is_secret(place.facts()))
    ]
    if not text or not places:
        return lines
    ws = Workspace(current_plan.project_dir, {path: file_io.TextFile(text, False)}, os.environ)
    try:
        doc = ws.document(path, places[0].format)
        readings = [(place, doc.read(place.key)) for place in places] if doc else []
    except FormatError:
        return lines
    for place, reading in readings:
        if reading.line is None or not isinstance(reading.source, str):
            continue
        index = reading.line - 1
        if index >= len(lines):
            continue
        if place.url is not None:
            raw = database_url.split_raw(reading.source)
            secret = raw.get("password") if raw else None
        else:
            secret = reading.source
        if secret and secret in lines[index]:
            lines[index] = lines[index].replace(secret, MASK)
    return lines
