"""Positions of YAML nodes in their text, so that one value can be replaced in place.

PyYAML's composer keeps a start and end mark on every node; envsync edits the text between them and
leaves every other byte (comments, quoting, order, blank lines) as the user wrote it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from envsync.errors import FormatError


def compose(text: str, path: Path | str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "cannot be parsed"
        raise FormatError(
            path=path,
            line=mark.line + 1 if mark is not None else None,
            message=f"is not valid YAML: {problem}",
        ) from None


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def mapping_get(
    node: yaml.MappingNode, key: str, path: Path | str
) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) pair named ``key``; compose refuses duplicate keys, and so do we."""
    found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    if len(found) > 1:
        raise FormatError(path=path, line=line_of(found[1][0]), message=f"duplicate key {key!r}")
    return found[0] if found else None


def end(node: yaml.Node) -> int:
    """Where the node's own text ends.

    A block collection's end mark sits at the next token, possibly lines below, past comments
    that belong to the user; its last child's end is where its text really stops.
    """
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    if isinstance(node, yaml.MappingNode):
        return end(node.value[-1][1]) if node.value else node.end_mark.index
    return end(node.value[-1]) if node.value else node.end_mark.index


def is_block(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def line_end(text: str, index: int) -> int:
    """Index just past the newline that ends the line holding ``index`` (or the text's end)."""
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1


def indent_of_line(text: str, index: int) -> int:
    start = line_start(text, index)
    line = text[start : line_end(text, index)]
    return len(line) - len(line.lstrip(" "))
