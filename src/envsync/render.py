"""Render the Copier template's files from answers, exactly as ``copier copy`` renders them.

Renderings are remembered in the user's cache directory: ``envsync check`` runs on every commit,
and importing Jinja and compiling the templates cost more than the rest of a check together.
The cache key covers everything a rendering depends on (the answers, the template files, and the
installed envsync code), so a stale entry is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from envsync.answers import Answers
from envsync.errors import EnvsyncError
from envsync.local_secret import LOCAL

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_SUFFIX = ".jinja"
PACKAGE_DIR = Path(__file__).parent


def template_dir() -> Path:
    """The template shipped inside the wheel, or the repository's own in a source checkout."""
    bundled = PACKAGE_DIR / "template"
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parents[1] / "template"


@cache
def _environment() -> SandboxedEnvironment:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from envsync.jinja_ext import EnvsyncExtension

    # The same settings as copier.yml's _envops, in Copier's sandboxed environment.
    return SandboxedEnvironment(
        loader=FileSystemLoader(template_dir()),
        extensions=[EnvsyncExtension],
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )


def render_path(template_name: str, answers: Answers) -> str:
    """The project-relative path a template file renders to (``{{ backend_dir }}/.env``...)."""
    name = template_name.removesuffix(TEMPLATE_SUFFIX)
    return _environment().from_string(name).render(answers.context())


def render_file(template_name: str, answers: Answers) -> str:
    return _environment().get_template(template_name).render(answers.context())


def render_all(
    project_dir: Path, answers: Answers, template_names: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """{template name: (rendered path, rendered text)}, from the cache when it is current.

    With ``secret_storage: local`` the user keeps the password in the project's git-ignored
    files only, so no copy of it goes to the cache: such a project is rendered every time.
    """
    if answers.secret_storage == LOCAL:
        return _rendered(answers, template_names)
    key = _cache_key(answers, template_names)
    cache_file = _cache_file(project_dir)
    try:
        entry = json.loads(cache_file.read_text(encoding="utf-8"))
        if entry["key"] == key:
            return {name: (path, text) for name, (path, text) in entry["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    files = _rendered(answers, template_names)
    _store(cache_file, key, files)
    return files


def _rendered(answers: Answers, template_names: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    return {
        name: (render_path(name, answers), render_file(name, answers)) for name in template_names
    }


def _cache_key(answers: Answers, template_names: tuple[str, ...]) -> str:
    digest = hashlib.sha256(json.dumps(answers.context(), sort_keys=True).encode())
    root = template_dir()
    for name in template_names:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    for module in sorted(PACKAGE_DIR.rglob("*.py")):
        status = module.stat()
        digest.update(f"{module}:{status.st_mtime_ns}:{status.st_size}\0".encode())
    return digest.hexdigest()


def _cache_file(project_dir: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    project = hashlib.sha256(str(project_dir.resolve()).encode()).hexdigest()[:32]
    return Path(base) / "envsync" / f"render-{project}.json"


def _store(cache_file: Path, key: str, files: dict[str, tuple[str, str]]) -> None:
    """Best effort: a cache that cannot be written only makes the next run slower.

    The renderings hold the development password, so the cache is private to its owner.
    """
    from envsync import file_io

    try:
        cache_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps({"key": key, "files": files})
        file_io.write(cache_file, text, bom=False, new_mode=0o600, shown=str(cache_file))
    except (OSError, EnvsyncError):
        pass
