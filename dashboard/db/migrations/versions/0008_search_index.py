"""The search index: flows get a folded name, and searched texts get a trigram index (dashboard.db.search).

SQLite: an FTS5 table with the `trigram` tokenizer per searched table, filled from the rows already stored and kept
in step by triggers (so every write, webhook or sync, updates it in its own transaction; a tombstone leaves it).
Postgres: the `pg_trgm` extension and GIN indexes. Where either is missing (an SQLite older than 3.34, or no right
to create the extension), the migration says so in the log and search scans with LIKE, with the same answers.

Revision ID: 0008
Revises: 0007
"""

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# searched table -> (its FTS5 table, the indexed expression, the column that expression reads)
FTS = {"model_candidates": ("model_candidates_search", "search_text", "search_text"),
       "model_message_threads": ("model_message_threads_search", "lower(identifier)", "identifier"),
       "model_flows": ("model_flows_search", "search_name", "search_name")}
# Postgres: index name -> (table, indexed expression)
TRIGRAM = {"ix_model_candidates_search_trgm": ("model_candidates", "search_text"),
           "ix_model_message_threads_identifier_trgm": ("model_message_threads", "lower(identifier)"),
           "ix_model_flows_search_name_trgm": ("model_flows", "search_name")}


def fold(text: str) -> str:
    """As dashboard.db.upsert.fold, frozen here: lower case, no accents, runs of spaces as one."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(char for char in decomposed if not unicodedata.combining(char)).casefold().split())


def upgrade() -> None:
    with op.batch_alter_table("model_flows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.Text(), nullable=True))
    connection = op.get_bind()
    flows = connection.execute(sa.text("SELECT id, name FROM model_flows WHERE name IS NOT NULL")).all()
    if flows:
        connection.execute(sa.text("UPDATE model_flows SET search_name = :folded WHERE id = :id"),
                           [{"id": id_, "folded": fold(name) or None} for id_, name in flows])
    if connection.dialect.name == "sqlite":
        _sqlite_index(connection)
    else:
        _postgres_index(connection)


def _sqlite_index(connection) -> None:
    version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
    if tuple(int(part) for part in version.split(".")[:2]) < (3, 34):
        log.warning("Search: SQLite %s has no FTS5 trigram tokenizer (3.34+); search scans with LIKE instead",
                    version)
        return
    try:
        with connection.begin_nested():
            for table, (fts, expression, column) in FTS.items():
                _create_fts(connection, table, fts, expression, column)
    except sa.exc.OperationalError as error:
        log.warning("Search: SQLite %s could not make an FTS5 trigram table (%s); search scans with LIKE instead",
                    version, error.orig)


def _create_fts(connection, table: str, fts: str, expression: str, column: str) -> None:
    """The FTS5 table of `table`, filled from its live rows, and the triggers that keep it in step.

    Its rowid is the row's rowid (stable: these tables have a primary key index, so even VACUUM keeps rowids).
    A table rebuilt by a later migration (batch mode's copy) loses these triggers: rebuild the index with it."""
    run = connection.exec_driver_sql
    new_text, old_text = (expression.replace(column, f"{row}.{column}") for row in ("new", "old"))
    add = (f"INSERT INTO {fts}(rowid, text) SELECT new.rowid, {new_text} "
           f"WHERE NOT new.deleted AND {new_text} IS NOT NULL")
    # detail=full (the default): phrase queries, which over trigrams are substring matches, need positions.
    run(f"CREATE VIRTUAL TABLE {fts} USING fts5(text, tokenize='trigram case_sensitive 1')")
    run(f"INSERT INTO {fts}(rowid, text) SELECT rowid, {expression} FROM {table} "
        f"WHERE NOT deleted AND {expression} IS NOT NULL")
    run(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add}; END")
    run(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {fts} WHERE rowid = old.rowid; END")
    # An upsert sets every column; only a change of the text or of the tombstone touches the index.
    run(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column}, deleted ON {table} "
        f"WHEN {old_text} IS NOT {new_text} OR old.deleted IS NOT new.deleted "
        f"BEGIN DELETE FROM {fts} WHERE rowid = old.rowid; {add}; END")


def _postgres_index(connection) -> None:
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        log.warning("Search: could not create the pg_trgm extension (%s); search scans with LIKE instead",
                    error.orig)
        return
    for name, (table, expression) in TRIGRAM.items():
        connection.exec_driver_sql(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for fts, _expression, _column in FTS.values():
            for trigger in ("insert", "delete", "update"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
    else:
        for name in TRIGRAM:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("model_flows", schema=None) as batch_op:
        batch_op.drop_column("search_name")
