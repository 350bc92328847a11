"""Every row of a sorted query, read in keyset chunks: a list of 50,000 rows costs the memory of one chunk.

An export reads a whole list in its page's order. OFFSET paging would walk every skipped row again for each chunk
(and skip or repeat rows when one is added meanwhile); a keyset reads the rows after the last one seen, in index
order, so each chunk costs the same. Each chunk runs in a session of its own, so a slow download holds no
connection or transaction between chunks.

The order is one column (which may be NULL) then the id (never NULL), each ascending or descending. Where NULLs
sort differs by database (SQLite: smallest; Postgres: largest), so the rows whose column is NULL are read as a
phase of their own, before or after the others, wherever the database's own ORDER BY puts them: the chunks read
the rows in exactly the order a page shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_

from dashboard.db.base import engine, session_scope

CHUNK = 500


def each(query: Select, column: ColumnElement, descending: bool, id_column: ColumnElement, id_descending: bool,
         shape: Callable[..., Any], size: int = CHUNK) -> Iterator[Any]:
    """Every row of `query` ordered by `column` then `id_column` (each descending or not), shaped by
    `shape(*row)`; read `size` rows at a time. The first entity of each row holds both columns' values."""
    nulls_large = engine().dialect.name == "postgresql"
    nulls_first = descending == nulls_large
    phases = [True, False] if nulls_first else [False, True]
    order = [column.desc() if descending else column.asc(), id_column.desc() if id_descending else id_column.asc()]
    for nulls in phases:
        phase = query.where(column.is_(None) if nulls else column.is_not(None)).order_by(*order)
        cursor: tuple[Any, Any] | None = None
        while True:
            chunk = phase if cursor is None else phase.where(_after(cursor, column, descending, id_column,
                                                                     id_descending, nulls))
            with session_scope() as session:
                rows = session.execute(chunk.limit(size)).all()
                shaped = [shape(*row) for row in rows]
                if rows:
                    newest = rows[-1][0]  # the last row read: the next chunk starts after it
                    cursor = (getattr(newest, column.key), getattr(newest, id_column.key))
            yield from shaped
            if len(rows) < size:
                break


def _after(cursor: tuple[Any, Any], column: ColumnElement, descending: bool, id_column: ColumnElement,
           id_descending: bool, nulls: bool) -> ColumnElement[bool]:
    """The rows after `cursor` (its column value and id) in the order: written as a range on the column
    (`column <= value AND (column < value OR id past the last)`) so the database walks its index from there."""
    value, last = cursor
    id_past = id_column < last if id_descending else id_column > last
    if nulls:  # the column is NULL throughout this phase: the id alone orders it
        return id_past
    within = column <= value if descending else column >= value
    past = column < value if descending else column > value
    return and_(within, or_(past, id_past))
