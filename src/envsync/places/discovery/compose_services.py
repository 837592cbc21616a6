"""A compose service as compose sees it: its variables (``environment:`` over ``env_file:``),
its single values, and what it inherits through ``extends:``; merge keys followed."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import PurePosixPath

import yaml

from envsync.formats.compose_file import ComposeDocument
from envsync.formats.dotenv_file import DotenvDocument
from envsync.formats.yaml_document import join_locator
from envsync.workspace import Workspace


def compose_document(workspace: Workspace, path: str) -> ComposeDocument:
    doc = workspace.document(path, "compose")
    assert isinstance(doc, ComposeDocument), path
    return doc


def directory_of(path: str) -> str:
    return PurePosixPath(path).parent.as_posix()


def services(doc: ComposeDocument) -> Iterator[tuple[str, yaml.MappingNode]]:
    node = doc.find("services").node
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.MappingNode):
            yield key.value, value


def scalar(doc: ComposeDocument, service: str, key: str) -> str | None:
    """A service's single value (``image``), merge keys followed; None when absent or not one."""
    return scalar_at(doc, join_locator("services", service, key))


def scalar_at(doc: ComposeDocument, locator: str) -> str | None:
    node = doc.find(locator).node
    return doc.string(node) if isinstance(node, yaml.ScalarNode) else None


def environment_keys(doc: ComposeDocument, service: str) -> list[str]:
    node = doc.find(join_locator("services", service, "environment")).node
    if isinstance(node, yaml.MappingNode):
        return doc.keys(node)
    if isinstance(node, yaml.SequenceNode):
        return [
            item.value.partition("=")[0] for item in node.value if isinstance(item, yaml.ScalarNode)
        ]
    return []


def env_files(doc: ComposeDocument, service: str) -> list[str]:
    """The service's ``env_file:`` paths inside the project (one outside is not ours)."""
    return [path for path in doc.env_files(service) if not path.startswith("../")]


def dotenv_keys(doc: object) -> list[str]:
    if not isinstance(doc, DotenvDocument):
        return []
    return list(dict.fromkeys(b.key for b in doc.bindings if b.key))


def service_environment(
    workspace: Workspace, doc: ComposeDocument, service: str
) -> dict[str, str | None]:
    """The service's variables (``environment:`` over ``env_file:``), as compose gives them."""
    found: dict[str, str | None] = {}
    for path in env_files(doc, service):
        document = workspace.document(path, "dotenv")
        for key in dotenv_keys(document):
            assert document is not None
            value = document.read(key).value
            found[key] = value if isinstance(value, str) else None
    for key in environment_keys(doc, service):
        value = doc.read(join_locator("services", service, "environment", key)).value
        found[key] = value if isinstance(value, str) else None
    return found


def service_chain(
    workspace: Workspace, doc: ComposeDocument, service: str
) -> list[tuple[ComposeDocument, str]]:
    """The service, then the services it ``extends:`` (in its file or another), nearest first:
    a key the service does not set comes from the first of them that does, as in compose."""
    chain = [(doc, service)]
    while True:
        doc, service = chain[-1]
        extends = join_locator("services", service, "extends")
        node = doc.find(extends).node
        if isinstance(node, yaml.ScalarNode):
            path, target = doc.path, doc.string(node)
        elif isinstance(node, yaml.MappingNode):
            named = scalar_at(doc, f"{extends}.file")
            path = doc.path if named is None else beside(doc.path, named)
            target = scalar_at(doc, f"{extends}.service")
        else:
            return chain
        base = None if path.startswith("../") else workspace.document(path, "compose")
        if target is None or not isinstance(base, ComposeDocument):
            return chain
        if any(d.path == path and s == target for d, s in chain):
            return chain  # compose refuses a circle; discovery stops at it
        chain.append((base, target))


def beside(compose_path: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(directory_of(compose_path), relative))


def resolved_environment(
    workspace: Workspace, doc: ComposeDocument, service: str
) -> dict[str, str | None]:
    """The service's variables with those it inherits through ``extends:``."""
    found: dict[str, str | None] = {}
    for base, name in reversed(service_chain(workspace, doc, service)):
        found.update(service_environment(workspace, base, name))
    return found


def resolved_scalar(
    workspace: Workspace, doc: ComposeDocument, service: str, key: str
) -> str | None:
    for base, name in service_chain(workspace, doc, service):
        value = scalar(base, name, key)
        if value is not None:
            return value
    return None
