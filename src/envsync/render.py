"""Render the Copier template's files from answers, exactly as ``copier copy`` renders them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from envsync.answers import Answers

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


def render_all(answers: Answers, template_names: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """{template name: (rendered path, rendered text)}.

    Nothing is cached: a rendering holds the password, and a copy outside the project would
    outlive its rotation, a switch to ``secret_storage: local`` and the project itself.
    """
    return {
        name: (render_path(name, answers), render_file(name, answers)) for name in template_names
    }
