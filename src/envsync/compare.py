"""One place against the facts: its findings, read as its consumer reads it, and the edits that
repair it (at the place, or where a reference it reads is defined)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from envsync import database_url
from envsync.drift import Finding
from envsync.errors import AnswersError, FormatError, UnrepairableError
from envsync.facts import Facts
from envsync.formats import Document, Reading, Target
from envsync.formats.compose_file import ComposeDocument
from envsync.formats.dotenv_file import DotenvDocument
from envsync.places.model import PLACEHOLDER, URL_PARTS, Place, fact_names, fill
from envsync.workspace import Workspace

# One reference, the whole of a value: `$NAME`, `${NAME}`, `${NAME:-default}` (even nested).
_WHOLE_REFERENCE = re.compile(
    r"\$(?:(?P<plain>[A-Za-z_]\w*)|\{(?P<braced>[A-Za-z_]\w*)(?:[:?+\-].*)?\})", re.S
)
# A reference with a default, `${NAME:-default}` or `${NAME-default}`.
_DEFAULTED = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?P<op>:?-)(?P<default>.*)\}", re.S)


@dataclass(frozen=True)
class Edit:
    file: str
    format: str
    key: str
    source: str | tuple[str, ...]
    origin: str
    # A dotenv value both compose and python-dotenv must read literally (single quotes).
    literal: bool = False


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
) -> Edit | None:
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
    _refuse_shell_value(place, doc, name, target, line)
    return Edit(target.file, "dotenv", target.key, value, place.origin or place.where())


def _refuse_shell_value(
    place: Place, doc: Document, name: str, target: Target, line: int | None
) -> None:
    if isinstance(doc, ComposeDocument) and name in os.environ:
        raise UnrepairableError(
            path=place.file,
            line=line,
            message=f"{place.key} reads {name} from your shell's environment, which compose "
            f"takes before {target.file}: change or unset it there (unset {name})",
        )


def _through_reference(
    place: Place, doc: Document, source: str, parts: dict[str, str | None], line: int | None
) -> list[Edit] | None:
    """The repair of a URL written as one reference, which stays a reference: the default
    spliced in place where compose uses it, else none here (the variable's definition is a
    place of its own, repaired there; one outside the map is refused when the plan reads the
    repair back). None when ``source`` is no reference."""
    whole = _WHOLE_REFERENCE.fullmatch(source)
    if whole is None:
        return None
    name = whole["plain"] or whole["braced"]
    defaulted = _DEFAULTED.fullmatch(source)
    if defaulted is not None and _default_applies(doc, defaulted):
        default = defaulted["default"]
        spliced = None if doc.references(default) else database_url.splice(default, parts)
        if spliced is None:
            raise UnrepairableError(
                path=place.file,
                line=line,
                message=f"{place.key}: the default of ${{{name}}} is built from references or "
                f"is no URL; define {name} in the .env compose reads, or fix it by hand",
            )
        new_source = f"${{{name}{defaulted['op']}{spliced}}}"
        return [Edit(place.file, place.format, place.key, new_source, _display(place))]
    target = doc.definition(name)
    if target is None:
        raise UnrepairableError(
            path=place.file, line=line, message=f"{place.key}: this format has no references"
        )
    _refuse_shell_value(place, doc, name, target, line)
    return []


def _default_applies(doc: Document, defaulted: re.Match[str]) -> bool:
    """Whether compose takes the default of ``${NAME:-default}`` (NAME unset or empty) or
    ``${NAME-default}`` (NAME unset)."""
    if not isinstance(doc, ComposeDocument):
        return False
    value = doc.variables.get(defaulted["name"])
    return value is None or (value == "" and defaulted["op"] == ":-")


def evaluate(place: Place, facts: Facts, ws: Workspace) -> tuple[list[Finding], list[Edit]]:
    findings: list[Finding] = []
    try:
        return _compare(place, facts, ws, findings)
    except UnrepairableError:
        if ws.strict or not findings:
            raise
        return findings, []


def _compare(
    place: Place, facts: Facts, ws: Workspace, findings: list[Finding]
) -> tuple[list[Finding], list[Edit]]:
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
        return [finding], [Edit(target.file, "dotenv", target.key, wanted, place.where())]
    if isinstance(wanted, str) and isinstance(reading.source, str):
        redirected = _redirect(place, doc, reading.source, wanted, reading.line)
        if redirected is not None:
            return [finding], [redirected]
    edit = Edit(place.file, place.format, place.key, _escaped(doc, wanted), place.where())
    return [finding], [edit]


def _linked(
    place: Place, doc: Document, reading: Reading, wanted: str, findings: list[Finding]
) -> tuple[list[Finding], list[Edit]] | None:
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
    finding = Finding(
        place.file, _display(place), f"${{{place.via}}}", _shown(reading.value), secret=True
    )
    findings.append(finding)
    edits = [
        Edit(place.file, place.format, place.key, reference, place.where()),
        Edit(target.file, "dotenv", target.key, wanted, place.where()),
    ]
    return [finding], edits


def compose_readers(ws: Workspace, place_map_files: list[tuple[str, str]]) -> set[str]:
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
) -> tuple[list[Finding], list[Edit]]:
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
    edit = Edit(place.file, "dotenv", place.key, wanted, place.where(), literal=True)
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
) -> tuple[list[Finding], list[Edit]]:
    wanted = _url_parts(place, facts)
    display = _display(place)
    found = reading.value if isinstance(reading.value, str) else None
    parsed = database_url.parse(found or "")
    if parsed is None:
        fresh = _fresh_url(place, wanted, None)
        finding = Finding(place.file, display, fresh, found, secret=True)
        findings.append(finding)
        return [finding], [Edit(place.file, place.format, place.key, doc.escape(fresh), display)]
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
    edits: list[Edit] = []
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
        through = _through_reference(place, doc, source, spliced_parts, reading.line)
        if through is not None:
            return findings, [*edits, *through]
        new_source = database_url.splice(source, spliced_parts) if raw else None
        if new_source is None:
            new_source = doc.escape(_fresh_url(place, wanted, found))
        edits.append(Edit(place.file, place.format, place.key, new_source, display))
    return findings, edits
