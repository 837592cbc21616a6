"""Copies outside the map: credentials that ``check`` would miss because no place names them.

A map is only as good as its last discovery. This search finds, with file and line:

- credential keys (``copy_positions.credential``) in the files envsync reads (the map's dotenv
  and compose files, and every env file compose reads: a compose file's ``.env``, its
  services' ``env_file:``) on a line that no place of the map reads;
- the current or a previous value of a secret fact (``secret_history``) in a password position
  of any text file git tracks, of the git-ignored and untracked env files, and of the files
  envsync reads, outside the map's own places (an example place is searched too: it must hold
  a placeholder, never the password).

``[[ignore]]`` entries of the map silence a copy kept on purpose. The search reports what it
read, so the check cache can tell when a warm check may answer: content hashes for the files
read whole, and ``stat`` for tracked files and directories, with git's index for the list.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from envsync import (
    copy_positions,
    database_url,
    file_io,
    git_listing,
    other_databases,
    secret_history,
)
from envsync.copy_positions import URL_KEY
from envsync.drift import Finding
from envsync.errors import EnvsyncError
from envsync.facts import Facts
from envsync.formats import Context, Document, document
from envsync.formats.compose_file import ComposeDocument, interpolation_file
from envsync.other_databases import Others
from envsync.places.model import PlaceMap
from envsync.workspace import Workspace

KIND = "copy"
CURRENT = "the current"
CREDENTIAL = "a credential no place of the map names"
ADVICE = (
    "copies outside the map: remove each, add its place to envsync.toml, or keep it on purpose "
    "with an [[ignore]] entry (file, key, line)"
)
# envsync's own files: the source of the facts, not copies of them.
_OWN = (".copier-answers.yml", "envsync.toml")
_SKIP_DIRS = frozenset(
    {".git", ".hg", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox", ".envsync"}
)
_MAX_DEPTH = 4
_NAME_PART = re.compile(r"(USER|USERNAME|NAME|_DB|DATABASE)$")
# Below this length, a value in a position not named like a password is no evidence.
_SHORTEST_UNNAMED = 8


@dataclass(frozen=True)
class Search:
    """What the search found, and what it read (for the check cache)."""

    findings: tuple[Finding, ...]
    read: tuple[str, ...] = ()
    watched: tuple[str, ...] = ()


@dataclass
class _Files:
    """The files to search and how: whole (every line) or by candidate lines from git."""

    whole: dict[str, bool] = field(default_factory=dict)  # path -> also search credential keys
    candidates: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)
    watched: list[str] = field(default_factory=list)


class _Texts(dict[str, "str | None"]):
    """The project's files, read once when first asked; None for missing or unreadable. What
    the plan's workspace already read comes from there, and so do the documents it parsed
    while it changed no file in memory (then they are the files as they are on disk)."""

    def __init__(self, project_dir: Path, workspace: Workspace | None = None) -> None:
        super().__init__()
        self.project_dir = project_dir
        self.documents: dict[tuple[str, str], Document | None] = {}
        self.workspace = workspace
        self.parsed: dict[tuple[str, str], Document] = {}
        if workspace is not None and all(
            workspace.texts.get(path) == (original.text if original else None)
            for path, original in workspace.originals.items()
        ):
            self.parsed = {key: parsed for key, (_, parsed) in workspace.parsed.items()}

    def __missing__(self, path: str) -> str | None:
        if self.workspace is not None and path in self.workspace.originals:
            original = self.workspace.originals[path]
            self[path] = original.text if original else None
            return self[path]
        try:
            found = file_io.read(self.project_dir, path)
        except EnvsyncError:
            found = None
        self[path] = found.text if found else None
        return self[path]


def _document(texts: _Texts, path: str, fmt: str) -> Document | None:
    """The file as its format reads it, parsed once; None when missing or unreadable."""
    if (path, fmt) in texts.parsed:
        return texts.parsed[path, fmt]
    if (path, fmt) not in texts.documents:
        text = texts[path]
        context = Context(path, texts.project_dir, os.environ, texts.__getitem__)
        try:
            parsed = None if text is None else document(fmt, text, context)
        except EnvsyncError:
            parsed = None
        texts.documents[path, fmt] = parsed
    return texts.documents[path, fmt]


def _map_lines(
    facts: Facts, place_map: PlaceMap, texts: _Texts
) -> tuple[dict[str, set[int]], dict[str, set[str]]]:
    """The lines each place of the map reads (and where the variables it refers to are
    defined): a value there is the map's, not a copy. Example places are left out: the
    password must never be there."""
    lines: dict[str, set[int]] = {}
    names: dict[str, set[str]] = {}

    def add(path: str, fmt: str, key: str) -> None:
        names.setdefault(path, set()).add(key.rsplit(".", 1)[-1])
        doc = _document(texts, path, fmt)
        if doc is None:
            return
        try:
            reading = doc.read(key)
        except EnvsyncError:
            return
        if reading.line is not None:
            lines.setdefault(path, set()).add(reading.line)
        if reading.defined_in is not None:
            add(reading.defined_in.file, "dotenv", reading.defined_in.key)
        if isinstance(reading.source, str):
            for name in doc.references(reading.source):
                target = doc.definition(name)
                if target is not None:
                    add(target.file, "dotenv", target.key)

    for place in place_map.places:
        if place.example:
            continue
        resolved = place.resolved(facts.values)
        add(resolved.file, resolved.format, resolved.key)
        if place.via is not None:
            doc = _document(texts, resolved.file, resolved.format)
            target = doc.definition(place.via) if doc is not None else None
            if target is not None:
                add(target.file, "dotenv", target.key)
    return lines, names


def _other_databases(facts: Facts, place_map: PlaceMap, texts: _Texts) -> Others:
    keys: dict[str, str] = {}
    for place in place_map.places:
        resolved = place.resolved(facts.values)
        if resolved.format == "compose":
            keys[resolved.file] = keys.get(resolved.file, "") + "\n" + resolved.key
    return other_databases.find(
        keys, lambda path: _document(texts, path, "compose"), texts.__getitem__
    )


def _read_by_envsync(facts: Facts, place_map: PlaceMap, texts: _Texts, others: Others) -> list[str]:
    """The map's dotenv and compose files, and every env file compose reads for them (but the
    env files only another database's service loads)."""
    found: list[str] = []
    for place in place_map.places:
        if place.example or place.format not in ("dotenv", "compose"):
            continue
        path = place.resolved(facts.values).file
        found.append(path)
        if place.format == "compose":
            found.append(interpolation_file(path))
            doc = _document(texts, path, "compose")
            if isinstance(doc, ComposeDocument):
                for service in doc.service_names():
                    found += doc.env_files(service)
    found = [path for path in found if path not in others.env_files]
    return [path for path in dict.fromkeys(found) if texts[path] is not None]


def is_env_file(path: str) -> bool:
    posix = PurePosixPath(path)
    name = posix.name
    if name == ".envrc":
        return False
    return ".envs" in posix.parts[:-1] or name == ".env" or ".env." in name or name.endswith(".env")


def _split(output: bytes) -> list[str]:
    return [name for name in output.decode("utf-8", "surrogateescape").split("\0") if name]


def _gather_git(project_dir: Path, git: git_listing.Started, files: _Files) -> bool:
    """Candidate lines of the tracked files (``git grep``, which reads the working tree) and
    the untracked and ignored env files; False outside a git repository."""
    tracked, index, grep, *others = git.finish()
    if tracked is None:
        return False
    if index is not None:
        files.read.append(os.path.join(os.path.abspath(project_dir), index.decode().strip()))
    names = _split(tracked)
    files.watched += names
    directories = {"."}
    for name in names:
        # Strings, not paths: this runs for every tracked file.
        parent = name.rpartition("/")[0] or "."
        while parent not in directories:
            directories.add(parent)
            parent = parent.rpartition("/")[0] or "."
    if grep is not None:
        text = grep.decode("utf-8", "surrogateescape")
        for match in re.finditer(r"([^\0]*)\0(\d+)\0([^\n]*)\n", text):
            files.candidates.setdefault(match[1], []).append((int(match[2]), match[3]))
    for listed in others:
        for name in _split(listed) if listed is not None else []:
            if name.endswith("/"):
                continue
            # A new env file beside any untracked one changes its directory: watched.
            directories.add(PurePosixPath(name).parent.as_posix())
            if is_env_file(name):
                files.whole.setdefault(name, False)
    files.watched += sorted(directories)
    return True


def _gather_walk(project_dir: Path, files: _Files) -> None:
    """Outside git: the env files of the project's directories (none is tracked)."""
    root = os.path.abspath(project_dir)
    for directory, subdirectories, names in os.walk(root):
        relative = os.path.relpath(directory, root)
        depth = 0 if relative == "." else relative.count(os.sep) + 1
        subdirectories[:] = sorted(
            d for d in subdirectories if d not in _SKIP_DIRS and depth < _MAX_DEPTH
        )
        files.watched.append(relative)
        for name in names:
            path = PurePosixPath(relative, name).as_posix()
            if is_env_file(path):
                files.whole.setdefault(path, False)


def _secrets(facts: Facts) -> tuple[dict[str, str], set[str]]:
    """The current secret values (value -> fact) and every non-secret fact's value."""
    current = {
        facts.values[name]: name
        for name in sorted(facts.secret)
        if facts.values.get(name) and not copy_positions.is_placeholder(facts.values[name])
    }
    public = {value for name, value in facts.values.items() if name not in facts.secret}
    return current, public


def _addresses(facts: Facts) -> frozenset[tuple[str, str]]:
    values = facts.values
    port = values.get("db_port", "5432")
    hosts = {values.get("db_host", ""), "localhost", "127.0.0.1", "::1"}
    network = {values.get("db_service", ""), values.get("db_container", "")}
    return frozenset({(host, port) for host in hosts} | {(host, "5432") for host in network})


@dataclass(frozen=True)
class _Judge:
    current: Mapping[str, str]
    public: set[str]
    history: secret_history.History
    # Where the map's database answers: (host, port) from the host and the network view.
    addresses: frozenset[tuple[str, str]] = frozenset()

    def elsewhere(self, value: str) -> bool:
        """Whether ``value`` is a URL to another server than the map's database (a URL of
        references, or one whose port is not written, counts as the map's)."""
        parsed = database_url.parse(value)
        if parsed is None or parsed.host is None or "$" in value:
            return False
        return (parsed.host, str(parsed.port or 5432)) not in self.addresses

    def whose(self, written: str) -> tuple[str, str] | None:
        """(fact, "the current"/"a previous") of a secret ``written`` spells, or None."""
        for value in copy_positions.readings(written):
            if value in self.current:
                return self.current[value], CURRENT
            fact = self.history.fact_of(value)
            if fact is not None:
                return fact, "a previous"
        return None


def _line_findings(
    path: str, number: int, line: str, judge: _Judge, *, keys: bool, named: Collection[str]
) -> Iterator[Finding]:
    assigned = copy_positions.assignment(line)
    # A key the map names, repeated: compose and python-dotenv read the last one. Holding the
    # current value it is in step; after the next change it holds a previous one, reported.
    repeated = assigned is not None and assigned.key in named
    for position in copy_positions.passwords(line):
        owner = judge.whose(position.value)
        if owner is not None:
            if not (repeated and owner[1] == CURRENT):
                what = f"{owner[1]} {owner[0]}"
                # A URL's password is named by the key the URL is assigned to, when it is.
                key = assigned.key if assigned and position.key == URL_KEY else position.key
                yield _finding(path, number, key, what, position.value)
            return
    if not keys or repeated:
        return
    if (
        assigned is not None
        and len(assigned.value) >= _SHORTEST_UNNAMED
        and assigned.value not in judge.public
    ):
        owner = judge.whose(assigned.value)
        if owner is not None:
            yield _finding(path, number, assigned.key, f"{owner[1]} {owner[0]}", assigned.value)
            return
    found = copy_positions.credential(line)
    if found is not None and not judge.elsewhere(found.value):
        # Shown only when it cannot hold a password: a user or database name alone.
        secret = not (_NAME_PART.search(found.key) and not set(found.value) & set(":@"))
        yield Finding(path, found.key, CREDENTIAL, found.value, secret, kind=KIND, line=number)


def _finding(path: str, number: int, key: str, what: str, value: str) -> Finding:
    return Finding(path, key, what, value, secret=True, kind=KIND, line=number)


def _ignored(finding: Finding, text: str, place_map: PlaceMap) -> bool:
    for entry in place_map.ignores:
        if not fnmatch.fnmatchcase(finding.path, entry.file):
            continue
        # A place's locator names the key last (services.backend.environment.DATABASE_URL).
        if entry.key is not None and finding.key not in (entry.key, entry.key.rsplit(".", 1)[-1]):
            continue
        # A glob, not a regular expression: a cloned map's pattern must not hang check.
        if entry.line is not None and not fnmatch.fnmatchcase(text.strip(), entry.line):
            continue
        return True
    return False


def search(
    project_dir: Path,
    facts: Facts,
    place_map: PlaceMap,
    workspace: Workspace | None = None,
    git: git_listing.Started | None = None,
) -> Search:
    """The copies outside the map; ``workspace``: the files as the check's plan read them;
    ``git``: the search's git commands, started earlier (else started here)."""
    texts = _Texts(project_dir, workspace)
    files = _Files()
    others = _other_databases(facts, place_map, texts)
    for path in _read_by_envsync(facts, place_map, texts, others):
        files.whole[path] = True
    if not _gather_git(project_dir, git or git_listing.Started(project_dir), files):
        _gather_walk(project_dir, files)
    current, public = _secrets(facts)
    judge = _Judge(current, public, secret_history.load(project_dir), _addresses(facts))
    taken, named = _map_lines(facts, place_map, texts)
    lines: dict[str, list[tuple[int, str]]] = {}
    for path in files.whole:
        text = texts[path]
        if text is not None:
            files.read.append(path)
            lines[path] = list(enumerate(text.splitlines(), 1))
    for path, candidates in files.candidates.items():
        lines.setdefault(path, candidates)
    findings: list[Finding] = []
    for path, numbered in sorted(lines.items()):
        if path in _OWN or path.startswith(".envsync/") or path in others.env_files:
            continue
        # Another database's lines are its own, even where its password equals one of ours.
        skip = taken.get(path, set()) | others.lines.get(path, set())
        keys = files.whole.get(path, False)
        for number, text in numbered:
            if number in skip or others.owns(text):
                continue
            for finding in _line_findings(
                path, number, text, judge, keys=keys, named=named.get(path, set())
            ):
                if not _ignored(finding, text, place_map):
                    findings.append(finding)
    # The key is random bytes, not text to look for references in; a new key empties the
    # history, which holds nothing then, so the history alone keys the cache.
    history = [secret_history.HISTORY_FILE]
    return Search(tuple(findings), tuple([*files.read, *history]), tuple(files.watched))


def secret_values(facts: Facts) -> dict[str, list[str | None]]:
    """What ``secret_history.record`` keeps for ``facts``: each secret fact's value."""
    return {name: [facts.values.get(name)] for name in sorted(facts.secret)}
