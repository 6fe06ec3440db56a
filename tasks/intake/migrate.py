"""Brings a registry to the newest schema with Alembic, once per process per database URL.

The migrations are package data (`tasks/intake/migrations/`: env.py and versions/), run programmatically
with a Config built here (no alembic.ini). A registry made before Alembic has no alembic_version table:
revision 0001 keeps the tables it holds and creates the missing ones, 0002 adds the columns and the index
older homes lack. Openers of one registry take turns: a file lock beside a SQLite file, an advisory
lock inside PostgreSQL's transaction. A migration is one transaction, DDL included, on SQLite too. A
registry already at `HEAD` costs one SELECT and no Alembic import.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

HEAD = "0004"  # the newest revision in migrations/versions (tests/test_registry_migrations.py checks it)
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x7A6862  # "zhb": the advisory lock the PostgreSQL openers of one registry share


def current_revision(engine: Engine) -> str | None:
    """The registry's alembic_version, or None (a new registry, or one made before Alembic)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def upgrade(engine: Engine) -> None:
    """Migrate the registry to HEAD unless it is there already (the other openers wait their turn)."""
    if current_revision(engine) == HEAD:
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        _upgrade_locked(engine)
        return
    from filelock import FileLock

    with FileLock(f"{database}.migrate.lock"):
        migrating = _sqlite_transactional(engine)
        try:
            _upgrade_locked(migrating)
        finally:
            migrating.dispose()


def _sqlite_transactional(engine: Engine) -> Engine:
    """An engine on the same SQLite file whose transactions include DDL (pysqlite commits before each CREATE
    on its own): the whole migration is one `BEGIN IMMEDIATE` … COMMIT, one write to disk, all or nothing."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    migrating = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(migrating, "connect")
    def _driver_autocommit(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # no implicit BEGIN/COMMIT from pysqlite: ours below

    @event.listens_for(migrating, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


def _upgrade_locked(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
