"""Alembic's entry point: migrations run on the connection `base.upgrade_schema` hands over."""

from alembic import context

from dashboard.db import approvals, events, pushes, stored_settings, users  # noqa: F401 - the tables, for autogenerate
from dashboard.db.base import Base
from dashboard.db.search import outside_search_index

connection = context.config.attributes["connection"]
# Batch mode lets SQLite, which cannot ALTER most things in place, take the same migrations as Postgres.
# The search index's FTS5 tables and trigram indexes are built by hand (migration 0008): autogenerate skips them.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  include_name=outside_search_index)
with context.begin_transaction():
    context.run_migrations()
