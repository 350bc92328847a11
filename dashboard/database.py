"""The dashboard's own database: engine, sessions and schema (users, settings, event log)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """The declarative base every dashboard table derives from."""


def init_app(app: Flask, database_url: str) -> None:
    """Create the engine and the schema, and keep the session factory in app.extensions."""
    engine = create_engine(database_url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    # Models register on Base when imported; import them before create_all sees the metadata.
    from dashboard import events, users  # noqa: F401

    Base.metadata.create_all(engine)
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
