"""Compose secrets: ``POSTGRES_PASSWORD_FILE=/run/secrets/pg_pw`` with a service's ``secrets:``
and the top-level ``secrets: pg_pw: {file: ./secrets/pg_pw.txt}`` (or ``{environment: PG_PW}``),
the official image's way to keep the password out of the environment. The place is the file's
whole content, or the variable."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import yaml

from envsync.formats.compose_file import ComposeDocument
from envsync.formats.yaml_document import join_locator
from envsync.places.discovery.compose_services import beside, compose_document, scalar_at
from envsync.workspace import Workspace

# Where compose mounts a secret whose target is a bare name.
MOUNTS = "/run/secrets"


@dataclass(frozen=True)
class Secret:
    name: str
    file: str | None = None  # project-relative, for ``file:``
    variable: str | None = None  # for ``environment:``


def mounted_at(
    workspace: Workspace,
    project: tuple[str, ...],
    service_doc: ComposeDocument,
    service: str,
    container_path: str,
) -> Secret | None:
    """The secret of ``service`` that compose mounts at ``container_path``, as the project
    defines it; None when none is (compose would refuse the project, or the path is the image's)."""
    node = service_doc.find(join_locator("services", service, "secrets")).node
    if not isinstance(node, yaml.SequenceNode):
        return None
    for item in node.value:
        if isinstance(item, yaml.ScalarNode):
            source = target = service_doc.string(item)
        elif isinstance(item, yaml.MappingNode):
            source_node, target_node = _get(item, "source"), _get(item, "target")
            source = service_doc.string(source_node) if source_node else None
            target = service_doc.string(target_node) if target_node else source
        else:
            continue
        if source and target and posixpath.join(MOUNTS, target) == container_path:
            return _defined(workspace, project, source)
    return None


def _get(node: yaml.MappingNode, key: str) -> yaml.ScalarNode | None:
    found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[0] if found and isinstance(found[0], yaml.ScalarNode) else None


def _defined(workspace: Workspace, project: tuple[str, ...], name: str) -> Secret | None:
    for path in project:
        doc = compose_document(workspace, path)
        where = join_locator("secrets", name)
        file = scalar_at(doc, f"{where}.file")
        if file is not None:
            located = beside(path, file)
            return None if located.startswith("../") else Secret(name, file=located)
        variable = scalar_at(doc, f"{where}.environment")
        if variable is not None:
            return Secret(name, variable=variable)
    return None
