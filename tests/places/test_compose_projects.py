"""Compose projects as compose forms them (places.md, "Compose projects, as compose reads them"):
the default file plus its one override, ``-f``, ``COMPOSE_FILE``, a lone non-default file found
by its content, anchors, merge keys and ``extends:``. Each layout goes through the real CLI:
adopt, check, then ``set db_password``, read back by Docker Compose v2 and python-dotenv."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from envsync.errors import MapError
from envsync.facts import load_answers as load
from envsync.places import map_file
from tests.conftest import envsync, snapshot
from tests.layouts import (
    GITIGNORE,
    Layout,
    compose_config,
    consumers,
    git_project,
    replaced,
    tracked_changes,
)

NEW_PASSWORD = "N3w-pass"


@dataclass(frozen=True)
class Case:
    layout: Layout
    args: tuple[str, ...] = ()
    # The files the map must record for compose ([compose] files), () when compose finds them.
    recorded: tuple[str, ...] = ()
    # Text that must still be in a file after set (an alias stays an alias).
    still_written: tuple[tuple[str, str], ...] = ()


DEV_AND_TEST_OVERRIDES = Layout(
    "override-dev-and-test-files-are-not-active",
    {
        ".gitignore": GITIGNORE,
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: shop
                  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
                  POSTGRES_DB: shop
              web:
                build: .
                environment:
                  DATABASE_URL: postgresql://shop:${POSTGRES_PASSWORD}@db:5432/shop
            """,
        "docker-compose.override.yml": """
            services:
              db:
                ports:
                  - "5442:5432"
            """,
        # `docker compose -f docker-compose.yml -f docker-compose.override.dev.yml` only
        "docker-compose.override.dev.yml": """
            services:
              web:
                environment:
                  DATABASE_URL: postgresql://shop:Other-dev-pw@db:5432/shop_dev
            """,
        # the unit-test stack, run with -f only
        "docker-compose.test.yml": """
            services:
              db_test:
                image: postgres:16
                environment:
                  POSTGRES_USER: shop
                  POSTGRES_PASSWORD: Test-stack-pw
                  POSTGRES_DB: shop_test
                ports: ["5443:5432"]
            """,
        ".env": "POSTGRES_PASSWORD=Dev-pw-42\n",
        "backend/.env": "DATABASE_URL=postgresql+asyncpg://shop:Dev-pw-42@localhost:5442/shop\n",
    },
    password="Dev-pw-42",
    compose={".": ("docker-compose.yml", "docker-compose.override.yml")},
    places=(
        "docker-compose.override.yml: services.db.ports",
        "backend/.env: DATABASE_URL",
        ".env: POSTGRES_PASSWORD",
    ),
    not_places=(
        "docker-compose.override.dev.yml: services.web.environment.DATABASE_URL",
        "docker-compose.test.yml: services.db_test.environment.POSTGRES_PASSWORD",
    ),
    storage="local",
)

LOCAL_YML_ALONE = Layout(
    "local-yml-alone",
    {
        ".gitignore": ".envs/\n",
        "local.yml": """
            volumes:
              local_postgres_data: {}
            services:
              django:
                build: .
                depends_on: [postgres]
                env_file:
                  - ./.envs/.local/.django
                  - ./.envs/.local/.postgres
                environment:
                  DATABASE_URL: postgres://debug:Local-pw-77@postgres:5432/site
              postgres:
                build: ./compose/production/postgres
                env_file:
                  - ./.envs/.local/.postgres
                ports:
                  - "5444:5432"
            """,
        "production.yml": """
            services:
              postgres:
                image: postgres:16
                env_file: [./.envs/.production/.postgres]
            """,
        ".envs/.local/.django": "USE_DOCKER=yes\n",
        ".envs/.local/.postgres": """
            POSTGRES_HOST=postgres
            POSTGRES_PORT=5432
            POSTGRES_DB=site
            POSTGRES_USER=debug
            POSTGRES_PASSWORD=Local-pw-77
            """,
        ".envs/.production/.postgres": "POSTGRES_PASSWORD=prod-secret\n",
    },
    password="Local-pw-77",
    compose={".": ("local.yml",)},
    places=(
        "local.yml: services.django.environment.DATABASE_URL",
        "local.yml: services.postgres.ports",
        ".envs/.local/.postgres: POSTGRES_PASSWORD",
    ),
    not_places=(".envs/.production/.postgres: POSTGRES_PASSWORD",),
)

DEV_STACK_FILES = {
    ".gitignore": GITIGNORE,
    # the base file a deployment reads: no port, the password from the environment
    "docker-compose.yml": """
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_USER: api
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}
              POSTGRES_DB: api
        """,
    "docker-compose.dev.yml": """
        services:
          db:
            ports: ["5445:5432"]
          api:
            build: .
            environment:
              DATABASE_URL: postgresql+psycopg://api:Dev-stack-pw@db:5432/api
        """,
    ".env": "POSTGRES_PASSWORD=Dev-stack-pw\n",
}
DEV_STACK = ("docker-compose.yml", "docker-compose.dev.yml")
DASH_F = Layout(
    "dash-f-files",
    DEV_STACK_FILES,
    password="Dev-stack-pw",
    compose={".": DEV_STACK},
    places=(
        "docker-compose.dev.yml: services.api.environment.DATABASE_URL",
        "docker-compose.dev.yml: services.db.ports",
    ),
)
COMPOSE_FILE_IN_ENV = Layout(
    "compose-file-in-dotenv",
    {
        **DEV_STACK_FILES,
        ".env": "COMPOSE_PATH_SEPARATOR=;\n"
        "COMPOSE_FILE=docker-compose.yml;docker-compose.dev.yml\n"
        "POSTGRES_PASSWORD=Dev-stack-pw\n",
    },
    password="Dev-stack-pw",
    compose={".": DEV_STACK},
    places=DASH_F.places,
)

ANCHORS = Layout(
    "anchors-aliases-and-merge-keys",
    {
        "docker-compose.yml": """
            x-db-env: &db-env
              POSTGRES_USER: notes
              POSTGRES_PASSWORD: Anchor-pw-5
              POSTGRES_DB: notes
            x-app: &app
              build: .
              environment: &app-env
                <<: *db-env
                DATABASE_URL: postgresql://notes:Anchor-pw-5@db:5432/notes
            services:
              db:
                image: postgres:16
                environment: *db-env
                ports: ["5446:5432"]
              api:
                <<: *app
              worker:
                <<: *app
                environment:
                  <<: *app-env
                  QUEUE: default
            """,
    },
    password="Anchor-pw-5",
    places=(
        "docker-compose.yml: services.db.environment.POSTGRES_PASSWORD",
        "docker-compose.yml: services.api.environment.DATABASE_URL",
    ),
)

EXTENDS = Layout(
    "extends-another-file",
    {
        ".gitignore": GITIGNORE,
        "common-services.yml": """
            services:
              postgres-base:
                image: postgres:16
                environment:
                  POSTGRES_USER: ledger
                  POSTGRES_PASSWORD: Extends-pw-6
                  POSTGRES_DB: ledger
            """,
        "compose.yaml": """
            services:
              db:
                extends:
                  file: common-services.yml
                  service: postgres-base
                ports: ["5447:5432"]
              app:
                build: .
                env_file: .env
            """,
        ".env": "DATABASE_URL=postgresql://ledger:Extends-pw-6@localhost:5447/ledger\n",
    },
    password="Extends-pw-6",
    places=(
        "common-services.yml: services.postgres-base.environment.POSTGRES_PASSWORD",
        ".env: DATABASE_URL",
    ),
)

CASES = [
    Case(DEV_AND_TEST_OVERRIDES),
    Case(LOCAL_YML_ALONE, recorded=("local.yml",)),
    Case(DASH_F, ("-f", "docker-compose.yml", "-f", "docker-compose.dev.yml"), recorded=DEV_STACK),
    Case(COMPOSE_FILE_IN_ENV),
    Case(ANCHORS, still_written=(("docker-compose.yml", "environment: *db-env"),)),
    Case(EXTENDS),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.layout.name)
def test_adopt_check_and_set_on_a_compose_project(tmp_path: Path, case: Case) -> None:
    adopt_check_and_set(tmp_path, case)


def adopt_check_and_set(tmp_path: Path, case: Case) -> Path:
    """Adopt exits 0 and changes no file; check is 0; the map names the layout's places and
    not the others; ``set db_password`` changes the password in every place, and nothing else,
    as each consumer reads it."""
    layout = case.layout
    project = git_project(tmp_path / layout.name, layout.files)
    before = snapshot(project)

    result = envsync("adopt", *case.args, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert envsync("check", cwd=project).returncode == 0
    assert tracked_changes(project) == []
    after = snapshot(project)
    assert all(after[name] == data for name, data in before.items())
    place_map = tomllib.loads((project / "envsync.toml").read_text())
    labels = {f"{place['file']}: {place['key']}" for place in place_map["place"]}
    assert set(layout.places) <= labels, sorted(labels)
    assert not set(layout.not_places) & labels
    assert tuple(place_map.get("compose", {}).get("files", ())) == case.recorded
    assert load(project).secret_storage == layout.storage

    seen = consumers(project, layout)
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert consumers(project, layout) == replaced(seen, layout.password, NEW_PASSWORD)
    for name, text in case.still_written:
        written = (project / name).read_text()
        assert text in written
        # Repaired where the value is written (the anchor), not copied to where it is used.
        assert written.count(NEW_PASSWORD) == before[name].decode().count(layout.password)
    assert envsync("check", cwd=project).returncode == 0
    return project


def test_the_shells_compose_file_forms_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = git_project(tmp_path / "shell", DEV_STACK_FILES)
    monkeypatch.setenv("COMPOSE_FILE", ":".join(DEV_STACK))
    result = envsync("adopt", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tomllib.loads((project / "envsync.toml").read_text())["compose"]["files"] == list(
        DEV_STACK
    )
    environment = compose_config(project, DEV_STACK)["services"]["api"]["environment"]
    assert envsync("set", f"db_password={NEW_PASSWORD}", cwd=project).returncode == 0
    now = compose_config(project, DEV_STACK)["services"]["api"]["environment"]
    assert now == replaced(environment, "Dev-stack-pw", NEW_PASSWORD)


def test_without_f_the_default_file_alone_is_the_project(tmp_path: Path) -> None:
    """The dev stack's file is not active without -f: its URL is no place, and says so."""
    project = git_project(tmp_path / "default", DEV_STACK_FILES)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docker-compose.dev.yml: not read (compose reads it only when named" in result.stdout
    assert "docker-compose.dev.yml" not in (project / "envsync.toml").read_text()


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        (
            {
                "local.yml": "services:\n  db:\n    image: postgres\n",
                "dev.yml": "services:\n  pg:\n    image: postgres:16\n",
            },
            (),
            "dev.yml, local.yml: each could be the compose project's file; name the ones you "
            "run with -f FILE",
        ),
        (DEV_STACK_FILES, ("-f", "missing.yml"), "-f missing.yml: no such file in the project"),
        (
            {**DEV_STACK_FILES, ".env": "COMPOSE_FILE=docker-compose.yml:gone.yml\n"},
            (),
            ".env: COMPOSE_FILE: gone.yml is not a file",
        ),
    ],
    ids=["two-lone-files", "missing-f", "missing-in-compose-file"],
)
def test_a_project_compose_cannot_form_is_refused_with_the_way_forward(
    tmp_path: Path, files: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    project = git_project(tmp_path / "bad", files)
    before = snapshot(project)
    result = envsync("adopt", *args, cwd=project)
    assert result.returncode == 2
    assert message in result.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[compose]\nfiles = "local.yml"\n', "compose must be a table"),
        ('[compose]\nfiles = ["local.yml"]\nproject = "x"\n', "compose must be a table"),
        ('[compose]\nfiles = ["../other/compose.yml"]\n', "must stay inside the project"),
    ],
    ids=["not-a-list", "unknown-key", "outside"],
)
def test_a_bad_compose_table_in_the_map_is_refused(table: str, message: str) -> None:
    with pytest.raises(MapError) as raised:
        map_file.parse(table)
    assert message in str(raised.value) and "envsync.toml" in str(raised.value)


def test_the_map_keeps_its_compose_files() -> None:
    place_map = map_file.parse('[compose]\nfiles = ["local.yml", "dev.yml"]\n')
    assert place_map.compose_files == ("local.yml", "dev.yml")
    assert map_file.parse(map_file.dump(place_map)) == place_map


INCLUDE = Layout(
    "include-another-file",
    {
        ".gitignore": GITIGNORE,
        "compose.yaml": """
            include:
              - db/compose.yaml
            services:
              api:
                build: .
                depends_on: [db]
                environment:
                  DATABASE_URL: postgresql+psycopg://inc:Include-pw-3@db:5432/inc
            """,
        "db/compose.yaml": """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: inc
                  POSTGRES_PASSWORD: ${DB_PASSWORD:?}
                  POSTGRES_DB: inc
                ports: ["5480:5432"]
            """,
        "db/.env": "DB_PASSWORD=Include-pw-3\n",
    },
    password="Include-pw-3",
    places=(
        "db/.env: DB_PASSWORD",
        "db/compose.yaml: services.db.ports",
        "compose.yaml: services.api.environment.DATABASE_URL",
    ),
)


def test_an_included_file_is_part_of_the_project(tmp_path: Path) -> None:
    adopt_check_and_set(tmp_path, Case(INCLUDE))


def test_of_two_compose_projects_f_chooses_one(tmp_path: Path) -> None:
    files = {
        ".gitignore": GITIGNORE,
        "docker/docker-compose.yml": DEV_STACK_FILES["docker-compose.yml"],
        "docker/.env": DEV_STACK_FILES[".env"],
        ".devcontainer/docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment: {POSTGRES_USER: dev, POSTGRES_PASSWORD: devcontainer-pw}
            """,
    }
    project = git_project(tmp_path / "two-projects", files)
    refused = envsync("adopt", cwd=project)
    assert refused.returncode == 2
    assert "-f FILE" in refused.stderr
    result = envsync("adopt", "-f", "docker/docker-compose.yml", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    place_map = tomllib.loads((project / "envsync.toml").read_text())
    assert place_map["compose"]["files"] == ["docker/docker-compose.yml"]
    assert ".devcontainer" not in str(place_map["place"])


LONE_FILE_EXTENDS_ANOTHER = Layout(
    "lone-file-extends-a-base-file",
    {
        "base.yml": """
            services:
              postgres:
                image: postgres:16
                environment:
                  POSTGRES_USER: shop
                  POSTGRES_PASSWORD: Base-pw-21
                  POSTGRES_DB: shop
            """,
        "local.yml": """
            services:
              db:
                extends: {file: base.yml, service: postgres}
                ports: ["5490:5432"]
            """,
    },
    password="Base-pw-21",
    compose={".": ("local.yml",)},
    places=(
        "base.yml: services.postgres.environment.POSTGRES_PASSWORD",
        "local.yml: services.db.ports",
    ),
)


def test_a_file_another_extends_is_a_part_not_a_project(tmp_path: Path) -> None:
    adopt_check_and_set(tmp_path, Case(LONE_FILE_EXTENDS_ANOTHER, recorded=("local.yml",)))


def test_a_database_in_a_file_compose_needs_named_is_found_with_f(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  web:\n    image: nginx\n",
        "docker-compose.db.yml": "services:\n  db:\n    image: postgres:16\n"
        "    environment:\n      POSTGRES_PASSWORD: Db-file-pw\n",
    }
    project = git_project(tmp_path / "db-file", files)
    refused = envsync("adopt", cwd=project)
    assert refused.returncode == 2
    assert "or the compose files you run with -f FILE (docker-compose.db.yml)" in refused.stderr
    args = ("-f", "docker-compose.yml", "-f", "docker-compose.db.yml")
    result = envsync("adopt", *args, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert envsync("check", cwd=project).returncode == 0
