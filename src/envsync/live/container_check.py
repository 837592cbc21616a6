"""The incident's ``docker inspect`` step: what this project's database container was really
given (its ``POSTGRES_*``), whether it runs, and the volume that keeps its data."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from envsync.answers import Answers
from envsync.live import compose
from envsync.live.schema import Check, Status

__all__ = ["Inspected", "check"]

_NAME = "container environment"
_FORMAT = (
    "{{json .Config.Env}}\t{{.State.Running}}\t{{range .Mounts}}{{.Name}} {{end}}\t"
    '{{index .Config.Labels "com.docker.compose.project.working_dir"}}'
)


@dataclass(frozen=True)
class Inspected:
    name: str
    running: bool
    environment: dict[str, str]
    #: Named volumes mounted in it (the data volume among them).
    volumes: tuple[str, ...]
    #: The directory of the compose project that made it ("" when compose did not).
    project_dir: str = ""


def _inspect(name: str) -> Inspected | str:
    result = compose.run(["docker", "inspect", "--format", _FORMAT, name])
    if result is None:
        return f"docker inspect {name} did not finish"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return f"docker inspect {name}: {reason}"
    env_json, _, rest = result.stdout.strip().partition("\t")
    running, _, rest = rest.partition("\t")
    mounts, _, working_dir = rest.partition("\t")
    environment = dict(item.partition("=")[::2] for item in json.loads(env_json) or [])
    return Inspected(
        name, running.strip() == "true", environment, tuple(mounts.split()), working_dir.strip()
    )


def check(
    project_dir: Path,
    answers: Answers,
    running: compose.Container | None,
    files: Sequence[str] = (),
) -> tuple[Check, Inspected | None]:
    """The check, and what ``docker inspect`` said (``None`` when it could not be asked);
    ``files``: the compose files its advice names (``-f``)."""
    up = shlex.join([*compose.compose_argv(files), "up", "-d"])
    if shutil.which("docker") is None:
        return Check(_NAME, Status.SKIPPED, "docker is not on PATH: container not inspected"), None
    engine = compose.engine_problem()
    if engine is not None:
        return Check(_NAME, Status.SKIPPED, engine), None
    found = _inspect(running.name if running is not None else answers.db_container)
    if isinstance(found, str):
        return Check(_NAME, Status.SKIPPED, found), None
    container = found.name
    if found.project_dir and Path(found.project_dir).resolve() != project_dir.resolve():
        return Check(
            _NAME,
            Status.SKIPPED,
            f"container {container} belongs to the compose project in {found.project_dir}, "
            "not this one",
        ), None
    if not found.running:
        return Check(
            _NAME,
            Status.PROBLEM,
            f"container {container} is not running: start it with `{up} {answers.db_service}`",
        ), found
    wanted = {
        "POSTGRES_USER": answers.db_user,
        "POSTGRES_PASSWORD": answers.db_password,
        "POSTGRES_DB": answers.db_name,
    }
    differ = [key for key, value in wanted.items() if found.environment.get(key) != value]
    if differ:
        return Check(
            _NAME,
            Status.PROBLEM,
            f"container {container} runs with other {', '.join(differ)} than the files; "
            f"recreate it: {up} --force-recreate {answers.db_service}",
        ), found
    return Check(_NAME, Status.OK, f"container {container} runs with the files' POSTGRES_*"), found
