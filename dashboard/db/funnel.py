"""A flow's funnel counted in SQL over the read model: of its runs created in each period, how many reached each
step, took each link, left after each step and ended in each status (`dashboard.recrubo.funnel_plan` says what
counts, as conditions over one run's answers and status).

One statement for any number of periods: an inner select reads each run of the flow once (its status, its
creation time and, per `ask` variable, whether its `state` holds an answer, from the row's stored attributes); the
outer select sums every measure per period. The periods nest (7 days within 30 within all), so a push counts all of
them in the one statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, cast, func, literal, not_, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from dashboard.db.base import session_scope
from dashboard.db.model import FlowRun

STATUSES = ("finished", "timeout", "exception", "cancelled", "running", "queued")
# Periods a page offers, by their `period` parameter: their length (None: all runs).
PERIODS: dict[str, timedelta | None] = {"7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}
PERIOD_NAMES = {"7d": "last 7 days", "30d": "last 30 days", "all": "all time"}
DEFAULT_PERIOD = "7d"
# A JSON object key SQLite's path syntax can quote as is (`$.state."first name"`); others go through json_each.
PLAIN_KEY = re.compile(r'[^"\\\x00-\x1f]{1,200}')
# A condition over one run: ("var", name) answered; ("equals", name, text) that answer is `text`; ("status", names);
# ("and"|"or", [conds]); ("not", cond); ("always",).
Cond = tuple


@dataclass(frozen=True)
class Window:
    """Runs created from `start` (inclusive; None: ever) until `end` (exclusive; None: now and later)."""

    start: datetime | None
    end: datetime | None


def windows(period: str, now: datetime) -> tuple[Window, Window | None]:
    """A period's window ending now, and the one of the same length before it (None for all time); from a whole
    second, as the page shows it."""
    length, now = PERIODS[period], now.replace(microsecond=0)
    if length is None:
        return Window(None, None), None
    return Window(now - length, None), Window(now - 2 * length, now - length)


def count(flow_id: str, variables: Sequence[str], conditions: dict[str, Cond], periods: Sequence[Window],
          session: Session | None = None) -> list[dict[str, int]]:
    """For each window, the runs for which each condition holds (by its key), plus `runs` and `status:<name>`
    (`status:other` for the rest); `variables`: every `ask` variable the conditions name."""
    if session is None:
        with session_scope() as own:
            return count(flow_id, variables, conditions, periods, own)
    postgres = session.get_bind().dialect.name == "postgresql"
    flags = [case((_answered(name, postgres), 1), else_=0).label(f"a{index}")
             for index, name in enumerate(variables)]
    compared = sorted({name for cond in conditions.values() for name in _compared(cond)})
    values = [_value(name, postgres).label(f"t{index}") for index, name in enumerate(compared)]
    earliest = [window.start for window in periods]
    where = [FlowRun.flow_id == flow_id, ~FlowRun.deleted]
    if earliest and None not in earliest:
        where.append(FlowRun.created_at >= min(earliest))  # type: ignore[type-var]
    runs = select(FlowRun.status.label("status"), FlowRun.created_at.label("created_at"), *flags, *values).where(
        *where).subquery("runs")
    columns = {name: runs.c[f"a{index}"] == 1 for index, name in enumerate(variables)}
    columns.update({("text", name): runs.c[f"t{index}"] for index, name in enumerate(compared)})
    measures: dict[str, ColumnElement[bool]] = {"runs": true()}
    for status in STATUSES:
        measures[f"status:{status}"] = runs.c.status == status
    measures["status:other"] = or_(runs.c.status.is_(None), runs.c.status.not_in(STATUSES))
    for key, cond in conditions.items():
        measures[key] = _sql(cond, columns, runs.c.status)
    sums = []
    for window in periods:
        inside = _inside(window, runs.c.created_at)
        sums += [func.coalesce(func.sum(case((and_(inside, test), 1), else_=0)), 0) for test in measures.values()]
    row = session.execute(select(*sums).select_from(runs)).one()
    keys = list(measures)
    return [{key: int(row[number * len(keys) + offset]) for offset, key in enumerate(keys)}
            for number in range(len(periods))]


def _inside(window: Window, created_at) -> ColumnElement[bool]:
    parts = []
    if window.start is not None:
        parts.append(created_at >= window.start)
    if window.end is not None:
        parts.append(created_at < window.end)
    return and_(true(), *parts)


def _answered(name: str, postgres: bool) -> ColumnElement[bool]:
    """True when the run's `state` holds a non-null answer under `name` (read from the stored attributes)."""
    if postgres:
        return cast(FlowRun.attributes, JSONB)["state"][name].astext.is_not(None)
    if PLAIN_KEY.fullmatch(name):
        kind = func.json_type(FlowRun.attributes, literal(f'$.state."{name}"'))
        return and_(kind.is_not(None), kind != "null")
    entries = func.json_each(FlowRun.attributes, "$.state").table_valued("key", "type")
    return select(literal(1)).select_from(entries).where(entries.c.key == name,
                                                         entries.c.type != "null").exists()


def _value(name: str, postgres: bool) -> ColumnElement:
    """The run's answer under `name` as text (NULL when missing); `name` is a plain key (PLAIN_KEY)."""
    if postgres:
        return cast(FlowRun.attributes, JSONB)["state"][name].astext
    return func.json_extract(FlowRun.attributes, literal(f'$.state."{name}"'))


def _compared(cond: Cond) -> list[str]:
    if cond[0] == "equals":
        return [cond[1]]
    if cond[0] in ("and", "or"):
        return [name for part in cond[1] for name in _compared(part)]
    if cond[0] == "not":
        return _compared(cond[1])
    return []


def _sql(cond: Cond, columns: dict, status) -> ColumnElement[bool]:
    kind = cond[0]
    if kind == "var":
        return columns[cond[1]]
    if kind == "equals":
        value = columns[("text", cond[1])]
        return and_(value.is_not(None), value == cond[2])
    if kind == "always":
        return true()
    if kind == "status":
        return status.in_(cond[1])
    if kind == "and":
        return and_(*[_sql(part, columns, status) for part in cond[1]])
    if kind == "or":
        return or_(*[_sql(part, columns, status) for part in cond[1]])
    return not_(_sql(cond[1], columns, status))
