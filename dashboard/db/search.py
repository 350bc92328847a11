"""Search over the read model: people (candidate name, phone, e-mail, or their thread's identifier) and flow names,
case and accents ignored, served by an index rather than a scan of every row.

Every searched text is stored folded (lower case, no accents: `upsert.fold`), and a search is folded the same way,
so a match is "the folded text contains the folded search": `LIKE '%…%'`, which no B-tree index serves. The index:

- SQLite: one FTS5 table per searched table with the `trigram` tokenizer (SQLite ≥ 3.34), rowid = the row's rowid,
  kept in step by triggers that the same `INSERT … ON CONFLICT` of `dashboard.db.upsert` fires, in its transaction;
  a tombstoned row leaves the index. A search is one quoted FTS5 phrase, which over trigrams is a substring match
  and makes every character literal (`"`, `*`, `NEAR`, `OR`, `%`, `_`).
- Postgres: `pg_trgm` GIN indexes on the same columns, which serve the plain `LIKE '%…%'`.

Trigrams cannot help a search shorter than three characters; it (and a database built where FTS5 or pg_trgm was
missing: migration 0008 logs that) takes the `LIKE` scan, with the same answers.
"""

from __future__ import annotations

import logging
import re
import weakref

from sqlalchemy import Boolean, ColumnElement, Select, column, func, select, table, text, union
from sqlalchemy.engine import Engine

from dashboard.db import base
from dashboard.db.model import Flow, MessageThread
from dashboard.db.upsert import fold

# A trigram index needs at least one trigram in the search.
SHORTEST_INDEXED = 3
# What people type inside a phone number: "+31 (6) 12-34" is searched as its digits.
PHONE_PUNCTUATION = re.compile(r"[\s+()-]")
# SQLite's FTS5 tables, by the table they index, and the expression each indexes (as the triggers write it).
FTS_TABLES = {"model_candidates": ("model_candidates_search", "search_text"),
              "model_message_threads": ("model_message_threads_search", "lower(identifier)"),
              "model_flows": ("model_flows_search", "search_name")}
# Postgres's trigram indexes.
TRIGRAM_INDEXES = ("ix_model_candidates_search_trgm", "ix_model_message_threads_identifier_trgm",
                   "ix_model_flows_search_name_trgm")

log = logging.getLogger(__name__)
_fts_ready: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def folded(search: str) -> str:
    """A search as searched texts are stored: folded, runs of spaces as one, no NUL (which would cut it short)."""
    return " ".join(fold(search.replace("\x00", "")).split())


def phone_digits(search: str) -> str:
    """The digits of a search typed as a phone number ("+31 6 1234 5678"), or "" when it is not one."""
    digits = PHONE_PUNCTUATION.sub("", search)
    return digits if digits.isdigit() else ""


def thread_matches(search: str, thread=MessageThread, *, use_index: bool = True) -> ColumnElement[bool]:
    """The condition "`thread`'s candidate (name, phone, e-mail) or its identifier contains `search`".

    A phone number is searched as its digits. The condition names only `thread` (any alias of the threads table),
    as "its id is among the matching threads'", so the database can start from the index's few matches."""
    wanted = phone_digits(search) or folded(search)
    indexed = use_index and _indexable(wanted)
    threads = table("model_message_threads", column("rowid"), column("id"), column("candidate_id"),
                    column("identifier"), column("deleted", Boolean)).alias("searched_threads")
    people = _matching("model_candidates", "search_text", wanted, indexed)
    by_person = select(threads.c.id).where(threads.c.candidate_id.in_(people), ~threads.c.deleted)
    by_identifier = select(threads.c.id).where(
        _contains(threads, func.lower(threads.c.identifier), wanted, indexed), ~threads.c.deleted)
    return thread.id.in_(union(by_person, by_identifier))


def flow_matches(search: str, flow=Flow, *, use_index: bool = True) -> ColumnElement[bool]:
    """The condition "`flow`'s name contains `search`", case and accents ignored."""
    wanted = folded(search)
    return flow.id.in_(_matching("model_flows", "search_name", wanted, use_index and _indexable(wanted)))


def outside_search_index(name: str | None, type_: str, _parent: dict) -> bool:
    """Alembic's `include_name`: False for the search index's own tables and indexes, which the migration builds
    by hand (FTS5 virtual tables and their shadow tables, trigram indexes) and no model describes."""
    if type_ == "table":
        return not any(name == fts or name.startswith(f"{fts}_") for fts, _ in FTS_TABLES.values())
    return not (type_ == "index" and name in TRIGRAM_INDEXES)


def _matching(table_name: str, searched: str, wanted: str, indexed: bool) -> Select:
    """The ids of live rows of `table_name` whose folded `searched` column contains `wanted`."""
    rows = table(table_name, column("rowid"), column("id"), column(searched),
                 column("deleted", Boolean)).alias(f"searched_{table_name.removeprefix('model_')}")
    return select(rows.c.id).where(_contains(rows, rows.c[searched], wanted, indexed), ~rows.c.deleted)


def _contains(rows, searched: ColumnElement, wanted: str, indexed: bool) -> ColumnElement[bool]:
    """`searched` contains `wanted`: through the FTS5 table on SQLite when `indexed`, else a LIKE (which
    Postgres serves from its trigram index)."""
    if indexed and base.engine().dialect.name == "sqlite":
        fts_name, _ = FTS_TABLES[rows.element.name]
        fts = table(fts_name, column("rowid"), column("text"))
        phrase = '"' + wanted.replace('"', '""') + '"'
        return rows.c.rowid.in_(select(fts.c.rowid).where(fts.c.text.op("MATCH")(phrase)))
    return searched.contains(wanted, autoescape=True)


def _indexable(wanted: str) -> bool:
    """True when the index can answer a search for `wanted`: long enough, and (on SQLite) the FTS5 tables and
    their triggers are all there. A table rebuilt by a later migration loses its triggers, and an index no longer
    kept in step would answer wrongly: the LIKE scan answers right, only slower (and the log says so, once)."""
    if len(wanted) < SHORTEST_INDEXED:
        return False
    engine = base.engine()
    if engine.dialect.name != "sqlite":
        return True
    if engine not in _fts_ready:
        wanted_names = {fts for fts, _ in FTS_TABLES.values()} | {
            f"{fts}_{change}" for fts, _ in FTS_TABLES.values() for change in ("insert", "update", "delete")}
        with engine.connect() as connection:
            present = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")).scalars())
        _fts_ready[engine] = wanted_names <= present
        if not _fts_ready[engine]:
            log.warning("Search: the FTS5 index lacks %s; searching with LIKE scans",
                        ", ".join(sorted(wanted_names - present)))
    return _fts_ready[engine]
