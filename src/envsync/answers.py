"""The single source: the Copier answers, validated once, and the values derived from them.

Copier writes ``.copier-answers.yml``; ``envsync render`` reads it back. The validators here also
run inside ``copier copy`` (through the Jinja extension), so both entry points refuse
the same values. Answers are read without looking at any other project file: the password that
``secret_storage: local`` keeps out of them is found when facts are built (``facts.py``).

envsync validates the questions it owns; a question another template version added is carried
as it is (``Answers.extra``), so a template may grow questions without breaking envsync.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from envsync import file_io
from envsync.errors import AnswersError, EnvsyncError

ANSWERS_FILE = ".copier-answers.yml"

SecretStorage = Literal["answers", "local"]
STORAGES: tuple[SecretStorage, ...] = ("answers", "local")
# The database password is in no file git tracks: the project's git-ignored files keep it.
LOCAL: SecretStorage = "local"

APP_DRIVERS = ("asyncpg", "psycopg", "psycopg2", "pg8000")
# Alembic runs synchronously: an async-only driver cannot migrate.
MIGRATIONS_DRIVERS = ("psycopg", "psycopg2", "pg8000")

# PostgreSQL truncates identifiers at NAMEDATALEN - 1 bytes, so a longer name silently becomes
# another name in the database than in the files.
MAX_IDENTIFIER_BYTES = 63

_SERVICE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_RELATIVE_DIR = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")

# PostgreSQL 16's initdb rejects these in the bootstrap superuser's name ("invalid character").
INITDB_REFUSED = "\"$'\\"

PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 32


def random_password() -> str:
    """A password for a new project: 32 characters from ``secrets`` (about 190 bits)."""
    import secrets  # only Copier's default needs it; `envsync check` should not pay for it

    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _text_problem(value: object) -> str | None:
    if not isinstance(value, str):
        # A hand-edited answers file: YAML reads an unquoted yes, 0123, ~ or 1e3 as another type.
        # Not echoed: an unquoted password of digits is read as a number.
        return f"must be text, not {type(value).__name__}: put the value in quotes"
    if value == "":
        return "must not be empty"
    if "\x00" in value:
        return "must not contain a NUL character"
    if "\n" in value or "\r" in value:
        return "must not contain a line break (initdb and .env files keep only the first line)"
    bad = next((ch for ch in value if not ch.isprintable()), None)
    if bad is not None:
        # Tabs, NEL, U+2028 and the like: some readers split lines at them or strip them.
        return f"must not contain the non-printable character U+{ord(bad):04X}"
    return None


def _identifier_problem(value: object) -> str | None:
    problem = _text_problem(value)
    if problem:
        return problem
    assert isinstance(value, str)
    size = len(value.encode())
    if size > MAX_IDENTIFIER_BYTES:
        return f"is {size} bytes long; PostgreSQL truncates names to {MAX_IDENTIFIER_BYTES} bytes"
    return None


def _user_problem(value: object) -> str | None:
    problem = _identifier_problem(value)
    if problem:
        return problem
    assert isinstance(value, str)
    if value.lower().startswith("pg_"):
        return "must not start with 'pg_' (PostgreSQL reserves those role names)"
    refused = sorted(set(value) & set(INITDB_REFUSED))
    if refused:
        return (
            f"must not contain {' '.join(refused)}: the postgres image's initdb refuses a "
            "superuser name with them"
        )
    return None


def _pattern_problem(pattern: re.Pattern[str], what: str) -> Callable[[object], str | None]:
    def problem(value: object) -> str | None:
        text_problem = _text_problem(value)
        if text_problem:
            return text_problem
        assert isinstance(value, str)
        return None if pattern.fullmatch(value) else f"must be {what}"

    return problem


def _host_problem(value: object) -> str | None:
    problem = _text_problem(value)
    if problem:
        return problem
    assert isinstance(value, str)
    import ipaddress  # rarely needed; kept off the import path of `envsync check`

    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOST_NAME.fullmatch(value):
            return "must be a host name or an IP address (letters, digits, '.', '-')"
        if all(label.isdigit() for label in value.split(".")):
            # No host name is all digits; libc would read `1.2.3` or `999.1.1.1` as some
            # other address, or fail to connect with a confusing message.
            return "looks like an IPv4 address but is not one (four numbers from 0 to 255)"
    return None


def _port_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number"
    if not 1 <= value <= 65535:
        return f"must be between 1 and 65535 (got {value})"
    return None


def _choice_problem(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    def problem(value: object) -> str | None:
        if value in choices:
            return None
        return f"must be one of {', '.join(choices)} (got {value!r})"

    return problem


def _bool_problem(value: object) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _image_problem(value: object) -> str | None:
    problem = _text_problem(value)
    if problem:
        return problem
    assert isinstance(value, str)
    return "must not contain spaces" if any(ch.isspace() for ch in value) else None


def _backend_dir_problem(value: object) -> str | None:
    problem = _pattern_problem(_RELATIVE_DIR, "a relative directory such as 'backend'")(value)
    if problem:
        return problem
    assert isinstance(value, str)
    if any(part in {".", ".."} for part in value.split("/")):
        return "must stay inside the project (no '.' or '..' parts)"
    return None


@dataclass(frozen=True)
class Answers:
    """Every variable of a project, validated. Field order is the questionnaire's order."""

    project_name: str
    db_service: str
    db_container: str
    db_image: str
    db_user: str
    secret_storage: SecretStorage
    db_password: str
    db_name: str
    db_host: str
    db_port: int
    backend_dir: str
    app_driver: str
    migrations_driver: str
    use_pgvector: bool
    # Questions of the template that envsync does not own, carried as the answers file has them.
    extra: Mapping[str, object] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        """The Jinja context: what Copier passes to the templates, no more."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {**self.extra, **own}


_PROBLEMS: dict[str, Callable[[object], str | None]] = {
    "project_name": _text_problem,
    "db_service": _pattern_problem(
        _SERVICE_NAME, "a compose service name (letters, digits, '_', '.', '-')"
    ),
    "db_container": _pattern_problem(
        _CONTAINER_NAME, "a container name of 2+ characters (letters, digits, '_', '.', '-')"
    ),
    "db_image": _image_problem,
    "db_user": _user_problem,
    "db_password": _text_problem,
    "db_name": _identifier_problem,
    "db_host": _host_problem,
    "db_port": _port_problem,
    "backend_dir": _backend_dir_problem,
    "app_driver": _choice_problem(APP_DRIVERS),
    "migrations_driver": _choice_problem(MIGRATIONS_DRIVERS),
    "use_pgvector": _bool_problem,
    "secret_storage": _choice_problem(STORAGES),
}

# Answers a project may omit; copier.yml asks the same defaults (a test holds them equal).
DEFAULTS: Mapping[str, object] = {
    "db_service": "db",
    "db_image": "pgvector/pgvector:pg16",
    "db_host": "127.0.0.1",
    "db_port": 5432,
    "backend_dir": "backend",
    "app_driver": "asyncpg",
    "migrations_driver": "psycopg",
    "use_pgvector": True,
    "secret_storage": "answers",
}

ANSWER_KEYS = tuple(f.name for f in fields(Answers) if f.name != "extra")


def problem(key: str, value: object, *, questions: Iterable[str] = ()) -> str | None:
    """Why ``value`` cannot be the answer ``key``, or None when it can. ``questions``: the
    template's questions envsync does not own (any text answers them)."""
    check = _PROBLEMS.get(key)
    if check is not None:
        return check(value)
    if key in questions:
        return None
    return f"is not a question of this template (known: {', '.join(ANSWER_KEYS)})"


def typed_problem(key: str, text: str) -> str | None:
    """Why ``text``, typed as on the command line (``db_port`` a number), cannot be ``key``."""
    return problem(key, parse_assignment(f"{key}={text}")[1])


def template_questions(template_root: Path) -> tuple[str, ...]:
    """The questions copier.yml at ``template_root`` asks (none when there is no copier.yml)."""
    try:
        text = (template_root / "copier.yml").read_text(encoding="utf-8")
    except OSError:
        return ()
    data = yaml.load(text, Loader=yaml.CSafeLoader)
    if not isinstance(data, dict):
        return ()
    return tuple(str(key) for key in data if not str(key).startswith("_"))


def from_mapping(data: Mapping[str, object], *, path: Path | str) -> Answers:
    """Validate raw answers: envsync's own questions are checked, the template's others carried;
    Copier's own keys (``_src_path``, ``_commit``...) are left out."""
    values: dict[str, Any] = {}
    extra: dict[str, object] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise AnswersError(path=path, key=str(key), message="answer names must be text")
        if key.startswith("_"):
            continue
        if key not in _PROBLEMS:
            extra[key] = value
            continue
        reason = problem(key, value)
        if reason:
            raise AnswersError(path=path, key=key, message=reason)
        values[key] = value
    for key in ANSWER_KEYS:
        if key not in values:
            if key not in DEFAULTS:
                raise AnswersError(path=path, key=key, message="is missing")
            values[key] = DEFAULTS[key]
    return Answers(**values, extra=extra)


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


class _UniqueKeys(yaml.CSafeLoader):
    """YAML's last-one-wins for a repeated key would hide an answer: refuse it instead."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_raw(path: Path) -> dict[str, Any]:
    """The answers file as a mapping, Copier's keys included."""
    found = file_io.read(path.parent, path.name)
    if found is None:
        raise AnswersError(
            path=path,
            message="not found; run envsync in a project made by `copier copy`, or `envsync adopt`",
        )
    text = found.text
    try:
        data = yaml.load(text, Loader=_UniqueKeys)
    except _DuplicateKey as duplicate:
        raise AnswersError(
            path=path,
            key=duplicate.key,
            message=f"is given twice (line {duplicate.line}); keep one",
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise AnswersError(path=path, message=f"is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise AnswersError(path=path, message="must be a YAML mapping of answers")
    return data


def read(project_dir: Path) -> dict[str, Any]:
    """The project's answers file, Copier's keys included; with ``secret_storage: local`` it
    must not hold the password."""
    raw = read_raw(project_dir / ANSWERS_FILE)
    if raw.get("secret_storage") == LOCAL and "db_password" in raw:
        raise AnswersError(
            path=ANSWERS_FILE,
            key="db_password",
            message="must not be here with secret_storage: local (git tracks this file); "
            "move it to .env as POSTGRES_PASSWORD",
        )
    return raw


def parse_assignment(assignment: str) -> tuple[str, object]:
    """``KEY=VALUE`` from the command line, the value typed as the question's type."""
    key, sep, text = assignment.partition("=")
    if not sep:
        # A command-line mistake, not the answers file's. Only a bare name is echoed: a mistyped
        # `db_password:...` holds the password.
        if key.isidentifier():
            raise EnvsyncError(
                f"{assignment!r} has no '=': give KEY=VALUE, e.g. `envsync set {key}=NEW_VALUE`"
            )
        raise EnvsyncError("envsync set: an argument has no '=': write each as KEY=VALUE")
    value: object = text
    if key == "db_port":
        # A signed number is still a number: "-1" is out of range, not "not a whole number".
        value = int(text) if re.fullmatch(r"[+-]?[0-9]+", text.strip()) else text
    elif key == "use_pgvector":
        lowered = text.lower()
        if lowered in {"true", "yes", "1", "on"}:
            value = True
        elif lowered in {"false", "no", "0", "off"}:
            value = False
    return key, value


def dump(data: Mapping[str, object]) -> str:
    """The answers file as Copier writes it, so ``copier update`` keeps reading it."""
    # The same header as the template's answers file: a set leaves no diff behind in it.
    header = (
        "# Change a value with `envsync set KEY=VALUE`; it updates every file that carries it.\n"
    )
    body = yaml.dump(
        dict(data),
        Dumper=yaml.SafeDumper,
        default_flow_style=False,
        allow_unicode=True,
        width=float("inf"),
    )
    return header + body
