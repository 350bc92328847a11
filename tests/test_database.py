"""The schema: migrations produce exactly what the models describe, on SQLite and on Postgres."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dashboard.db import approvals, base, events, pushes, stored_settings, users  # noqa: F401 - every table
from dashboard.db.search import outside_search_index


def test_migrations_match_the_models_and_rerun_harmlessly(database_url, offline_app):
    engine = base.make_engine(database_url)
    base.upgrade_schema(engine)  # the app migrated already: running again changes nothing
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(
            connection, opts={"include_name": outside_search_index}), base.Base.metadata) == []
    engine.dispose()
