"""The Jinja extension shared by ``copier copy`` and ``envsync render``.

Copier loads it through ``_jinja_extensions`` in copier.yml; envsync's renderer loads the same
class, so both spell every credential with the same quoting functions.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension

from envsync import answers, database_url, facts
from envsync.formats import compose_file, dotenv_file, ini_file
from envsync.formats.yaml_document import double_quoted


def _url(driver: str, user: str, password: str | None, host: str, port: int, database: str) -> str:
    return database_url.build(
        driver=driver, user=user, password=password, host=host, port=int(port), database=database
    )


def _dotenv_quote(value: str, key: str) -> str:
    return dotenv_file.quote(value, key=key, path=".env")


def _local_password(project_dir: str, backend_dir: str) -> str:
    """copier.yml's default password with secret_storage: local: the one the project keeps in
    its git-ignored files (``copier update``, ``recopy``), else a new random one."""
    return facts.kept_password(Path(project_dir), backend_dir) or answers.random_password()


def _problem(value: object, key: str) -> str:
    """Copier's validator: an empty string accepts the answer; text refuses it with a reason."""
    reason = answers.problem(key, value)
    return f"{key} {reason}" if reason else ""


def _slug(value: str, separator: str = "_") -> str:
    """A default name derived from the project name: lower case letters, digits, separators."""
    cleaned = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in value.lower())
    return separator.join(cleaned.split()) or "app"


class EnvsyncExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["compose_quote"] = compose_file.quote
        environment.filters["ini_quote"] = ini_file.quote
        environment.filters["yaml_quote"] = double_quoted
        environment.filters["dotenv_quote"] = _dotenv_quote
        environment.filters["envsync_problem"] = _problem
        environment.filters["slug"] = _slug
        environment.globals["database_url"] = _url
        environment.globals["random_password"] = answers.random_password
        environment.globals["local_password"] = _local_password
