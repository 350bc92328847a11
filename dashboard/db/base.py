"""The dashboard's own database: engine, sessions and schema (users, settings, event log)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """The declarative base every dashboard table derives from."""


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant: Postgres advisory lock key under which one process at a time migrates.
MIGRATION_LOCK = 7_727_274


def make_engine(database_url: str) -> Engine:
    """An engine for the dashboard's database, with SQLite tuned for concurrent readers."""
    engine = create_engine(database_url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is current."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def init_app(app: Flask, database_url: str) -> None:
    """Create the engine, migrate the schema, and keep the session factory in app.extensions."""
    engine = make_engine(database_url)
    upgrade_schema(engine)
    app.extensions["database"] = sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = current_app.extensions["database"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["database"].kw["bind"]


def check() -> str:
    """Run a trivial query and answer 'ok', or raise what the database raised."""
    with engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return "ok"


def _sqlite_pragmas(connection, _record) -> None:
    # WAL lets readers work while a webhook writes; busy_timeout waits out a writer instead of failing.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
