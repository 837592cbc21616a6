"""A YAML file addressed by dotted paths (``services.db.environment.POSTGRES_USER``), edited in
place: one scalar's text is replaced, or a few lines are inserted, and every other byte stays.

Compose files and GitHub Actions workflows are both this, with their own reading of a string
(compose interpolates ``${VAR}``; a workflow does not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from envsync.errors import FormatError
from envsync.formats import Context, Reading, Unreferenced, yaml_nodes

_SEGMENT = re.compile(r'"(?P<quoted>[^"]*)"|(?P<plain>[^."]+)')
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# An anchor or a tag written before a scalar belongs to the document's structure, not the value.
_PROPERTIES = re.compile(r"(?:[&!][^\s]*\s+)+")
_MERGE_TAG = "tag:yaml.org,2002:merge"


def split_locator(locator: str) -> list[str]:
    """``services."my.db".ports`` -> ``["services", "my.db", "ports"]``."""
    if locator.endswith("."):
        raise ValueError(f"cannot read the locator {locator!r}: it ends with '.'")
    segments = []
    position = 0
    while position < len(locator):
        match = _SEGMENT.match(locator, position)
        if match is None:
            raise ValueError(f"cannot read the locator {locator!r}")
        segments.append(match["quoted"] if match["quoted"] is not None else match["plain"])
        position = match.end()
        if position < len(locator):
            if locator[position] != ".":
                raise ValueError(f"cannot read the locator {locator!r}")
            position += 1
    return segments


def join_locator(*segments: str) -> str:
    """``"services", "my.db", "ports"`` -> ``services."my.db".ports``."""
    return ".".join(f'"{segment}"' if "." in segment else segment for segment in segments)


def double_quoted(source: str) -> str:
    """``source`` as a double-quoted YAML scalar, the one style every YAML reader agrees on."""
    dumped = yaml.dump(
        source, Dumper=yaml.SafeDumper, default_style='"', width=float("inf"), allow_unicode=True
    )
    return dumped.rstrip("\n")


@dataclass(frozen=True)
class Found:
    """Where a path led: the nodes it passed and the segments it could not follow."""

    parent: yaml.Node | None
    node: yaml.Node | None
    missing: list[str]
    list_item: bool = False


class YamlDocument(Unreferenced):
    # compose's `environment:` may be a list of `KEY=value` items.
    list_environment = False

    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.context = context
        self.path = context.path
        root = yaml_nodes.compose(text, context.path)
        if root is not None and not isinstance(root, yaml.MappingNode):
            raise FormatError(path=self.path, message="must be a YAML mapping")
        self.root: yaml.MappingNode | None = root

    # -- reading ---------------------------------------------------------------------------

    def string(self, node: yaml.Node) -> str | None:
        """A scalar as the consumer reads it (None: YAML null)."""
        if not isinstance(node, yaml.ScalarNode):
            raise FormatError(
                path=self.path, line=yaml_nodes.line_of(node), message="expected a single value"
            )
        return None if node.tag.endswith(":null") else node.value

    def escape(self, value: str) -> str:
        return value

    def _child(self, node: yaml.Node | None, segment: str) -> tuple[yaml.Node, bool] | None:
        if isinstance(node, yaml.MappingNode):
            pair = yaml_nodes.mapping_get(node, segment, self.path)
            if pair is not None:
                return pair[1], False
            # `<<: *common`: compose sees the merged keys too.
            for key, value in node.value:
                if key.tag == _MERGE_TAG or (
                    isinstance(key, yaml.ScalarNode) and key.value == "<<"
                ):
                    merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
                    for source in merged:
                        found = self._child(source, segment)
                        if found is not None:
                            return found
            return None
        if isinstance(node, yaml.SequenceNode):
            if segment.isdigit():
                index = int(segment)
                return (node.value[index], False) if index < len(node.value) else None
            if self.list_environment:
                # Compose keeps the last of a repeated key, and so does the reading.
                for item in reversed(node.value):
                    text = self.string(item) if isinstance(item, yaml.ScalarNode) else None
                    if text is not None and text.partition("=")[0] == segment:
                        return item, True
        return None

    def keys(self, node: yaml.MappingNode) -> list[str]:
        """A mapping's keys as its reader sees them: its own, then those merged in (``<<``)."""
        own = []
        merged: list[str] = []
        for key, value in node.value:
            if key.tag == _MERGE_TAG or (isinstance(key, yaml.ScalarNode) and key.value == "<<"):
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if isinstance(source, yaml.MappingNode):
                        merged += self.keys(source)
            elif isinstance(key, yaml.ScalarNode):
                own.append(key.value)
        return list(dict.fromkeys([*own, *merged]))

    def find(self, locator: str) -> Found:
        try:
            segments = split_locator(locator)
        except ValueError as error:
            raise FormatError(path=self.path, message=str(error)) from None
        parent: yaml.Node | None = None
        node: yaml.Node | None = self.root
        list_item = False
        for index, segment in enumerate(segments):
            child = self._child(node, segment)
            if child is None:
                return Found(node, None, segments[index:])
            parent, (node, list_item) = node, child
        return Found(parent, node, [], list_item)

    def read(self, locator: str) -> Reading:
        found = self.find(locator)
        if found.node is None:
            return Reading(None)
        line = yaml_nodes.line_of(found.node)
        if isinstance(found.node, yaml.SequenceNode):
            items = [self.string(item) or "" for item in found.node.value]
            raw = tuple(item.value for item in found.node.value)
            return Reading(tuple(items), raw, line)
        if found.list_item:
            text = self.string(found.node) or ""
            _, sep, item = text.partition("=")
            source = found.node.value.partition("=")[2]
            return Reading(item if sep else None, source if sep else None, line)
        value = self.string(found.node)
        return Reading(value, found.node.value if value is not None else None, line)

    # -- writing ---------------------------------------------------------------------------

    def write(self, locator: str, source: str | tuple[str, ...]) -> str:
        found = self.find(locator)
        if found.node is None:
            return self._insert(found, source)
        if isinstance(source, tuple):
            return self._write_list(found.node, source)
        if found.list_item:
            key = found.node.value.partition("=")[0]
            return self._replace(found.node, double_quoted(f"{key}={source}"))
        return self._replace(found.node, double_quoted(source))

    def _replace(self, node: yaml.Node, replacement: str) -> str:
        start, end = node.start_mark.index, yaml_nodes.end(node)
        written = self.text[start:end]
        properties = _PROPERTIES.match(written)
        prefix = properties.group(0) if properties else ""
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            # A block scalar's text runs to the next line break and beyond: keep the breaks.
            body = written.rstrip()
            tail = written[len(body) :]
            return self.text[:start] + prefix + replacement + tail + self.text[end:]
        if start == end and self.text[start - 1 : start] == ":":
            prefix = " "  # `KEY:` with no value: YAML needs the space after the colon
        return self.text[:start] + prefix + replacement + self.text[end:]

    def _write_list(self, node: yaml.Node, source: tuple[str, ...]) -> str:
        if not isinstance(node, yaml.SequenceNode):
            return self._replace(node, self._flow_list(source))
        if len(node.value) != len(source):
            return self._replace(node, self._flow_list(source))
        edits = [
            (item, double_quoted(wanted))
            for item, wanted in zip(node.value, source, strict=True)
            if item.value != wanted
        ]
        text = self.text
        for item, replacement in sorted(edits, key=lambda e: e[0].start_mark.index, reverse=True):
            start, end = item.start_mark.index, yaml_nodes.end(item)
            text = text[:start] + replacement + text[end:]
        return text

    @staticmethod
    def _flow_list(source: tuple[str, ...]) -> str:
        return "[" + ", ".join(double_quoted(item) for item in source) + "]"

    def _insert(self, found: Found, source: str | tuple[str, ...]) -> str:
        container, missing = found.parent, found.missing
        if (
            self.list_environment
            and isinstance(container, yaml.SequenceNode)
            and len(missing) == 1
            and isinstance(source, str)
        ):
            return self._append_item(container, double_quoted(f"{missing[0]}={source}"))
        if container is None and self.root is None:
            return self.text + "\n".join(self._lines(missing, source, 0, 2)) + "\n"
        if not isinstance(container, yaml.MappingNode):
            raise FormatError(
                path=self.path,
                line=yaml_nodes.line_of(container) if container is not None else None,
                message=f"cannot add {'.'.join(missing)} here: the parent is not a mapping",
            )
        return self._append_to_mapping(container, missing, source)

    def _append_to_mapping(
        self, mapping: yaml.MappingNode, missing: list[str], source: str | tuple[str, ...]
    ) -> str:
        if not yaml_nodes.is_block(mapping) or not mapping.value:
            raise FormatError(
                path=self.path,
                line=yaml_nodes.line_of(mapping),
                message=f"cannot add {'.'.join(missing)}: the mapping is empty or in flow style "
                "({...}); write it as a block mapping",
            )
        indent = mapping.value[0][0].start_mark.column
        lines = self._lines(missing, source, indent, self._indent_step())
        return self._insert_lines(yaml_nodes.end(mapping) - 1, lines)

    def _append_item(self, sequence: yaml.SequenceNode, item: str) -> str:
        if not yaml_nodes.is_block(sequence) or not sequence.value:
            raise FormatError(
                path=self.path,
                line=yaml_nodes.line_of(sequence),
                message="cannot add to this list: it is empty or in flow style ([...]); "
                "write it as a block list",
            )
        dash = yaml_nodes.indent_of_line(self.text, sequence.value[0].start_mark.index)
        return self._insert_lines(yaml_nodes.end(sequence) - 1, [" " * dash + "- " + item])

    def _indent_step(self) -> int:
        """The indentation the file already uses for one level (2 unless it says otherwise)."""
        if self.root is not None:
            for _, value in self.root.value:
                if (
                    isinstance(value, yaml.MappingNode)
                    and value.value
                    and yaml_nodes.is_block(value)
                ):
                    step: int = value.value[0][0].start_mark.column
                    if step > 0:
                        return step
        return 2

    @staticmethod
    def _key(segment: str) -> str:
        return segment if _PLAIN_KEY.fullmatch(segment) else double_quoted(segment)

    def _lines(
        self, missing: list[str], source: str | tuple[str, ...], indent: int, step: int
    ) -> list[str]:
        lines = []
        for depth, segment in enumerate(missing[:-1]):
            lines.append(" " * (indent + depth * step) + self._key(segment) + ":")
        value = self._flow_list(source) if isinstance(source, tuple) else double_quoted(source)
        depth = len(missing) - 1
        lines.append(" " * (indent + depth * step) + f"{self._key(missing[-1])}: {value}")
        return lines

    def _insert_lines(self, after: int, lines: list[str]) -> str:
        newline = "\r\n" if "\r\n" in self.text else "\n"
        position = yaml_nodes.line_end(self.text, after)
        prefix = "" if self.text[position - 1 : position] in ("\n", "") else newline
        inserted = prefix + newline.join(lines) + newline
        return self.text[:position] + inserted + self.text[position:]
