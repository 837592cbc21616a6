"""Build hook: a wheel remembers the clone it was built from, so that ``envsync adopt`` can give
``copier update`` the template's ``_src_path`` and ``_commit`` (src/envsync/template_source.py).

An editable install reads the clone itself and needs no record; a build outside a git clone
(from an sdist) records nothing.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

RECORD = "envsync/template_source.json"


class TemplateSourceHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root).resolve()
        described = subprocess.run(
            ["git", "describe", "--tags", "--always"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if described.returncode != 0 or not described.stdout.strip():
            return
        record = {"_src_path": str(root), "_commit": described.stdout.strip()}
        self._directory = tempfile.TemporaryDirectory()
        path = Path(self._directory.name) / "template_source.json"
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        build_data["force_include"][str(path)] = RECORD

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        directory = getattr(self, "_directory", None)
        if directory is not None:
            directory.cleanup()
