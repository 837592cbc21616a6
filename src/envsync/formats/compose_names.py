"""The names of compose files: the ones compose finds by itself, and every name that is one."""

from __future__ import annotations

import re

# Compose's own search order in a project directory: the first found is the project's file.
DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
# The one file compose adds beside the default-named one without being told (the first found).
OVERRIDE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
# Any name a team gives a compose file (``docker-compose.local.yml``, ``compose-dev.yaml``).
COMPOSE_NAME = re.compile(r"(docker-)?compose([.-][^/]*)?\.ya?ml")
