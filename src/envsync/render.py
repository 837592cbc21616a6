"""Files created from the Copier template, exactly as ``copier copy`` renders them.

The template is used to create a file that is missing, and only then: every comparison is made
place by place, so a file written by another template version is never "edited by hand".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from envsync.answers import Answers

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_SUFFIX = ".jinja"
PACKAGE_DIR = Path(__file__).parent
# Copier's own files (the answers file) are written by Copier and `envsync set`, not rendered.
_COPIER_OWN = "{{ _copier_conf"


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


def _template_names() -> list[str]:
    root = template_dir()
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.jinja")
        if _COPIER_OWN not in path.as_posix()
    )


def render_path(template_name: str, answers: Answers) -> str:
    """The project-relative path a template file renders to (``{{ backend_dir }}/.env``...)."""
    name = template_name.removesuffix(TEMPLATE_SUFFIX)
    return _environment().from_string(name).render(answers.context())


def render_file(template_name: str, answers: Answers) -> str:
    return _environment().get_template(template_name).render(answers.context())


def template_for(path: str, answers: Answers) -> str | None:
    """The text the template gives the project file ``path``, or None when it has no such file."""
    for name in _template_names():
        rendered = render_path(name, answers)
        if rendered and rendered == path:
            return render_file(name, answers)
    return None
