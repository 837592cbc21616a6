"""Render the Copier template's files from answers, exactly as ``copier copy`` renders them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from envsync.answers import Answers
from envsync.jinja_ext import EnvsyncExtension

TEMPLATE_SUFFIX = ".jinja"


def template_dir() -> Path:
    """The template shipped inside the wheel, or the repository's own in a source checkout."""
    bundled = Path(__file__).with_name("template")
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[2] / "template"


@cache
def _environment() -> SandboxedEnvironment:
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
