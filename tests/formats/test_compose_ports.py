"""compose_ports reads a ports item as Docker Compose v2 normalises it (the real binary judges)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsync.formats.compose_ports import PortError, PortMapping, parse
from tests import compose_v2

Item = str | int | dict[str, object]


def _compose_file(directory: Path, items: Sequence[Item]) -> Path:
    """A service per item: compose drops an item that repeats an earlier one of its service."""
    path = directory / "compose.yaml"
    services = {f"s{i}": {"image": "postgres", "ports": [item]} for i, item in enumerate(items)}
    # Short items quoted: a YAML 1.1 reader would see 5432:5432 as a base-60 number.
    path.write_text(yaml.safe_dump({"services": services}, default_style='"'))
    return path


def _mapping(entry: dict[str, object]) -> PortMapping:
    published = entry.get("published")
    host_range = None
    if published is not None:
        start, _, end = str(published).partition("-")
        host_range = (int(start), int(end or start))
    return PortMapping(
        str(entry.get("host_ip", "")), host_range, int(str(entry["target"])), str(entry["protocol"])
    )


def _compose_mappings(directory: Path, items: Sequence[Item]) -> list[PortMapping]:
    services = compose_v2.config(_compose_file(directory, items)).get("services", {})
    return [
        _mapping(entry) for i in range(len(items)) for entry in services[f"s{i}"].get("ports", [])
    ]


def _ours(item: Item) -> list[PortMapping] | None:
    try:
        return parse(item)
    except PortError:
        return None


SPELLINGS: list[tuple[Item, list[PortMapping]]] = [
    ("5432-5432:5432", [PortMapping("", (5432, 5432), 5432, "tcp")]),  # issue 10, bug 12
    ("05432:5432/", [PortMapping("", (5432, 5432), 5432, "tcp")]),
    (5432, [PortMapping("", None, 5432, "tcp")]),
    ("[::1]:5432:5432", [PortMapping("::1", (5432, 5432), 5432, "tcp")]),
    ("::1:5433:5432/UDP", [PortMapping("::1", (5433, 5433), 5432, "udp")]),
    ("[127.0.0.1]:5432:5432", [PortMapping("127.0.0.1", (5432, 5432), 5432, "tcp")]),
    ("127.0.0.1::5432", [PortMapping("127.0.0.1", None, 5432, "tcp")]),
    ("6000-6005:5432", [PortMapping("", (6000, 6005), 5432, "tcp")]),
    (
        "6000-6001:7000-7001",
        [PortMapping("", (6000, 6000), 7000, "tcp"), PortMapping("", (6001, 6001), 7001, "tcp")],
    ),
    ("5432-5433-9:5432", [PortMapping("", (5432, 5433), 5432, "tcp")]),  # a third field is ignored
    (
        {"target": 5432, "published": "05432", "host_ip": "::1", "protocol": "UDP", "mode": "host"},
        [PortMapping("::1", (5432, 5432), 5432, "UDP")],  # the long syntax keeps the protocol
    ),
    ({"target": "5432", "published": 5433}, [PortMapping("", (5433, 5433), 5432, "tcp")]),
]
REFUSED: list[Item] = [
    " 5432:5432",
    "+5432:5432",
    "65536:5432",
    "5433-5432:5432",
    "6000-6002:7000-7001",
    "localhost:5432:5432",
    "01.2.3.4:5432:5432",
    "fe80::1%eth0:5432:5432",
    "[::1]:5432",
    "5432:5432/quic",
    "5432:0",
    {"target": 5432, "host_ip": "[::1]"},
]


@pytest.mark.parametrize(("item", "expected"), SPELLINGS)
def test_spellings(item: Item, expected: list[PortMapping]) -> None:
    assert parse(item) == expected


def test_the_spellings_are_what_compose_does(tmp_path: Path) -> None:
    items = [item for item, _ in SPELLINGS]
    assert _compose_mappings(tmp_path, items) == [m for _, found in SPELLINGS for m in found]


@pytest.mark.parametrize("item", REFUSED)
def test_refused(item: Item, tmp_path: Path) -> None:
    with pytest.raises(PortError):
        parse(item)
    compose_v2.refusal(_compose_file(tmp_path, [item]))


_PORT = st.sampled_from(["5432", "0", "05432", "65535", "65536", "", "+1", "1_0", "a"])
_RANGE = st.one_of(_PORT, st.builds("{}-{}".format, _PORT, _PORT))
_SHORT = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["", ":", "127.0.0.1:", "[::1]:", "::1:", "0.0.0.0:", "host:", "[1.2.3.4]:"]),
    st.one_of(st.just(""), _RANGE.map("{}:".format)),
    _RANGE,
    st.sampled_from(["", "/tcp", "/UDP", "/sctp", "/", "/quic"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(_SHORT, min_size=1, max_size=12))
def test_short_syntax_agrees_with_compose(tmp_path: Path, items: list[str]) -> None:
    ours = [(item, _ours(item)) for item in items]
    accepted = [(item, found) for item, found in ours if found is not None]
    expected = [mapping for _, found in accepted for mapping in found]
    # Compose lists a long container range in its own order (10000 before 5432): compare sets.
    assert sorted(_compose_mappings(tmp_path, [item for item, _ in accepted]), key=repr) == sorted(
        expected, key=repr
    )
    refused = [item for item, found in ours if found is None]
    if refused:
        compose_v2.refusal(_compose_file(tmp_path, refused[:1]))
