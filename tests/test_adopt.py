"""``envsync adopt`` on projects written by hand, as users have them: the incident's own files
first (down to a real ``alembic upgrade head``), then other layouts, then bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import psycopg
import pytest
import yaml
from alembic.config import Config
from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from envsync import render
from envsync.answers import ANSWER_KEYS, load
from envsync.live import server
from envsync.live.server import ServerSpec
from tests.conftest import BIN, envsync, envsync_process, snapshot
from tests.readers import Credentials, from_compose
from tests.test_copier_update import _commit_all, _git


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def env_credentials(project: Path, name: str = "backend/.env") -> Credentials:
    url = make_url(dotenv_values(project / name)["DATABASE_URL"])
    assert url.username and url.password and url.database and url.port
    return Credentials(url.username, url.password, url.database, url.port)


def compose_environment(project: Path, service: str) -> dict[str, str]:
    """The service's environment as PyYAML reads it, map or list form (no interpolation)."""
    environment = yaml.safe_load((project / "docker-compose.yml").read_text())["services"][service][
        "environment"
    ]
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return environment


def adopted(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``envsync adopt`` that must succeed and leave ``envsync check`` at 0."""
    result = envsync("adopt", *args, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("envsync check: in sync"), result.stdout
    check = envsync("check", cwd=project)
    assert check.returncode == 0, check.stdout
    return result


# --- the incident ---------------------------------------------------------------------------

INCIDENT_ENV_PY = '''
"""Alembic environment: the URL comes from backend/.env, with a sync driver."""
import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from dotenv import load_dotenv
from sqlalchemy import engine_from_config, pool

load_dotenv(Path(__file__).resolve().parents[1] / ".env")

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# The app uses asyncpg; Alembic needs a synchronous driver.
url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql+psycopg2")
config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
target_metadata = None


def run_migrations_online() -> None:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

# What `alembic init` writes, trimmed: the placeholder URL is never used (env.py sets it).
ALEMBIC_INI = """
[alembic]
script_location = %(here)s/alembic
prepend_sys_path = .
sqlalchemy.url = driver://user:pass@localhost/dbname

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
"""

INCIDENT_MIGRATIONS = {
    "backend/alembic/versions/0001_messages.py": '''
        """messages with embeddings"""
        from alembic import op

        revision = "0001"
        down_revision = None


        def upgrade() -> None:
            op.execute("CREATE EXTENSION IF NOT EXISTS vector")
            op.execute(
                "CREATE TABLE messages (id bigserial PRIMARY KEY, session_id uuid NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now(), content text NOT NULL, "
                "embedding vector(8), summary_embedding vector(8))"
            )
        ''',
    "backend/alembic/versions/0002_indexes.py": '''
        """HNSW indexes on both embeddings, B-tree on (session_id, created_at DESC)"""
        from alembic import op

        revision = "0002"
        down_revision = "0001"


        def upgrade() -> None:
            for column in ("embedding", "summary_embedding"):
                op.execute(
                    f"CREATE INDEX ix_messages_{column}_hnsw ON messages USING hnsw "
                    f"({column} vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
                )
            op.execute(
                "CREATE INDEX ix_messages_session_created ON messages (session_id, created_at DESC)"
            )
        ''',
}


def incident_project(root: Path, port: int) -> Path:
    """The incident's files: compose and backend/.env disagree on user, password, database."""
    return write_tree(
        root,
        {
            "docker-compose.yml": f"""
                # Sparkle: local stack
                services:
                  sparkle_db:
                    image: pgvector/pgvector:pg16
                    container_name: sparkle_db
                    environment:
                      POSTGRES_USER: postgres
                      POSTGRES_PASSWORD: password
                      POSTGRES_DB: sparkle
                    ports:
                      - "{port}:5432"
                    volumes:
                      - sparkle_data:/var/lib/postgresql/data
                    healthcheck:
                      test: ["CMD-SHELL", "pg_isready -U postgres"]
                      interval: 10s

                  backend:
                    build: ./backend
                    env_file: backend/.env  # the app reads DATABASE_URL
                    depends_on: [sparkle_db]

                volumes:
                  sparkle_data:
                """,
            "backend/.env": f"""
                # Sparkle backend
                DATABASE_URL=postgresql+asyncpg://sparkle_user:sparkle_password@localhost:{port}/sparkle_db
                OPENAI_API_KEY=sk-test-not-a-key  # rotate monthly
                export LOG_LEVEL="debug"
                """,
            "backend/alembic.ini": ALEMBIC_INI,
            "backend/alembic/env.py": INCIDENT_ENV_PY,
            **INCIDENT_MIGRATIONS,
            "CLAUDE.md": """
                # Sparkle

                Run the backend with `uv run fastapi dev`.
                """,
        },
    )


@pytest.fixture
def incident(tmp_path: Path) -> tuple[Path, int]:
    port = server.free_port()
    return incident_project(tmp_path / "sparkle", port), port


def _row(stdout: str, label: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if line.startswith(label))
    return line[len(label) :].split()


def test_incident_files_show_the_disagreement_table_and_nothing_is_written(
    incident: tuple[Path, int],
) -> None:
    project, port = incident
    before = snapshot(project)
    result = envsync("adopt", cwd=project)
    assert result.returncode == 1, result.stderr
    compose = _row(result.stdout, "docker-compose.yml (service sparkle_db)")
    env = _row(result.stdout, "backend/.env")
    assert compose == ["postgres", "********", "sparkle", "-", str(port)]
    assert env == ["sparkle_user", "********", "(differs)", "sparkle_db", "localhost", str(port)]
    assert "alembic.ini" in result.stdout and "not a PostgreSQL URL" in result.stdout
    assert "disagree on user, password, database" in result.stdout
    assert "--prefer" in result.stdout
    assert "sparkle_password" not in result.stdout
    assert snapshot(project) == before

    shown = envsync("adopt", "--show-secrets", cwd=project)
    assert shown.returncode == 1
    assert _row(shown.stdout, "docker-compose.yml (service sparkle_db)")[1] == "password"
    assert _row(shown.stdout, "backend/.env")[1:3] == ["sparkle_password", "(differs)"]
    assert snapshot(project) == before


def test_prefer_compose_repairs_the_incident_and_alembic_upgrades_a_real_database(
    incident: tuple[Path, int], tmp_path: Path
) -> None:
    project, port = incident
    before = snapshot(project)
    result = envsync_process("adopt", "--prefer", "docker-compose.yml", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "took user, password, database from docker-compose.yml" in result.stdout
    assert envsync_process("check", cwd=project).returncode == 0

    # The compose file's credentials now reach every file; the user's lines are all there.
    truth = Credentials("postgres", "password", "sparkle", port)
    assert from_compose(project, "sparkle_db") == truth
    assert env_credentials(project) == truth
    env = (project / "backend/.env").read_text()
    assert "OPENAI_API_KEY=sk-test-not-a-key  # rotate monthly\n" in env
    assert env.startswith("# Sparkle backend\n") and 'export LOG_LEVEL="debug"\n' in env
    compose = (project / "docker-compose.yml").read_text()
    assert "env_file: backend/.env  # the app reads DATABASE_URL" in compose
    assert compose.startswith("# Sparkle: local stack\n")
    assert yaml.safe_load(compose)["services"]["backend"]["depends_on"] == ["sparkle_db"]

    # Every file it changed is in the backup, byte for byte as it was.
    backup_line = next(line for line in result.stdout.splitlines() if "backed up" in line)
    backup = project / backup_line.rsplit(" ", 1)[1]
    assert backup.parent == project / ".envsync" / "backup"
    saved = snapshot(backup)
    assert set(saved) == {"docker-compose.yml", "backend/.env", "backend/alembic.ini", "CLAUDE.md"}
    assert all(saved[name] == before[name] for name in saved)
    assert (project / ".envsync/.gitignore").read_text() == "*\n"

    answers = load(project)
    assert (answers.db_service, answers.db_container, answers.db_image) == (
        "sparkle_db",
        "sparkle_db",
        "pgvector/pgvector:pg16",
    )
    assert (answers.app_driver, answers.migrations_driver) == ("asyncpg", "psycopg2")
    raw = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert set(ANSWER_KEYS) <= set(raw)
    assert Path(raw["_src_path"]) == render.template_dir().parent
    assert (Path(raw["_src_path"]) / "copier.yml").is_file()

    # The database compose would start, then the team's own Alembic environment against it.
    data_dir = tmp_path / "volume"
    server.start(ServerSpec(truth.user, truth.password, truth.database, port, data_dir))
    try:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        migrated = subprocess.run(
            [BIN / "alembic", "upgrade", "head"],
            cwd=project / "backend",
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr
        with psycopg.connect(
            host="127.0.0.1",
            port=port,
            user=truth.user,
            password=truth.password,
            dbname=truth.database,
        ) as connection:
            version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            indexes = {
                name
                for (name,) in connection.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'messages'"
                )
            }
    finally:
        server.stop(data_dir)
    assert version == ("0002",)
    assert {
        "ix_messages_embedding_hnsw",
        "ix_messages_summary_embedding_hnsw",
        "ix_messages_session_created",
    } <= indexes


def test_prefer_backend_env_takes_its_values_into_compose(incident: tuple[Path, int]) -> None:
    project, port = incident
    result = adopted(project, "--prefer", "backend/.env")
    truth = Credentials("sparkle_user", "sparkle_password", "sparkle_db", port)
    assert from_compose(project, "sparkle_db") == truth
    assert env_credentials(project) == truth
    assert "a database volume initialised with the old values keeps them" in result.stdout


# --- other layouts --------------------------------------------------------------------------

AGREEING_ENV = "DATABASE_URL=postgresql+psycopg://app:s3cret@127.0.0.1:5433/appdb\nDEBUG=1\n"


def test_list_form_environment_and_long_form_port(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "listy",
        {
            "docker-compose.yml": """
                services:
                  postgres:
                    image: postgres:16
                    environment:
                      - POSTGRES_USER=app
                      - POSTGRES_PASSWORD=s3cret
                      - POSTGRES_DB=appdb
                    ports:
                      - target: 5432
                        published: 5433
                  web:
                    image: nginx:1.27
                    environment:
                      - POSTGRES_HOST=postgres
                """,
            "backend/.env": AGREEING_ENV,
        },
    )
    compose_before = (project / "docker-compose.yml").read_text()
    result = adopted(project)
    assert "backed up" in result.stdout
    assert compose_environment(project, "postgres") == {
        "POSTGRES_USER": "app",
        "POSTGRES_PASSWORD": "s3cret",
        "POSTGRES_DB": "appdb",
    }
    compose = (project / "docker-compose.yml").read_text()
    # Agreeing values are not respelled; only the healthcheck envsync owns was added.
    assert compose.startswith(compose_before.split("    ports:")[0])
    assert "published: 5433" in compose and "- POSTGRES_HOST=postgres" in compose
    assert yaml.safe_load(compose)["services"]["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    answers = load(project)
    assert (answers.db_service, answers.db_port, answers.use_pgvector) == ("postgres", 5433, False)
    assert answers.db_container == "listy-postgres-1"  # the name compose gives the container
    assert (project / "backend/.env").read_text() == AGREEING_ENV


def test_env_file_and_interpolation_defaults(tmp_path: Path) -> None:
    password = "s3cr et#1"
    project = write_tree(
        tmp_path / "interp",
        {
            "docker-compose.yml": """
                services:
                  db:
                    image: ${DB_IMAGE:-pgvector/pgvector:pg16}
                    env_file:
                      - path: db.env
                      - path: db.local.env
                        required: false
                    environment:
                      POSTGRES_USER: ${DB_USER:-app}
                      POSTGRES_DB: ${DB_NAME:-appdb}
                    ports:
                      - "${DB_PORT:-5433}:5432"
                """,
            "db.env": f'POSTGRES_PASSWORD="{password}"\n',
            "backend/.env": (
                "DATABASE_URL=postgresql+asyncpg://app:s3cr%20et%231@127.0.0.1:5433/appdb\n"
            ),
        },
    )
    result = adopted(project)
    compose = (project / "docker-compose.yml").read_text()
    for reference in ("${DB_IMAGE:-pgvector/pgvector:pg16}", "${DB_USER:-app}", "${DB_PORT"):
        assert reference in compose  # values that already agree keep their interpolation
    assert compose_environment(project, "db")["POSTGRES_PASSWORD"] == password
    assert "POSTGRES_PASSWORD came from env_file" in result.stdout
    assert (project / "db.env").read_text() == f'POSTGRES_PASSWORD="{password}"\n'
    assert env_credentials(project) == Credentials("app", password, "appdb", 5433)
    assert load(project).db_image == "pgvector/pgvector:pg16"


def test_project_env_interpolated_by_compose(tmp_path: Path) -> None:
    files = {
        ".env": "DB_PASSWORD=from-project-env\nCOMPOSE_PROFILES=dev\n",
        "docker-compose.yml": """
            services:
              db:
                image: postgis/postgis:16-3.4
                environment:
                  POSTGRES_USER: geo
                  POSTGRES_PASSWORD: ${DB_PASSWORD}
                  POSTGRES_DB: geo
                ports: ["5432:5432"]
            """,
        "backend/.env": "DATABASE_URL=postgresql://geo:from-project-env@db.local:5432/geo\n",
    }
    agreeing = write_tree(tmp_path / "agree", files)
    adopted(agreeing)
    assert "POSTGRES_PASSWORD: ${DB_PASSWORD}\n" in (agreeing / "docker-compose.yml").read_text()
    assert (agreeing / ".env").read_text() == files[".env"]
    answers = load(agreeing)
    assert (answers.db_password, answers.db_host, answers.app_driver) == (
        "from-project-env",
        "db.local",
        "psycopg2",
    )

    files["backend/.env"] = "DATABASE_URL=postgresql://geo:new-password@db.local:5432/geo\n"
    differing = write_tree(tmp_path / "differ", files)
    result = envsync("adopt", cwd=differing)
    assert result.returncode == 1
    assert _row(result.stdout, "docker-compose.yml (service db)")[:2] == ["geo", "********"]
    assert _row(result.stdout, "backend/.env")[:3] == ["geo", "********", "(differs)"]
    result = adopted(differing, "--prefer", "backend/.env")
    assert "POSTGRES_PASSWORD read ${DB_PASSWORD}; it now holds the adopted value" in result.stdout
    assert compose_environment(differing, "db")["POSTGRES_PASSWORD"] == "new-password"


def test_compose_yaml_is_renamed_to_the_file_envsync_manages(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "modern",
        {
            "compose.yaml": """
                name: modern
                services:
                  db:
                    image: timescale/timescaledb:latest-pg16
                    environment:
                      POSTGRES_USER: app
                      POSTGRES_PASSWORD: s3cret
                      POSTGRES_DB: appdb
                    ports:
                      - 127.0.0.1:5433:5432
                """,
            "backend/.env": AGREEING_ENV,
        },
    )
    original = (project / "compose.yaml").read_bytes()
    result = adopted(project)
    assert "renamed compose.yaml to docker-compose.yml" in result.stdout
    assert not (project / "compose.yaml").exists()
    assert (
        (project / "docker-compose.yml")
        .read_text()
        .startswith(original.decode().split("    ports")[0])
    )
    backup = next((project / ".envsync/backup").iterdir())
    assert (backup / "compose.yaml").read_bytes() == original
    assert load(project).db_container == "modern-db-1"
    assert "      - 127.0.0.1:5433:5432\n" in (project / "docker-compose.yml").read_text()


def test_alembic_ini_url_counts_unless_env_py_reads_the_environment(tmp_path: Path) -> None:
    stale = "postgresql+psycopg2://app:old@127.0.0.1:5433/appdb"
    files = {
        "docker-compose.yml": """
            services:
              db:
                image: pgvector/pgvector:pg16
                environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: s3cret, POSTGRES_DB: appdb}
                ports: ["5433:5432"]
            """,
        "backend/.env": AGREEING_ENV,
        "backend/alembic.ini": ALEMBIC_INI.replace("driver://user:pass@localhost/dbname", stale),
        # What `alembic init` generates: the URL comes from alembic.ini.
        "backend/alembic/env.py": """
            from alembic import context
            from sqlalchemy import engine_from_config, pool

            config = context.config
            # DATABASE_URL is not read here
            url = config.get_main_option("sqlalchemy.url")
            """,
    }
    literal = write_tree(tmp_path / "literal", files)
    before = snapshot(literal)
    result = envsync("adopt", cwd=literal)
    assert result.returncode == 1
    assert _row(result.stdout, "backend/alembic.ini (sqlalchemy.url)")[:3] == [
        "app",
        "********",
        "(differs)",
    ]
    assert "disagree on password" in result.stdout
    assert snapshot(literal) == before

    files["backend/alembic/env.py"] = 'import os\nurl = os.environ["DATABASE_URL"]\n'
    from_environment = write_tree(tmp_path / "environ", files)
    result = adopted(from_environment)
    assert "unused: backend/alembic/env.py reads DATABASE_URL" in result.stdout
    ini = Config(str(from_environment / "backend/alembic.ini"))
    url = make_url(ini.get_main_option("sqlalchemy.url"))
    assert (url.password, url.drivername) == ("s3cret", "postgresql+psycopg2")
    assert (
        "[logger_root]\nlevel = WARNING\n" in (from_environment / "backend/alembic.ini").read_text()
    )


def test_claude_md_without_a_section_keeps_every_byte_and_gains_one(tmp_path: Path) -> None:
    own = "# Notes\r\n\r\nUse `make test`.\r\n<!-- my own comment -->"
    project = write_tree(
        tmp_path / "notes",
        {
            "docker-compose.yml": """
                services:
                  db:
                    image: pgvector/pgvector:pg16
                    environment: [POSTGRES_USER=app, POSTGRES_PASSWORD=s3cret, POSTGRES_DB=appdb]
                    ports: ["5433:5432"]
                """,
            "backend/.env": AGREEING_ENV,
        },
    )
    (project / "CLAUDE.md").write_bytes(own.encode())
    result = adopted(project)
    assert "updated CLAUDE.md (credentials section)" in result.stdout
    text = (project / "CLAUDE.md").read_bytes().decode()
    assert text.startswith(own + "\r\n\r\n<!-- envsync:begin credentials")
    assert text.endswith("<!-- envsync:end credentials -->\r\n")
    assert "\nuser: app\r\n" in text and "\r\n\n" not in text

    (project / "CLAUDE.md").unlink()
    (project / ".copier-answers.yml").unlink()
    adopted(project)
    answers = load(project)
    assert (project / "CLAUDE.md").read_text() == render.render_file("CLAUDE.md.jinja", answers)


# --- bad input ------------------------------------------------------------------------------

COMPOSE_DB = """
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: s3cret
"""


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"backend/.env": AGREEING_ENV}, (), "no compose file (compose.yaml, compose.yml,"),
        (
            {"docker-compose.yml": "services:\n  web:\n    image: nginx\n"},
            (),
            "docker-compose.yml: no database service",
        ),
        (
            {
                "docker-compose.yml": COMPOSE_DB
                + "  replica:\n    image: postgres:16\n    environment: [POSTGRES_PASSWORD=x]\n"
            },
            (),
            "docker-compose.yml: services db, replica could each be the database",
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
            {"docker-compose.yml": COMPOSE_DB, "backend/.env": AGREEING_ENV},
            ("--prefer", "backend/settings.py"),
            "backend/settings.py: --prefer must name one of the files read",
        ),
        (
            {"docker-compose.yml": COMPOSE_DB, ".copier-answers.yml": "db_user: app\n"},
            (),
            ".copier-answers.yml: already exists",
        ),
        (
            {"docker-compose.yml": COMPOSE_DB, "backend/.env": "DATABASE_URL=not a url\n"},
            (),
            "backend/.env: DATABASE_URL is not a database URL",
        ),
    ],
    ids=[
        "no-compose",
        "no-database",
        "two-databases",
        "bad-yaml",
        "bad-env-line",
        "unknown-prefer",
        "already-managed",
        "bad-url",
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
            "backend/.env": AGREEING_ENV,
        },
    )
    adopted(project, "--service", "main")
    assert load(project).db_service == "main"
    assert compose_environment(project, "db") == {"POSTGRES_PASSWORD": "other"}


def test_copier_update_works_on_an_adopted_project(template_src: Path, tmp_path: Path) -> None:
    """The answers adopt writes are Copier's: an update brings a template change into the
    adopted CLAUDE.md section and touches nothing else the team wrote. (adopt points
    ``_src_path`` at this repository; the test repoints it at a template it can version.)"""
    template = Path(shutil.copytree(template_src, tmp_path / "template"))
    _git("init", "-q", cwd=template)
    _commit_all(template, "template v1")
    _git("tag", "v1", cwd=template)
    project = incident_project(tmp_path / "sparkle", server.free_port())
    _git("init", "-q", cwd=project)
    _commit_all(project, "the team's files")
    adopted(project, "--prefer", "docker-compose.yml")
    answers_file = project / ".copier-answers.yml"
    raw = yaml.safe_load(answers_file.read_text())
    answers_file.write_text(
        answers_file.read_text()
        .replace(f"_src_path: {raw['_src_path']}", f"_src_path: {template}")
        .replace(f"_commit: {raw['_commit']}", "_commit: v1")
    )
    _commit_all(project, "adopted")
    adopted_files = snapshot(project)

    claude = template / "template/CLAUDE.md.jinja"
    claude.write_text(
        claude.read_text().replace("- `envsync check`", "- Updated.\n- `envsync check`")
    )
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
    assert differing == {".copier-answers.yml", "CLAUDE.md"}
    text = (project / "CLAUDE.md").read_text()
    assert text.startswith("# Sparkle\n\nRun the backend with `uv run fastapi dev`.\n\n")
    section = text.split("<!-- envsync:begin credentials", 1)[1]
    assert "- Updated.\n" in section and "user: postgres\n" in section
    assert yaml.safe_load(answers_file.read_text())["_commit"] == "v2"
