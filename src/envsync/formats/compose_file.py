"""Compose files: every string is interpolated (``${VAR}`` from the shell, then the ``.env``
beside the file), ``environment`` may be a map or a list of ``KEY=value`` items, and a port place
is the host port published for a container port (``services.db.ports``: container port 5432).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import yaml

from envsync.errors import FormatError
from envsync.formats import Context, Reading, Target, compose_ports, yaml_nodes
from envsync.formats.compose_interpolation import (
    InterpolationError,
    escape,
    interpolate,
    references,
)
from envsync.formats.yaml_document import (
    Found,
    YamlDocument,
    double_quoted,
    join_locator,
    split_locator,
)

CONTAINER_PORT = "5432"
LOOPBACK = "127.0.0.1"
INTERPOLATION_FILE = ".env"


def quote(value: str) -> str:
    """A YAML double-quoted scalar that both PyYAML and compose read back as ``value``.

    ``$`` is doubled first (compose interpolates every string); the double-quoted style is the
    only one that survives YAML 1.1 and 1.2 readers alike for every value.
    """
    return double_quoted(escape(value))


def interpolation_file(compose_path: str) -> str:
    """The ``.env`` compose reads to interpolate ``compose_path`` (the project directory's)."""
    return (PurePosixPath(compose_path).parent / INTERPOLATION_FILE).as_posix()


def variables(context: Context) -> dict[str, str]:
    """What compose interpolates the file with: the shell's variables, then the ``.env``
    beside the file, read with compose's own parser."""
    from envsync.formats import compose_env_file

    path = interpolation_file(context.path)
    text = context.text_of(path)
    found: dict[str, str] = {}
    if text is not None:
        found = compose_env_file.values(text, environ=context.environ, path=path)
    found.update(context.environ)
    return found


def open_document(project_dir: Path, path: str) -> ComposeDocument | None:
    """The compose file ``path`` of the project as compose reads it, or None when missing."""
    import os

    from envsync import file_io

    def text_of(name: str) -> str | None:
        found = file_io.read(project_dir, name)
        return found.text if found else None

    text = text_of(path)
    if text is None:
        return None
    return ComposeDocument(text, Context(path, project_dir, os.environ, text_of))


class ComposeDocument(YamlDocument):
    list_environment = True

    def __init__(self, text: str, context: Context) -> None:
        super().__init__(text, context)
        if self.root is not None:
            services = yaml_nodes.mapping_get(self.root, "services", self.path)
            # A file may only include others (``include:``): its services are theirs.
            included = yaml_nodes.mapping_get(self.root, "include", self.path)
            if services is None and included is None:
                raise FormatError(path=self.path, message="has no 'services:' mapping")
            if services is not None and not isinstance(services[1], yaml.MappingNode):
                raise FormatError(path=self.path, message="has no 'services:' mapping")
        self.variables: Mapping[str, str] = variables(context)

    def string(self, node: yaml.Node) -> str | None:
        raw = super().string(node)
        if raw is None:
            return None
        try:
            return interpolate(raw, self.variables)
        except InterpolationError as error:
            raise FormatError(
                path=self.path, line=yaml_nodes.line_of(node), message=str(error)
            ) from None

    def escape(self, value: str) -> str:
        return escape(value)

    def references(self, source: str) -> tuple[str, ...]:
        return tuple(references(source))

    def definition(self, name: str) -> Target | None:
        return Target(interpolation_file(self.path), name)

    # -- environment entries without a value: compose passes the variable through ------------

    def read(self, locator: str) -> Reading:
        port = _port_locator(locator)
        if port is not None:
            return self._read_port(*port)
        segments = split_locator(locator)
        if segments[-1] == "test" and self._healthcheck_disabled(segments):
            return Reading(None, unused=True)
        found = self.find(locator)
        if found.node is None and len(segments) == 4 and segments[2] == "environment":
            from_file = self._from_env_file(segments[1], segments[3])
            if from_file is not None:
                return from_file
        if found.node is not None and self._passed_through(found, segments):
            # `KEY:` or `- KEY`: compose passes the shell's (or .env's) KEY, or nothing.
            name = split_locator(locator)[-1]
            return Reading(self.variables.get(name), f"${{{name}}}", yaml_nodes.line_of(found.node))
        return super().read(locator)

    def _healthcheck_disabled(self, segments: list[str]) -> bool:
        if len(segments) < 2 or segments[-2] != "healthcheck":
            return False
        healthcheck = self.find(join_locator(*segments[:-1])).node
        if not isinstance(healthcheck, yaml.MappingNode):
            return False
        disable = yaml_nodes.mapping_get(healthcheck, "disable", self.path)
        return disable is not None and disable[1].value.lower() == "true"

    def service_names(self) -> list[str]:
        services = yaml_nodes.mapping_get(self.root, "services", self.path) if self.root else None
        if services is None or not isinstance(services[1], yaml.MappingNode):
            return []
        return [key.value for key, _ in services[1].value if isinstance(key, yaml.ScalarNode)]

    def env_files(self, service: str) -> list[str]:
        """The service's ``env_file:`` paths, project-relative, in the order compose reads them."""
        node = self.find(join_locator("services", service, "env_file")).node
        items = node.value if isinstance(node, yaml.SequenceNode) else [node] if node else []
        base = PurePosixPath(self.path).parent
        paths = []
        for item in items:
            if isinstance(item, yaml.MappingNode):
                entry = yaml_nodes.mapping_get(item, "path", self.path)
                item = entry[1] if entry else None
            # Compose interpolates the path like every other string of the file.
            relative = self.string(item) if isinstance(item, yaml.ScalarNode) else None
            path = posixpath.normpath((base / relative).as_posix()) if relative else ""
            # A file outside the project (`../shared.env`) is not the project's to read or repair.
            if path and path != ".." and not path.startswith(("../", "/")):
                paths.append(path)
        return paths

    def _from_env_file(self, service: str, key: str) -> Reading | None:
        """A variable the container gets from an ``env_file:`` (the last file that sets it),
        read with compose's own parser."""
        from envsync.formats import compose_env_file

        for path in reversed(self.env_files(service)):
            text = self.context.text_of(path)
            if text is None:
                continue
            found = compose_env_file.values(text, environ=self.variables, path=path)
            if key in found:
                return Reading(found[key], None, None, defined_in=Target(path, key))
        return None

    def _passed_through(self, found: Found, segments: list[str]) -> bool:
        node = found.node
        if len(segments) < 2 or segments[-2] != "environment":
            return False
        if not isinstance(node, yaml.ScalarNode):
            return False
        if found.list_item:
            return "=" not in node.value
        return node.tag.endswith(":null") and isinstance(found.parent, yaml.MappingNode)

    def write(self, locator: str, source: str | tuple[str, ...]) -> str:
        port = _port_locator(locator)
        if port is not None:
            assert isinstance(source, str)
            return self._write_port(*port, source)
        found = self.find(locator)
        passed = found.node is not None and self._passed_through(found, split_locator(locator))
        if passed and found.list_item and found.node is not None:
            return self._replace(found.node, double_quoted(f"{found.node.value}={source}"))
        return super().write(locator, source)

    # -- ports -------------------------------------------------------------------------------

    def _port_item(self, service_path: str, target: str) -> tuple[Found, yaml.Node | None]:
        found = self.find(f"{service_path}.ports")
        if found.node is None:
            return found, None
        if not isinstance(found.node, yaml.SequenceNode):
            raise FormatError(
                path=self.path,
                line=yaml_nodes.line_of(found.node),
                message=f"{service_path}.ports must be a list",
            )
        for item in found.node.value:
            published = self._published(item, target)
            if published is not None:
                return found, item
        return found, None

    def _read_port(self, service_path: str, target: str) -> Reading:
        _, item = self._port_item(service_path, target)
        if item is None:
            return Reading(None)
        _host_ip, host_port = self._published(item, target) or ("", "")
        return Reading(host_port, host_port, yaml_nodes.line_of(item))

    def _fields(self, item: yaml.MappingNode) -> dict[str, str]:
        return {
            key.value: self.string(value) or ""
            for key, value in item.value
            if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)
        }

    def _mappings(self, item: yaml.Node) -> list[compose_ports.PortMapping]:
        """What one ``ports:`` item publishes, as compose reads it (none when it cannot)."""
        spelled: str | dict[str, str] = (
            self._fields(item) if isinstance(item, yaml.MappingNode) else self.string(item) or ""
        )
        try:
            return compose_ports.parse(spelled)
        except compose_ports.PortError:
            return []

    def _published(self, item: yaml.Node, target: str) -> tuple[str, str] | None:
        """(host address, host port) of ``item`` when it publishes container port ``target``
        over TCP (Postgres speaks nothing else); a one-port range counts as that port."""
        for mapping in self._mappings(item):
            published = mapping.published
            if mapping.target == int(target) and mapping.protocol.lower() == "tcp" and published:
                low, high = published
                return mapping.host_ip, str(low) if low == high else f"{low}-{high}"
        return None

    def _write_port(self, service_path: str, target: str, port: str) -> str:
        found, item = self._port_item(service_path, target)
        if item is None:
            # A port envsync adds is for this machine only: on all interfaces it would put the
            # development database on the network (places.md, rule 3).
            spelled = f"{LOOPBACK}:{port}:{target}"
            mapping = double_quoted(spelled)
            if found.node is None:
                return super().write(f"{service_path}.ports", (spelled,))
            assert isinstance(found.node, yaml.SequenceNode)
            return self._append_item(found.node, mapping)
        if isinstance(item, yaml.MappingNode):
            published = yaml_nodes.mapping_get(item, "published", self.path)
            if published is None:
                raise FormatError(
                    path=self.path,
                    line=yaml_nodes.line_of(item),
                    message="this port publishes no host port; add `published:` to it",
                )
            return self._replace(published[1], double_quoted(port))
        text = item.value
        mapping, slash, protocol = text.partition("/")
        host, _, container = mapping.rpartition(":")
        host_ip, colon, _ = host.rpartition(":")
        spelled = f"{host_ip}{colon}{port}:{container}{slash}{protocol}"
        return self._replace(item, double_quoted(spelled))

    def publishers(self, port: int, *, besides: str) -> list[str]:
        """The services other than ``besides`` that publish host ``port`` over TCP."""
        services = yaml_nodes.mapping_get(self.root, "services", self.path) if self.root else None
        found = []
        for key, node in services[1].value if services else []:
            if key.value == besides or not isinstance(node, yaml.MappingNode):
                continue
            ports = yaml_nodes.mapping_get(node, "ports", self.path)
            if ports is None or not isinstance(ports[1], yaml.SequenceNode):
                continue
            if any(self._binds(item, port) for item in ports[1].value):
                found.append(key.value)
        return found

    def _binds(self, item: yaml.Node, port: int) -> bool:
        return any(
            mapping.protocol.lower() == "tcp"
            and mapping.published is not None
            and mapping.published[0] <= port <= mapping.published[1]
            for mapping in self._mappings(item)
        )


def _port_locator(locator: str) -> tuple[str, str] | None:
    """``services.db.ports`` -> (``services.db``, ``5432``); ``...ports.8080`` names the target."""
    segments = split_locator(locator)
    if len(segments) >= 3 and segments[0] == "services":
        if segments[-1] == "ports":
            return join_locator(*segments[:-1]), CONTAINER_PORT
        if segments[-2] == "ports" and segments[-1].isdigit():
            return join_locator(*segments[:-2]), segments[-1]
    return None
