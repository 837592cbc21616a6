"""Which template this envsync renders from: Copier's ``_src_path`` and ``_commit`` for it.

``copier update`` needs both in a project's answers file, and a user needs the commit to know
whether the command and the template agree (``envsync --version``, ``check --json``).

- From a source checkout (an editable install), the clone itself answers: its path, and
  ``git describe --tags --always`` as Copier records it.
- An installed wheel (``pip install ./envsync``) carries the template but not the clone's git:
  the build records both in ``template_source.json`` (``hatch_build.py``), and they are used
  while that clone still holds the template (a moved or deleted clone is no source).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
# Written into the wheel by hatch_build.py at build time; absent in a source checkout.
BUILD_RECORD = "template_source.json"
# What makes a directory the template Copier copies from.
COPIER_FILE = "copier.yml"


def described(root: Path) -> str | None:
    """``git describe --tags --always`` of ``root``, as Copier records ``_commit``; None when
    ``root`` is not a git repository (or git is missing)."""
    try:
        result = subprocess.run(
            ["git", "describe", "--tags", "--always"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def _recorded_at_build() -> dict[str, str] | None:
    try:
        record = json.loads((PACKAGE_DIR / BUILD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    source = {key: value for key, value in record.items() if isinstance(value, str)}
    return source if set(source) == {"_src_path", "_commit"} else None


def source() -> dict[str, str]:
    """``_src_path`` and ``_commit`` as ``copier copy`` would record them; only the keys known
    (a source tree without git has no commit; a wheel whose clone is gone has neither)."""
    built = _recorded_at_build()
    if built is not None:
        return built if (Path(built["_src_path"]) / COPIER_FILE).is_file() else {}
    root = PACKAGE_DIR.parents[1]
    if not (root / COPIER_FILE).is_file():
        return {}
    commit = described(root)
    return {"_src_path": str(root), **({"_commit": commit} if commit else {})}


def commit() -> str | None:
    """The template's commit, even when its clone is gone (the wheel remembers it)."""
    built = _recorded_at_build()
    return built["_commit"] if built is not None else source().get("_commit")
