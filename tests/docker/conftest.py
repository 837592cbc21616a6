"""Projects run by ``docker compose`` on a real Docker engine (``pytest -m docker``).

CI runs these inside the network namespace of ``docker-postgres`` (see .ci/run), where the
engine's bridges and published ports live; a developer with Docker runs them as they are. Every
test's compose project has a name of its own (its directory's) and is taken down with its
volumes (``docker compose down -v``) after the test, pass or fail.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from envsync.live import compose
from envsync.live.server import free_port
from tests.conftest import copier_copy, envsync

_TIMEOUT = 120


def docker(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The ``docker`` CLI (``docker compose ...`` included), its output captured."""
    return subprocess.run(
        ["docker", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=_TIMEOUT
    )


def docker_ok(*args: str, cwd: Path | None = None) -> str:
    """:func:`docker` that must succeed; its stdout."""
    result = docker(*args, cwd=cwd)
    assert result.returncode == 0, f"docker {' '.join(args)}:\n{result.stderr}{result.stdout}"
    return result.stdout


def container_id(project: Path, service: str, files: tuple[str, ...] = ()) -> str:
    """The service's container, in the compose project ``files`` form (``-f``; () for compose's
    own lookup)."""
    named = [argument for name in files for argument in ("-f", name)]
    return docker_ok("compose", *named, "ps", "-q", service, cwd=project).strip()


def network_address(container: str) -> str:
    """The container's address on its compose network: where the app service reaches it."""
    networks = json.loads(
        docker_ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", container)
    )
    return next(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))


def logs_in(
    project: Path,
    service: str,
    user: str,
    password: str,
    database: str,
    files: tuple[str, ...] = (),
) -> bool:
    """Whether the service's container takes the login on its network address; any refusal
    but a wrong password fails the test."""
    try:
        with psycopg.connect(
            host=network_address(container_id(project, service, files)),
            user=user,
            password=password,
            dbname=database,
            connect_timeout=5,
        ):
            return True
    except psycopg.OperationalError as error:
        assert "password authentication failed" in str(error), error
        return False


def files_only(project: Path, *assignments: str) -> None:
    """``envsync set --files-only``, which must succeed: the files move, the volume does not."""
    changed = envsync("set", "--files-only", *assignments, cwd=project)
    assert changed.returncode == 0, changed.stderr + changed.stdout
    assert changed.stdout.startswith("--files-only:"), changed.stdout


@pytest.fixture(scope="session")
def engine() -> None:
    """A Docker engine with ``docker compose``, reachable over TCP from here; else fail loudly."""
    problem = compose.engine_problem()
    if problem is None and docker("compose", "version").returncode != 0:
        problem = "`docker compose` (the Compose v2 plugin) is missing"
    if problem is None and not Path("/sys/class/net/docker0").exists():
        problem = "the engine's network (docker0) is not in this network namespace"
    if problem is not None:
        pytest.fail(
            f"-m docker needs a Docker engine: {problem}; run the tests as .ci/run does: "
            "docker-postgres setup && docker-postgres start && docker-postgres exec "
            ".venv/bin/pytest -m docker",
            pytrace=False,
        )


@pytest.fixture
def compose_dir(engine: None, tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Directories named ``envsync-<what>-<random>``, each its own compose project of that
    name, every one taken down with its volumes, networks and built images after the test."""
    made: list[Path] = []

    def make(what: str) -> Path:
        path = tmp_path / f"envsync-{what}-{secrets.token_hex(3)}"
        path.mkdir()
        made.append(path)
        return path

    yield make
    for path in made:
        # The directory's compose file (and the images it built); then the project by its name,
        # for one whose file compose's lookup does not find.
        for project in ((), ("-p", path.name)):
            docker(
                "compose", *project, "down", "-v", "--rmi", "local", "--remove-orphans",
                "--timeout", "1", cwd=path,
            )  # fmt: skip


@pytest.fixture
def generate(template_src: Path, compose_dir: Callable[[str], Path]) -> Callable[..., Path]:
    """Projects made by ``copier copy``, each on a free host port unless told another."""

    def make(db_port: int | None = None) -> Path:
        project = compose_dir("seed")
        name = project.name.replace("-", "_")
        port = free_port() if db_port is None else db_port
        copied = copier_copy(template_src, project, project_name=name, db_port=port)
        assert copied.returncode == 0, copied.stderr
        return project

    return make


@pytest.fixture
def generated(generate: Callable[..., Path]) -> Path:
    """A generated project, its database up and healthy."""
    project = generate()
    docker_ok("compose", "up", "-d", "db", "--wait", cwd=project)
    return project


OTHER_PROJECT = """\
services:
  db:
    image: pgvector/pgvector:pg16
    environment:
      POSTGRES_USER: someone
      POSTGRES_PASSWORD: their-secret
      POSTGRES_DB: theirs
    ports:
      - "127.0.0.1:{port}:5432"
    healthcheck:
      test: ["CMD", "pg_isready", "-h", "127.0.0.1"]
      interval: 1s
      retries: 60
"""


@pytest.fixture
def other_project(compose_dir: Callable[[str], Path]) -> tuple[Path, int]:
    """Another compose project's database, up on a free host port with credentials of its own."""
    project = compose_dir("other")
    port = free_port()
    (project / "compose.yaml").write_text(OTHER_PROJECT.format(port=port))
    docker_ok("compose", "up", "-d", "--wait", cwd=project)
    return project, port


def other_logs_in(port: int) -> bool:
    """Whether the other project's database still takes its own credentials."""
    with psycopg.connect(
        host="127.0.0.1", port=port, user="someone", password="their-secret", dbname="theirs"
    ) as connection:
        return connection.execute("SELECT 1").fetchone() == (1,)
