"""What belongs to another database than the map's: its compose service, the env files only it
reads, the variables it refers to, and URLs that point at it.

Two database services in one compose file are two databases, each with its own credentials
(places.md, "Several databases"). Their ``POSTGRES_*``, the ``TEST_DB_PASSWORD`` its
``${...}`` reads from the ``.env``, and a test runner's URL to it are not copies of the map's
facts; a password of the map's facts written there still is, and the copy search says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from envsync.formats import Document
from envsync.formats.compose_file import ComposeDocument

_DATABASE_IMAGE = re.compile(r"(postgres(ql)?|pgvector|postgis|timescaledb(-ha)?)")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_URL_HOST = re.compile(r"://[^\s/@]*@(?P<host>[^\s:/?'\"]+)")


@dataclass
class Others:
    """Lines of other databases' services by file, their host names, the variables they read
    and the env files only they load."""

    lines: dict[str, set[int]] = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    env_files: set[str] = field(default_factory=set)

    def owns(self, line: str) -> bool:
        """Whether ``line`` is about another database: a URL to it, or a variable it reads."""
        host = _URL_HOST.search(line)
        if host is not None and host["host"] in self.hosts:
            return True
        assigned = re.match(r"\s*(?:-\s+)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[:=]", line)
        return assigned is not None and assigned[1] in self.variables


def _locator(service: str) -> str:
    return f'services."{service}"' if "." in service else f"services.{service}"


def find(
    compose_files: dict[str, str],
    document: Callable[[str], Document | None],
    text_of: Callable[[str], str | None],
) -> Others:
    """``compose_files``: each compose file of the map and the keys its places read (one a
    line); ``document``: the compose document of a file."""
    others = Others()
    ours_env_files: set[str] = set()
    for path, keys in compose_files.items():
        doc = document(path)
        if not isinstance(doc, ComposeDocument):
            continue
        lines = (text_of(path) or "").splitlines()
        for service in doc.service_names():
            locator = _locator(service)
            image = str(doc.read(f"{locator}.image").value or "")
            name = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
            node = doc.find(locator).node
            mine = f"\n{locator}." in keys or not _DATABASE_IMAGE.fullmatch(name)
            if mine or node is None:
                ours_env_files.update(doc.env_files(service))
                continue
            span = range(node.start_mark.line + 1, node.end_mark.line + 2)
            others.lines.setdefault(path, set()).update(span)
            others.hosts.add(service)
            others.env_files.update(doc.env_files(service))
            for number in span:
                if number <= len(lines):
                    others.variables.update(_REFERENCE.findall(lines[number - 1]))
        for number, line in enumerate(lines, 1):
            if others.owns(line):
                others.lines.setdefault(path, set()).add(number)
                others.variables.update(_REFERENCE.findall(line))
    others.env_files -= ours_env_files
    return others
