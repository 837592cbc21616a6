"""A compose ``ports:`` item, short or long syntax, read into what it publishes.

Many spellings publish the same port (``5432:5432``, ``5432-5432:5432``, ``0.0.0.0:5432:5432``
differ only in the host address), so ports are compared as ``PortMapping`` values, never as text.
The short syntax follows Docker's own parser (``go-connections/nat``) as Compose v2 runs it,
checked against the real binary in tests/formats/test_compose_ports.py:

- ``[ip:][host[-host]:]container[-container][/protocol]``; the address is everything before the
  last two ``:``-separated fields, so ``::1:5432:5432`` works and ``[::1]`` may be bracketed.
- Ports are plain decimal (leading zeros allowed, no sign, no blanks), 0 to 65535; a range
  ``a-b`` reads only its first two fields and needs ``a <= b``.
- A container range pairs one-to-one with a host range of the same length (one mapping per
  port); a single container port may take a host range, which Docker picks a free port from.
- The protocol is lower-cased and must be tcp, udp or sctp; an empty one is tcp.

The long syntax is a mapping that compose passes through mostly unchecked: ``protocol`` is kept
as written, ``published`` may be any string and ``target`` any number. Here both must be ports
(what a Docker engine can publish), and a target of 0 is refused as in the short syntax.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["PortError", "PortMapping", "parse"]

_PROTOCOLS = frozenset({"tcp", "udp", "sctp"})


class PortError(ValueError):
    """A ports item compose (or the Docker engine behind it) refuses."""


@dataclass(frozen=True)
class PortMapping:
    """One container port and where the host publishes it.

    ``published`` is the host port range (``(5432, 5432)`` for one port), ``None`` when Docker
    picks any free port. ``host_ip`` is ``""`` for every address.
    """

    host_ip: str
    published: tuple[int, int] | None
    target: int
    protocol: str


def parse(item: str | int | Mapping[str, object]) -> list[PortMapping]:
    """The mappings one ``ports:`` item makes, after interpolation, in compose's order."""
    if isinstance(item, Mapping):
        return [_long(item)]
    return _short(str(item))


def _port(text: str) -> int:
    """Go's ``strconv.ParseUint(text, 10, 16)``."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise PortError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _range(text: str) -> tuple[int, int]:
    if "-" not in text:
        return _port(text), _port(text)
    # Docker reads the first two fields of "a-b-c" and ignores the rest.
    start, end = (_port(part) for part in text.split("-")[:2])
    if end < start:
        raise PortError(f"the port range {text!r} ends before it starts")
    return start, end


def _address(text: str) -> str:
    if text.startswith("["):
        if not text.endswith("]") or "[" in text[1:-1] or "]" in text[1:-1]:
            raise PortError(f"{text!r} is not an IP address")
        text = text[1:-1]
    # Go's net.ParseIP takes no IPv6 zone ("%eth0"); Python's ipaddress does.
    try:
        if "%" in text:
            raise ValueError
        ipaddress.ip_address(text)
    except ValueError:
        raise PortError(f"{text!r} is not an IP address (a host name cannot be used)") from None
    return text


def _short(text: str) -> list[PortMapping]:
    parts = text.split(":")
    container, host = parts[-1], parts[-2] if len(parts) > 1 else ""
    address = ":".join(parts[:-2])
    container, _, protocol = container.partition("/")
    host_ip = _address(address) if address else ""
    protocol = protocol.lower() or "tcp"
    target_start, target_end = _range(container)
    published = _range(host) if host else None
    if protocol not in _PROTOCOLS:
        raise PortError(f"{protocol!r} is not a protocol compose publishes (tcp, udp, sctp)")
    if target_start == 0:
        raise PortError(f"{text!r} has no container port")
    host_ranges: list[tuple[int, int] | None]
    if published is None or target_end == target_start:
        # One container port takes a host range as a pool Docker picks a free port from.
        host_ranges = [published] * (target_end - target_start + 1)
    elif published[1] - published[0] != target_end - target_start:
        raise PortError(f"the host and container ranges of {text!r} differ in length")
    else:
        host_ranges = [(port, port) for port in range(published[0], published[1] + 1)]
    return [
        PortMapping(host_ip, host_range, target_start + offset, protocol)
        for offset, host_range in enumerate(host_ranges)
    ]


def _long(item: Mapping[str, object]) -> PortMapping:
    target = _port(str(item.get("target", 0)))
    if target == 0:
        raise PortError("a long-syntax port has no target")
    published = "" if item.get("published") is None else str(item["published"])
    host_ip = str(item.get("host_ip") or "")
    if host_ip.startswith("["):  # compose refuses brackets here, unlike the short syntax
        raise PortError(f"{host_ip!r} is not an IP address")
    return PortMapping(
        host_ip=_address(host_ip) if host_ip else "",
        published=_range(published) if published else None,
        target=target,
        protocol=str(item.get("protocol") or "tcp"),
    )
