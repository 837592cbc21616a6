"""Render never breaks a file a user wrote: each shape that broke once, repaired and read back
by its real consumer (Docker Compose v2, python-dotenv, Alembic's Config)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from alembic.config import Config
from dotenv import dotenv_values

from tests import compose_v2
from tests.conftest import envsync, snapshot
from tests.places.test_layouts import IGNORED, answers

COMPOSE_PLACES = """
[[place]]
file = "docker-compose.yml"
key = "services.db.image"
value = "{db_image}"

[[place]]
file = "docker-compose.yml"
key = "services.db.container_name"
value = "{db_container}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_USER"
value = "{db_user}"

[[place]]
file = "docker-compose.yml"
key = "services.db.environment.POSTGRES_PASSWORD"
value = "{db_password}"
"""


def project_with(tmp_path: Path, files: dict[str, str], places: str = COMPOSE_PLACES) -> Path:
    project = tmp_path / "project"
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    (project / ".gitignore").write_text(IGNORED)
    (project / ".copier-answers.yml").write_text(answers())
    (project / "envsync.toml").write_text(places)
    return project


def rendered_and_checked(project: Path) -> None:
    result = envsync("render", cwd=project)
    assert result.returncode == 0, result.stderr
    assert envsync("check", cwd=project).returncode == 0
    again = snapshot(project)
    assert envsync("render", cwd=project).stdout.strip() == "all files in sync"
    assert snapshot(project) == again


def db_environment(project: Path) -> dict[str, str]:
    return compose_v2.environment(project, "db")


@pytest.mark.parametrize(
    "environment",
    [
        # bug 1: an empty value (compose passes the variable from the shell or .env)
        "    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD:\n",
        # bug 3: a bare list item
        "    environment:\n      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD\n",
    ],
    ids=["empty value", "bare list item"],
)
def test_a_passed_through_variable_is_read_and_repaired_where_it_is_defined(
    tmp_path: Path, environment: str
) -> None:
    compose = f"services:\n  db:\n    image: postgres:16\n    container_name: app-db\n{environment}"
    project = project_with(
        tmp_path, {"docker-compose.yml": compose, ".env": "POSTGRES_PASSWORD=secret\n"}
    )
    assert envsync("check", cwd=project).returncode == 0  # the .env gives it: no false drift
    (project / ".env").write_text("POSTGRES_PASSWORD=stale\n")
    rendered_and_checked(project)
    assert (project / "docker-compose.yml").read_text() == compose  # still passed through
    assert db_environment(project)["POSTGRES_PASSWORD"] == "secret"


def test_empty_image_and_container_name_get_their_space(tmp_path: Path) -> None:
    compose = (
        "services:\n  db:\n    image:\n    container_name:\n"
        "    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    rendered_and_checked(project)
    assert compose_v2.project_config(project)["services"]["db"]["image"] == "postgres:16"
    assert 'image: "postgres:16"\n' in (project / "docker-compose.yml").read_text()


@pytest.mark.parametrize(
    "environment",
    [
        "    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n",
        "    environment:\n      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD=secret\n",
    ],
    ids=["map", "list"],
)
def test_a_key_added_after_environment_as_the_last_key_lands_in_the_service(
    tmp_path: Path, environment: str
) -> None:
    # bug 2: container_name must be added while environment is the service's last key
    compose = f"services:\n  db:\n    image: postgres:16\n{environment}  web:\n    image: nginx\n"
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    rendered_and_checked(project)
    resolved = compose_v2.project_config(project)["services"]
    assert resolved["db"]["container_name"] == "app-db"
    assert resolved["db"]["environment"]["POSTGRES_PASSWORD"] == "secret"
    assert "container_name" not in resolved["web"]


def test_a_repeated_list_item_is_read_as_compose_reads_it(tmp_path: Path) -> None:
    # bug 17: compose takes the last of a repeated key
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        "      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD=secret\n"
        "      - POSTGRES_PASSWORD=other\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    assert db_environment(project)["POSTGRES_PASSWORD"] == "other"
    assert envsync("check", cwd=project).returncode == 1
    rendered_and_checked(project)
    assert db_environment(project)["POSTGRES_PASSWORD"] == "secret"


@pytest.mark.parametrize(
    "scalar",
    ["|\n        stale\n", ">-\n        stale\n\n      # the password for local use only\n"],
    ids=["literal block", "folded block with a comment after"],
)
def test_a_block_scalar_is_replaced_without_eating_the_next_line(
    tmp_path: Path, scalar: str
) -> None:
    # bug 14
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        f"      POSTGRES_PASSWORD: {scalar}      POSTGRES_USER: app\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    rendered_and_checked(project)
    assert db_environment(project) == {"POSTGRES_PASSWORD": "secret", "POSTGRES_USER": "app"}


def test_an_anchor_on_an_owned_value_is_kept_for_its_aliases(tmp_path: Path) -> None:
    # bug 15
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: &pw stale\n"
        "  backend:\n    image: app\n    environment:\n      DB_PASSWORD: *pw\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    rendered_and_checked(project)
    assert "&pw" in (project / "docker-compose.yml").read_text()
    assert compose_v2.environment(project, "backend")["DB_PASSWORD"] == "secret"


def test_merge_keys_and_env_files_are_values_compose_sees(tmp_path: Path) -> None:
    # bug 19: no false "missing", no duplicate keys appended
    compose = (
        "x-db: &db\n  image: postgres:16\n  container_name: app-db\n"
        "services:\n  db:\n    <<: *db\n    env_file: db.env\n    environment:\n"
        "      POSTGRES_USER: app\n"
    )
    project = project_with(
        tmp_path, {"docker-compose.yml": compose, "db.env": "POSTGRES_PASSWORD=secret\n"}
    )
    before = snapshot(project)
    assert envsync("check", cwd=project).returncode == 0
    (project / "db.env").write_text("POSTGRES_PASSWORD=stale\n")
    rendered_and_checked(project)
    assert (project / "docker-compose.yml").read_text() == before["docker-compose.yml"].decode()
    assert db_environment(project)["POSTGRES_PASSWORD"] == "secret"


def test_ports_keep_their_syntax_and_udp_is_not_postgres(tmp_path: Path) -> None:
    # bugs 12 and 18
    places = (
        COMPOSE_PLACES
        + '\n[[place]]\nfile = "docker-compose.yml"\nkey = "services.db.ports"\n'
        + 'value = "{db_port}"\n'
    )
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n    ports:\n"
        "      - '5432-5432:5432'\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose}, places)
    assert envsync("check", cwd=project).returncode == 0
    long_syntax = compose.replace(
        "      - '5432-5432:5432'\n",
        "      - '5432:5432/udp'\n      - target: 5432\n        published: 6000\n"
        "        protocol: tcp\n        mode: host\n        name: postgres\n",
    )
    (project / "docker-compose.yml").write_text(long_syntax)
    rendered_and_checked(project)
    ports = compose_v2.project_config(project)["services"]["db"]["ports"]
    assert {(p["protocol"], str(p["published"])) for p in ports} == {
        ("udp", "5432"),
        ("tcp", "5432"),
    }
    tcp = next(p for p in ports if p["protocol"] == "tcp")
    assert (tcp["mode"], tcp["name"]) == ("host", "postgres")


def test_a_disabled_healthcheck_gets_no_test(tmp_path: Path) -> None:
    # bug 18
    places = COMPOSE_PLACES + (
        '\n[[place]]\nfile = "docker-compose.yml"\nkey = "services.db.healthcheck.test"\n'
        'value = ["CMD", "pg_isready", "-U", "{db_user}"]\n'
    )
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n"
        "    healthcheck:\n      disable: true\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose}, places)
    before = snapshot(project)
    assert envsync("check", cwd=project).returncode == 0
    assert envsync("render", cwd=project).returncode == 0
    assert snapshot(project) == before


def test_a_four_space_file_without_final_newline_keeps_its_style(tmp_path: Path) -> None:
    # bug 20
    compose = (
        "services:\n    db:\n        image: postgres:16\n        environment:\n"
        "            POSTGRES_USER: app\n            POSTGRES_PASSWORD: secret"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    rendered_and_checked(project)
    text = (project / "docker-compose.yml").read_text()
    assert '\n        container_name: "app-db"' in text
    assert not text.endswith("\n")


@pytest.mark.parametrize("name", ["docker-compose.yml", "CLAUDE.md"])
def test_a_merge_conflict_is_named_not_called_invalid(tmp_path: Path, name: str) -> None:
    # bug 13
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n"
    )
    claude = (
        "# app\n<!-- envsync:begin credentials -->\n```text\nuser: app\n```\n"
        "<!-- envsync:end credentials -->\n"
    )
    files = {"docker-compose.yml": compose, "CLAUDE.md": claude}
    files[name] = files[name].replace("app", "<<<<<<< ours\napp\n=======\nother\n>>>>>>> theirs", 1)
    places = COMPOSE_PLACES + '\n[[place]]\nfile = "CLAUDE.md"\nkey = "user"\nvalue = "{db_user}"\n'
    project = project_with(tmp_path, files, places)
    result = envsync("check", cwd=project)
    assert result.returncode == 2
    assert f"{name}:" in result.stderr and "unresolved merge conflict" in result.stderr


def test_markers_inside_a_fence_are_examples_and_indented_sections_work(tmp_path: Path) -> None:
    # bug 21
    claude = (
        "# app\n\nExample of the section:\n\n````markdown\n<!-- envsync:begin credentials -->\n"
        "```text\nuser: example\n```\n<!-- envsync:end credentials -->\n````\n\n"
        "- Local database:\n  <!-- envsync:begin credentials -->\n  ```text\n  user: stale\n"
        "  ```\n  <!-- envsync:end credentials -->\n"
    )
    places = '[[place]]\nfile = "CLAUDE.md"\nkey = "user"\nvalue = "{db_user}"\n'
    project = project_with(tmp_path, {"CLAUDE.md": claude}, places)
    check = envsync("check", cwd=project)
    assert "CLAUDE.md: credentials section (user): expected 'app', found 'stale'" in check.stdout
    rendered_and_checked(project)
    assert (project / "CLAUDE.md").read_text() == claude.replace("user: stale", "user: app")


def test_only_the_values_that_change_are_respelled(tmp_path: Path) -> None:
    # bug 9
    env = 'POSTGRES_USER="app"\nPOSTGRES_DB=app\nPOSTGRES_PASSWORD=stale!\nOTHER=x!\n'
    places = "".join(
        f'[[place]]\nfile = ".env"\nkey = "{key}"\nvalue = "{{{fact}}}"\n\n'
        for key, fact in [("POSTGRES_USER", "db_user"), ("POSTGRES_DB", "db_name"),
                          ("POSTGRES_PASSWORD", "db_password")]
    )  # fmt: skip
    project = project_with(tmp_path, {".env": env}, places)
    rendered_and_checked(project)
    assert (project / ".env").read_text() == env.replace("stale!", "secret")


def test_an_alembic_ini_with_a_bom_is_refused_with_alembics_words(tmp_path: Path) -> None:
    # bug 6
    ini = "\ufeff[alembic]\nsqlalchemy.url = postgresql://app:secret@127.0.0.1:5432/app\n"
    places = '[[place]]\nfile = "alembic.ini"\nkey = "[alembic] sqlalchemy.url"\nurl = "host"\n'
    project = project_with(tmp_path, {"alembic.ini": ini}, places)
    result = envsync("check", cwd=project)
    assert result.returncode == 2
    assert "alembic.ini:1:" in result.stderr and "MissingSectionHeaderError" in result.stderr


@pytest.mark.parametrize(
    "ini",
    [
        "[alembic]\n  script_location = a\n  sqlalchemy.url = postgresql://x:y@h:1/d\n",
        "[alembic] ; main\nsqlalchemy.url = postgresql://x:y@h:1/d\n",
        "[alembic]\nsqlalchemy.url =\n",
        "[alembic]\nsqlalchemy.url = postgresql://x:y@h:1/d\n\n  ?sslmode=disable\n"
        "[loggers]\nkeys = root\n",
    ],
    ids=["indented keys", "header comment", "empty value", "continuation after a blank line"],
)
def test_alembic_reads_the_repaired_ini(tmp_path: Path, ini: str) -> None:
    # bugs 4, 5, 11, 20
    places = '[[place]]\nfile = "alembic.ini"\nkey = "[alembic] sqlalchemy.url"\nurl = "host"\n'
    project = project_with(tmp_path, {"alembic.ini": ini}, places)
    rendered_and_checked(project)
    url = Config(str(project / "alembic.ini")).get_main_option("sqlalchemy.url")
    assert url is not None and url.startswith("postgresql://app:secret@127.0.0.1:5432/app")


def test_dotenv_cr_line_endings(tmp_path: Path) -> None:
    # bug 10
    env = "A=1\rDATABASE_URL=postgresql://x:y@h:1/d\rB=2\r"
    places = '[[place]]\nfile = ".env"\nkey = "DATABASE_URL"\nurl = "host"\n'
    project = project_with(tmp_path, {".env": env}, places)
    rendered_and_checked(project)
    values = dotenv_values(project / ".env")
    assert values["DATABASE_URL"] == "postgresql://app:secret@127.0.0.1:5432/app"
    assert (values["A"], values["B"]) == ("1", "2")


def test_a_missing_database_service_is_added_as_a_valid_service(tmp_path: Path) -> None:
    # bug 16
    project = project_with(
        tmp_path, {"docker-compose.yml": "services:\n  web:\n    image: nginx\n"}
    )
    rendered_and_checked(project)
    resolved = compose_v2.project_config(project)["services"]
    assert resolved["db"]["environment"]["POSTGRES_PASSWORD"] == "secret"
    assert yaml.safe_load((project / "docker-compose.yml").read_text())["services"]["web"] == {
        "image": "nginx"
    }


def test_a_value_compose_reads_differently_from_python_dotenv_is_drift(tmp_path: Path) -> None:
    # bug 7: `pa$$word` hand-typed in compose's .env: the container gets `pa$word`
    compose = (
        "services:\n  db:\n    image: postgres:16\n    container_name: app-db\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n"
    )
    places = (
        COMPOSE_PLACES
        + '\n[[place]]\nfile = ".env"\nkey = "POSTGRES_PASSWORD"\nvalue = "{db_password}"\n'
    )
    project = project_with(
        tmp_path, {"docker-compose.yml": compose, ".env": "POSTGRES_PASSWORD=pa$$word\n"}, places
    )
    (project / ".copier-answers.yml").write_text(answers(db_password="pa$$word"))
    assert db_environment(project)["POSTGRES_PASSWORD"] == "pa$word"
    assert dotenv_values(project / ".env")["POSTGRES_PASSWORD"] == "pa$$word"
    check = envsync("check", "--show-secrets", cwd=project)
    assert check.returncode == 1
    assert (
        ".env: POSTGRES_PASSWORD (as compose reads it): expected 'pa$$word', found 'pa$word'"
        in check.stdout
    )
    rendered_and_checked(project)
    assert (project / ".env").read_text() == "POSTGRES_PASSWORD='pa$$word'\n"
    assert db_environment(project)["POSTGRES_PASSWORD"] == "pa$$word"
    assert dotenv_values(project / ".env")["POSTGRES_PASSWORD"] == "pa$$word"


def test_a_nested_default_is_read_as_compose_reads_it(tmp_path: Path) -> None:
    # bug 8
    compose = (
        "services:\n  db:\n    image: ${DB_IMAGE:-${FALLBACK_IMAGE:-postgres:16}}\n"
        "    container_name: app-db\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: secret\n"
    )
    project = project_with(tmp_path, {"docker-compose.yml": compose})
    before = snapshot(project)
    assert envsync("check", cwd=project).returncode == 0
    (project / ".copier-answers.yml").write_text(answers(db_image="postgres:17"))
    rendered_and_checked(project)
    assert (project / "docker-compose.yml").read_text() == before["docker-compose.yml"].decode()
    assert compose_v2.project_config(project)["services"]["db"]["image"] == "postgres:17"
    assert dotenv_values(project / ".env") == {"DB_IMAGE": "postgres:17"}
