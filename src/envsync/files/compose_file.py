"""docker-compose.yml: envsync owns the database service's image, ``POSTGRES_*`` environment,
the port mapping of container port 5432 and the healthcheck command; the rest is the user's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from envsync.drift import Finding
from envsync.errors import FormatError
from envsync.files import yaml_nodes
from envsync.files.compose_interpolation import InterpolationError, escape, interpolate

CONTAINER_PORT = "5432"
ENVIRONMENT_KEYS = ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")
SECRET_KEYS = frozenset({"POSTGRES_PASSWORD"})
_PORT_RANGE = re.compile(r"(?P<low>[0-9]+)(?:-(?P<high>[0-9]+))?")


def quote(value: str) -> str:
    """A YAML double-quoted scalar that both PyYAML and compose read back as ``value``.

    ``$`` is doubled first (compose interpolates every string); the double-quoted style is the
    only one that survives YAML 1.1 and 1.2 readers alike for every value (``yes``, ``0123``,
    a leading ``*``, ``: `` or `` #`` inside...).
    """
    return _double_quoted(escape(value))


def _double_quoted(source: str) -> str:
    """``source`` (compose text, interpolation and all) as a double-quoted YAML scalar."""
    dumped = yaml.dump(
        source,
        Dumper=yaml.SafeDumper,
        default_style='"',
        width=float("inf"),
        allow_unicode=True,
    )
    return dumped.rstrip("\n")


@dataclass(frozen=True)
class Slot:
    """One owned value: its meaning, where it is written, and where it would go if absent.

    ``section`` is the service-level key holding it (``environment``, ``ports``...);
    ``parent`` is that section's node when the section exists.
    """

    key: str
    section: str
    value: str | None
    node: yaml.Node | None = None
    key_node: yaml.Node | None = None
    parent: yaml.Node | None = None
    written: str = ""
    host_ip: str = ""


class ComposeView:
    """A compose file read with the rules compose applies, with positions kept for editing."""

    def __init__(
        self, text: str, *, path: Path | str, service: str, variables: Mapping[str, str]
    ) -> None:
        self.text = text
        self.path = path
        self.service = service
        self.variables = variables
        root = yaml_nodes.compose(text, path)
        if not isinstance(root, yaml.MappingNode):
            raise FormatError(path=path, message="must be a YAML mapping with a 'services' key")
        services = yaml_nodes.mapping_get(root, "services", path)
        if services is None or not isinstance(services[1], yaml.MappingNode):
            raise FormatError(path=path, message="has no 'services:' mapping")
        self.services: yaml.MappingNode = services[1]
        found = yaml_nodes.mapping_get(self.services, service, path)
        if found is not None and not isinstance(found[1], yaml.MappingNode):
            raise FormatError(
                path=path,
                line=yaml_nodes.line_of(found[1]),
                message=f"service {service!r} must be a mapping",
            )
        self.service_key: yaml.Node | None = found[0] if found else None
        self.service_node: yaml.MappingNode | None = found[1] if found else None  # type: ignore[assignment]

    def _name(self, *parts: str) -> str:
        return ".".join(("services", self.service, *parts))

    def _string(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise FormatError(
                path=self.path, line=yaml_nodes.line_of(node), message="expected a single value"
            )
        if node.tag.endswith(":null"):
            return ""
        try:
            return interpolate(node.value, self.variables)
        except InterpolationError as error:
            raise FormatError(
                path=self.path, line=yaml_nodes.line_of(node), message=str(error)
            ) from None

    def _child(self, parent: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        if not isinstance(parent, yaml.MappingNode):
            return None
        return yaml_nodes.mapping_get(parent, key, self.path)

    def _slot(self, key: str, section: str, value: str | None, **where: yaml.Node | None) -> Slot:
        node = where.get("node")
        written = self.text[node.start_mark.index : yaml_nodes.end(node)] if node else ""
        return Slot(key, section, value, written=written, **where)  # type: ignore[arg-type]

    def slots(self) -> list[Slot]:
        """Every owned value, in the order the template writes them."""
        service = self.service_node
        # container_name too: `docker inspect` and `docker compose exec` (doctor's fixes) name it.
        slots = [self._scalar_slot(key) for key in ("image", "container_name")]
        environment = self._child(service, "environment")
        slots += [self._environment_slot(environment, key) for key in ENVIRONMENT_KEYS]
        slots.append(self._port_slot(self._child(service, "ports")))
        healthcheck = self._child(service, "healthcheck")
        slots.append(self._test_slot(healthcheck[1] if healthcheck else None))
        return slots

    def _scalar_slot(self, key: str) -> Slot:
        pair = self._child(self.service_node, key)
        return self._slot(
            self._name(key),
            key,
            self._string(pair[1]) if pair else None,
            node=pair[1] if pair else None,
            key_node=pair[0] if pair else None,
        )

    def _environment_slot(self, pair: tuple[yaml.Node, yaml.Node] | None, key: str) -> Slot:
        name = self._name("environment", key)
        if pair is None:
            return self._slot(name, "environment", None)
        environment = pair[1]
        if isinstance(environment, yaml.MappingNode):
            entry = yaml_nodes.mapping_get(environment, key, self.path)
            if entry is None:
                return self._slot(name, "environment", None, parent=environment)
            return self._slot(
                name,
                "environment",
                self._string(entry[1]),
                node=entry[1],
                key_node=entry[0],
                parent=environment,
            )
        if isinstance(environment, yaml.SequenceNode):
            for item in environment.value:
                item_key, sep, value = self._string(item).partition("=")
                if item_key == key:
                    return self._slot(
                        name, "environment", value if sep else "", node=item, parent=environment
                    )
            return self._slot(name, "environment", None, parent=environment)
        raise FormatError(
            path=self.path,
            line=yaml_nodes.line_of(environment),
            message=f"{self._name('environment')} must be a mapping or a list",
        )

    def _port_slot(self, pair: tuple[yaml.Node, yaml.Node] | None) -> Slot:
        name = self._name("ports")
        if pair is None:
            return self._slot(name, "ports", None)
        if not isinstance(pair[1], yaml.SequenceNode):
            raise FormatError(
                path=self.path, line=yaml_nodes.line_of(pair[1]), message=f"{name} must be a list"
            )
        for item in pair[1].value:
            published = self._published(item)
            if published is not None:
                host_ip, host_port = published
                slot = self._slot(name, "ports", host_port, node=item, parent=pair[1])
                return replace(slot, host_ip=host_ip)
        return self._slot(name, "ports", None, parent=pair[1])

    def _fields(self, item: yaml.MappingNode) -> dict[str, str]:
        """A long-syntax ``ports`` item as compose reads it."""
        return {
            key.value: self._string(value)
            for key, value in item.value
            if isinstance(key, yaml.ScalarNode)
        }

    def _published(self, item: yaml.Node) -> tuple[str, str] | None:
        """(host address, host port) of the item publishing container port 5432.

        envsync owns the host port, which the URLs must name; the address the user may have
        bound it to (``127.0.0.1:``) is theirs, and keeping it keeps the database off the LAN.
        """
        if isinstance(item, yaml.MappingNode):
            fields = self._fields(item)
            if fields.get("target") != CONTAINER_PORT:
                return None
            return fields.get("host_ip", ""), fields.get("published", "")
        mapping = self._string(item).split("/", 1)[0]
        host, _, container = mapping.rpartition(":")
        if container != CONTAINER_PORT or not host:
            return None
        host_ip, _, host_port = host.rpartition(":")
        return host_ip, host_port

    def publishers(self, port: int) -> list[str]:
        """The other services publishing host ``port`` over TCP: compose could not start both."""
        found = []
        for key, node in self.services.value:
            if key.value == self.service or not isinstance(node, yaml.MappingNode):
                continue
            ports = self._child(node, "ports")
            if ports is None or not isinstance(ports[1], yaml.SequenceNode):
                continue
            for item in ports[1].value:
                published = self._host_ports(item)
                if published is not None and published[0] <= port <= published[1]:
                    found.append(key.value)
                    break
        return found

    def _host_ports(self, item: yaml.Node) -> tuple[int, int] | None:
        """The host port range a ``ports`` item binds over TCP; None for a random host port."""
        if isinstance(item, yaml.MappingNode):
            fields = self._fields(item)
            published, protocol = fields.get("published", ""), fields.get("protocol", "")
        else:
            mapping, _, protocol = self._string(item).partition("/")
            host, sep, _ = mapping.rpartition(":")
            # ``[host_ip:]published:target``: the published port follows the last ':' of the host.
            published = host.rpartition(":")[2] if sep else ""
        if protocol.lower() not in {"", "tcp"}:
            return None
        match = _PORT_RANGE.fullmatch(published)
        if match is None:
            return None
        return int(match["low"]), int(match["high"] or match["low"])

    def _test_slot(self, healthcheck: yaml.Node | None) -> Slot:
        name = self._name("healthcheck", "test")
        pair = self._child(healthcheck, "test")
        if pair is None:
            return self._slot(name, "healthcheck", None, parent=healthcheck)
        node = pair[1]
        if isinstance(node, yaml.SequenceNode):
            words = [self._string(item) for item in node.value]
        else:
            words = ["CMD-SHELL", self._string(node)]
        return self._slot(
            name,
            "healthcheck",
            " ".join(map(repr, words)),
            node=node,
            key_node=pair[0],
            parent=healthcheck,
        )


class _Editor:
    """Collects edits as (start, end, replacement) and applies them back to front."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.edits: list[tuple[int, int, str]] = []

    def replace(self, start: int, end: int, replacement: str) -> None:
        self.edits.append((start, end, replacement))

    def insert_lines(self, after: int, lines: list[str]) -> None:
        """Insert whole lines after the line holding index ``after``."""
        position = yaml_nodes.line_end(self.text, after)
        prefix = "" if self.text[position - 1 : position] == "\n" else self.newline
        self.edits.append((position, position, prefix + self.newline.join(lines) + self.newline))

    def result(self) -> str:
        text = self.text
        for start, end, replacement in sorted(self.edits, key=lambda e: e[0], reverse=True):
            text = text[:start] + replacement + text[end:]
        return text

    def append_to_mapping(
        self, mapping: yaml.Node, lines: list[str], lines_indent: int, path: Path | str
    ) -> None:
        if not yaml_nodes.is_block(mapping) or not mapping.value:
            raise FormatError(
                path=path,
                line=yaml_nodes.line_of(mapping),
                message="this mapping is empty or in flow style ({...}); "
                "write it as a block mapping so envsync can add its keys",
            )
        indent = mapping.value[0][0].start_mark.column
        self.insert_lines(
            yaml_nodes.end(mapping) - 1, yaml_nodes.reindent(lines, indent - lines_indent)
        )

    def append_to_sequence(self, sequence: yaml.Node, item_text: str, path: Path | str) -> None:
        if not yaml_nodes.is_block(sequence) or not sequence.value:
            raise FormatError(
                path=path,
                line=yaml_nodes.line_of(sequence),
                message="this list is empty or in flow style ([...]); "
                "write it as a block list so envsync can add to it",
            )
        dash = yaml_nodes.indent_of_line(self.text, sequence.value[0].start_mark.index)
        self.insert_lines(yaml_nodes.end(sequence) - 1, [" " * dash + "- " + item_text])


def sync(
    current: str | None,
    target: str,
    *,
    path: Path | str,
    service: str,
    variables: Mapping[str, str],
) -> tuple[str, list[Finding]]:
    """The file with what envsync owns taken from ``target``, and what differed."""
    if current is None:
        return target, [Finding(str(path), "file", "present", None)]
    # The target may read the password from .env too (secret_storage: local).
    wanted = ComposeView(target, path=path, service=service, variables=variables)
    view = ComposeView(current, path=path, service=service, variables=variables)
    editor = _Editor(current)
    if view.service_node is None:
        key, node = wanted.service_key, wanted.service_node
        assert key is not None and node is not None
        lines = yaml_nodes.block_lines(target, key, node)
        editor.append_to_mapping(view.services, lines, key.start_mark.column, path)
        return editor.result(), [Finding(str(path), f"services.{service}", "present", None)]
    findings: list[Finding] = []
    missing_sections: list[str] = []
    for slot, want in zip(view.slots(), wanted.slots(), strict=True):
        if slot.value == want.value:
            continue
        secret = slot.key.rsplit(".", 1)[-1] in SECRET_KEYS
        findings.append(Finding(str(path), slot.key, want.value, slot.value, secret))
        if slot.node is not None:
            editor.replace(
                slot.node.start_mark.index, yaml_nodes.end(slot.node), _spelling(slot, want)
            )
        elif slot.parent is None:
            if slot.section not in missing_sections:
                missing_sections.append(slot.section)
        elif isinstance(slot.parent, yaml.SequenceNode):
            editor.append_to_sequence(slot.parent, _spelling(slot, want), path)
        else:
            assert want.key_node is not None and want.node is not None
            lines = yaml_nodes.block_lines(target, want.key_node, want.node)
            editor.append_to_mapping(slot.parent, lines, want.key_node.start_mark.column, path)
    for section in missing_sections:
        found = wanted._child(wanted.service_node, section)
        assert found is not None
        lines = yaml_nodes.block_lines(target, *found)
        editor.append_to_mapping(view.service_node, lines, found[0].start_mark.column, path)
    return editor.result(), findings


def _spelling(slot: Slot, want: Slot) -> str:
    """How the wanted value is written where ``slot`` stands (list-form items differ)."""
    if slot.section == "environment" and slot.key_node is None:
        # The template's source text, not its value: a `${POSTGRES_PASSWORD:?...}` reference
        # (secret_storage: local) must stay a reference in the list item too.
        assert isinstance(want.node, yaml.ScalarNode)
        return _double_quoted(f"{slot.key.rsplit('.', 1)[-1]}={want.node.value}")
    if slot.section == "ports" and slot.host_ip:
        return quote(f"{slot.host_ip}:{want.value}:{CONTAINER_PORT}")
    return want.written
