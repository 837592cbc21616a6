"""envsync: one set of database credentials for compose, .env, alembic.ini and CLAUDE.md."""
