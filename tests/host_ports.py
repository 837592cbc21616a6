"""Host ports of hand-written layouts moved to ports free for this test run.

The layouts publish the database on 5432, 5433 and 5434 as real projects do, or on a port of
their own (5442-5490, 15432), and any of those may be where a laptop's own PostgreSQL or another
project's database answers: `envsync set` rightly stops at a server on its project's port that is
not the project's. Each layout keeps its shape;
only the host side of its port (a compose mapping's published port, a host-view URL's port, a
``*_PORT=`` beside a ``localhost`` host) becomes this run's. Container ports and network views
(``db:5432``) stay, and so do CI workflows: their database is GitHub's service container.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping

from envsync.live.server import free_port

# 5432-5434 as real projects publish them; 5442-5490 and 15432 as the layouts of the tests spell
# one project's port apart from another's.
HOST_PORTS = {port: free_port() for port in (5432, 5433, 5434, *range(5442, 5491), 15432)}
_NUMBER = "|".join(str(port) for port in HOST_PORTS)
# "5433:5432", "127.0.0.1:5433:5432", "${DB_PORT:-5433}:5432": the published side.
_PUBLISHED = re.compile(rf"(?<![\w.])({_NUMBER})(?=\}}?:5432\b)")
# postgresql://user:pw@localhost:5433/db: the host view.
_HOST_VIEW = re.compile(rf"(?<=@localhost:|@127\.0\.0\.1:)({_NUMBER})\b")
# POSTGRES_PORT=5433 in a file whose host is this machine.
_PORT_SETTING = re.compile(rf"(?m)^([A-Z_]*PORT=)({_NUMBER})$")
_LOCAL_HOST = re.compile(r"(?m)^[A-Z_]*(HOST|SERVER)=(localhost|127\.0\.0\.1)$")


def moved(port: int) -> int:
    """A layout's host port as this test run publishes it."""
    return HOST_PORTS.get(port, port)


def own_ports(name: str, text: str) -> str:
    """``text`` of the file ``name`` with its host ports moved (see the module's docstring)."""
    if name.startswith(".github/"):
        return text

    def move(match: re.Match[str]) -> str:
        return str(moved(int(match[1])))

    text = _HOST_VIEW.sub(move, _PUBLISHED.sub(move, text))
    if _LOCAL_HOST.search(text):
        text = _PORT_SETTING.sub(lambda m: m[1] + str(moved(int(m[2]))), text)
    return text


def own_files(files: Mapping[str, str]) -> dict[str, str]:
    """``own_ports`` on every file of a layout whose texts are indented (dedented first)."""
    return {
        name: own_ports(name, textwrap.dedent(text).lstrip("\n")) for name, text in files.items()
    }
