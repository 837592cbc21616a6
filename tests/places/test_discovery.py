"""Discovery on hand-written layouts: every place is found, nothing else is, nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsync.errors import EnvsyncError
from envsync.places.discovery import discover
from tests.conftest import snapshot
from tests.host_ports import moved
from tests.layouts import ALL, INCIDENT, Layout, write_tree


@pytest.mark.parametrize("layout", ALL, ids=lambda layout: layout.name)
def test_discovery_finds_the_places_and_writes_nothing(tmp_path: Path, layout: Layout) -> None:
    project = write_tree(tmp_path / layout.name, layout.files)
    before = snapshot(project)
    found = discover(project)
    labels = {f.label for f in found.found if f.place is not None}
    assert set(layout.places) <= labels, sorted(labels)
    assert not set(layout.not_places) & labels
    assert snapshot(project) == before


def test_the_database_service_and_its_facts(tmp_path: Path) -> None:
    layout = next(layout for layout in ALL if layout.name == "compose-yaml-with-override-ports")
    found = discover(write_tree(tmp_path / "p", layout.files))
    db = found.database
    assert (db.service, db.user, db.name, db.port) == ("db", "blog", "blog", "5435")
    assert db.files == ("compose.yaml", "compose.override.yml")
    assert found.db_host == "127.0.0.1"


def test_expose_only_has_no_port_and_the_image_defaults(tmp_path: Path) -> None:
    layout = next(layout for layout in ALL if layout.name == "expose-only")
    found = discover(write_tree(tmp_path / "p", layout.files))
    assert found.database.port is None
    defaults = [f for f in found.found if f.place is None]
    assert defaults and defaults[0].values == {"db_user": "postgres", "db_name": "postgres"}
    url = next(f.place for f in found.found if f.place and f.place.url)
    assert url.url is not None and url.url.view == "network"


def test_each_url_keeps_its_scheme_and_view(tmp_path: Path) -> None:
    layout = LAYOUTS_BY_NAME["backend-url-on-network-5433-published"]
    found = discover(write_tree(tmp_path / "p", layout.files))
    urls = {f.label: f for f in found.found if f.place and f.place.url}
    api = urls["docker-compose.yml: services.api.environment.DATABASE_URL"]
    env = urls["backend/.env: DATABASE_URL"]
    worker = urls["docker-compose.yml: services.worker.environment.DATABASE_URL"]
    assert api.place and api.place.url and api.place.url.view == "network"
    assert env.place and env.place.url and env.place.url.view == "host"
    assert api.place.url.parts["drivername"] is None  # the scheme stays the place's own
    assert worker.place and worker.place.url and worker.place.url.parts["port"] == ""
    assert env.values == {
        "db_user": "app",
        "db_password": "Net-pw-333",
        "db_name": "app",
        "db_port": str(moved(5433)),
    }


def test_references_are_links_to_their_definition(tmp_path: Path) -> None:
    layout = LAYOUTS_BY_NAME["root-env-required-references"]
    found = discover(write_tree(tmp_path / "p", layout.files))
    compose = next(f for f in found.found if f.label.endswith("POSTGRES_PASSWORD") and f.place)
    assert compose.place is not None and compose.place.via == "POSTGRES_PASSWORD"
    assert compose.values == {"db_password": "Root-env-pw1"}


def test_alembic_placeholder_and_an_env_py_that_sets_the_url(tmp_path: Path) -> None:
    files = dict(INCIDENT.files)
    files["backend/alembic.ini"] = (
        "[alembic]\nscript_location = %(here)s/alembic\n"
        "sqlalchemy.url = driver://user:pass@localhost/dbname\n"
    )
    found = discover(write_tree(tmp_path / "placeholder", files))
    assert not any(f.file == "backend/alembic.ini" for f in found.found)
    assert any("placeholder" in note for note in found.notes)

    files["backend/alembic.ini"] = files["backend/alembic.ini"].replace(
        "driver://user:pass@localhost/dbname",
        "postgresql+psycopg2://someone:else@localhost:5439/other",
    )
    files["backend/alembic/env.py"] = (
        "import os\nconfig.set_main_option('sqlalchemy.url', os.environ['DATABASE_URL'])\n"
    )
    found = discover(write_tree(tmp_path / "env-py", files))
    assert not any(f.file == "backend/alembic.ini" for f in found.found)
    assert any("backend/alembic/env.py sets the URL" in note for note in found.notes)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"backend/.env": "A=1\n"}, "run adopt with -C DIR"),
        ({"docker-compose.yml": "services:\n  web:\n    image: nginx\n"}, "--service NAME"),
        (
            {
                "docker-compose.yml": "services:\n  db:\n    image: postgres\n"
                "  replica:\n    image: postgres:16\n"
            },
            "services db, replica could each be the database; choose one with --service NAME",
        ),
        (
            {
                "a/compose.yml": "services:\n  db:\n    image: postgres\n",
                "b/compose.yml": "services:\n  pg:\n    image: postgres\n",
            },
            "or run adopt with -C DIR",
        ),
    ],
    ids=["no-compose", "no-database", "two-databases", "two-directories"],
)
def test_errors_name_the_way_forward(tmp_path: Path, files: dict[str, str], message: str) -> None:
    project = write_tree(tmp_path / "bad", files)
    with pytest.raises(EnvsyncError) as raised:
        discover(project)
    assert message in str(raised.value)


def test_service_option_picks_one(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "two",
        {
            "docker-compose.yml": "services:\n  db:\n    image: postgres\n"
            "  replica:\n    image: postgres:16\n"
        },
    )
    assert discover(project, service="replica").database.service == "replica"


LAYOUTS_BY_NAME = {layout.name: layout for layout in ALL}
