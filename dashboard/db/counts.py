"""Counts Home shows, read from the read model: one statement each, every count read from an index alone.

How the counts stay flat as runs grow. Each one is an index range count (`deleted`, then the grouped or ranged
column, `ix_model_flow_runs_*`), so no row and none of its attributes is read: about 30 ns per run counted, a few
milliseconds at 50,000 runs. That still grows with the runs, so the runs' counts (by status, per day) are also kept
per process between changes, as a collection cache key does (Rails' `cache_key`: newest write, then recount): they
are counted again when the newest `written_at` of a run changes, when the day changes, or after `FRESH_SECONDS`.
The last bounds a write that commits after a newer one (its `written_at` is then not the newest), so a count is
never older than that. Exact counts maintained by triggers beside every upsert would make a miss free too, at a
cost on every webhook's write (the path issue 18 wants at 1,000 a second) and on one hot row under Postgres.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select

from dashboard.db.base import session_scope
from dashboard.db.model import Flow, FlowGeneration, FlowRun, MessageThread

RUN_STATUSES = ("queued", "running", "finished", "timeout", "exception", "cancelled")
FRESH_SECONDS = 30.0
KEPT_MOST = 256  # counts kept per process (a chart's per zone and day, runs by status)
Value = TypeVar("Value")
_lock = threading.Lock()


def totals() -> dict[str, int]:
    """How many flows, threads and generations the model holds (one statement, three index-only counts)."""
    def live(table):
        return select(func.count()).select_from(table).where(~table.deleted).scalar_subquery()
    with session_scope() as session:
        flows, threads, generations = session.execute(
            select(live(Flow), live(MessageThread), live(FlowGeneration))).one()
    return {"flows": flows, "message threads": threads, "flow generations": generations}


def runs_by_status() -> dict[str, int]:
    """How many runs there are in each status (one `GROUP BY status`), every status Home shows, 0 when none."""
    def count() -> dict[str, int]:
        query = select(FlowRun.status, func.count()).where(~FlowRun.deleted).group_by(FlowRun.status)
        with session_scope() as session:
            found = dict(session.execute(query).all())
        return {status: found.get(status, 0) for status in RUN_STATUSES}
    return _kept_between_changes(("status",), count)


def runs_per_day(bounds: tuple[datetime, ...], finished: bool = False) -> list[int]:
    """How many runs were started (by `createdAt`) or finished (status finished, by `updatedAt`) in each stretch
    between two of `bounds` (naive UTC: the days' starts in the page's zone, then the last one's end), as
    `live.chart.counts` counts them from the API."""
    def count() -> list[int]:
        stamp = FlowRun.updated_at if finished else FlowRun.created_at
        # One range count per day in one statement: each reads its day's stretch of the (deleted, [status,] stamp)
        # index. A `GROUP BY date(stamp)` reads the same entries but computes a date and sorts them per run (5x),
        # and knows UTC days only.
        conditions = [~FlowRun.deleted] + ([FlowRun.status == "finished"] if finished else [])
        per_day = [select(func.count()).select_from(FlowRun).where(*conditions, stamp >= start, stamp < end)
                   .scalar_subquery() for start, end in zip(bounds, bounds[1:], strict=False)]
        with session_scope() as session:
            return list(session.execute(select(*per_day)).one())
    return _kept_between_changes(("day", bounds, finished), count)


def _kept_between_changes(key: tuple, count: Callable[[], Value]) -> Value:
    """`count()`, or what it answered last in this process if no run was written since, on the same day, within
    FRESH_SECONDS."""
    with session_scope() as session:
        newest = session.scalar(select(func.max(FlowRun.written_at)))
    stamp, now = (datetime.now(timezone.utc).date(), newest), clock.monotonic()
    kept_here = current_app.extensions.setdefault("home_counts", {})  # per app: each has its own database
    with _lock:
        kept = kept_here.get(key)
    if kept and kept[1][0] == stamp and now - kept[0] < FRESH_SECONDS:
        return kept[1][1]  # type: ignore[return-value]
    value = count()
    with _lock:
        if len(kept_here) >= KEPT_MOST:  # days gone by and zones no page shows any more
            kept_here.clear()
        kept_here[key] = (now, (stamp, value))
    return value
