"""The event log as admins read it: pages over the whole log, newest first, with the many delivery updates of one
message folded into one row, and its pruning after the retention an admin set.

Paging is by keyset on (`received_at`, `id`): a page asks for the rows before the last one it showed, so page 500
costs what page 1 does and a new delivery never shifts a page. A message's `update` events (its delivery status
going accepted → sent → delivered → read) are shown as one row, the newest, carrying the sequence of statuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import aliased

from dashboard.db import stored_settings
from dashboard.db.base import session_scope
from dashboard.db.events import Event, utcnow
from dashboard.db.pushes import Push

PAGE_SIZE = 50
GROUPED = ("messages", "update")  # the (resource type, event) whose events of one resource fold into one row
RETENTION_KEY, RETENTION_DEFAULT_DAYS = "event_log_retention_days", 30
PRUNE_BATCH, PRUNE_BATCHES = 500, 20  # rows per DELETE, DELETEs per pruning (the rest waits for the next one)


@dataclass(frozen=True)
class Step:
    """One update of a grouped row: when it arrived, the status it carried and its verdict."""

    received_at: datetime
    status: str
    verdict: str


@dataclass
class Row:
    """One row of the log: an event, and for a message's delivery updates every one of them (oldest first)."""

    event: Event
    steps: list[Step] = field(default_factory=list)

    @property
    def payload_text(self) -> str:
        """The stored payload, indented for reading (escaped where it is shown)."""
        try:
            return json.dumps(json.loads(self.event.payload), indent=2, ensure_ascii=False)
        except ValueError:
            return self.event.payload

    @property
    def statuses(self) -> list[str]:
        """The statuses of a grouped row in order, each once in a row (accepted → sent → delivered → read)."""
        shown: list[str] = []
        for step in self.steps:
            if not shown or shown[-1] != step.status:
                shown.append(step.status)
        return shown


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the rows received before (`received_at`, `id`)."""

    received_at: datetime
    id: str

    def text(self) -> str:
        """The cursor as the `before` query parameter carries it."""
        return f"{self.received_at.isoformat()},{self.id}"

    @staticmethod
    def parse(text: str) -> Cursor:
        """A cursor from its `text()`; ValueError when it is not one."""
        stamp, _, event_id = text.partition(",")
        if not event_id:
            raise ValueError("no id in the cursor")
        return Cursor(datetime.fromisoformat(stamp).replace(tzinfo=None), event_id[:128])


@dataclass(frozen=True)
class LogPage:
    """One page of rows, and the cursor of the next (older) page, None on the last."""

    rows: list[Row]
    older: Cursor | None


def _conditions(table, verdict: str | None, resource_type: str | None, search: str | None) -> list[ColumnElement]:
    conditions = []
    if verdict:
        conditions.append(table.verdict == verdict)
    if resource_type:
        conditions.append(table.resource_type == resource_type)
    if search:
        pattern = f"%{search}%"
        conditions.append(table.id.like(pattern) | table.resource_id.like(pattern))
    return conditions


def page(verdict: str | None = None, resource_type: str | None = None, search: str | None = None,
         before: Cursor | None = None, size: int = PAGE_SIZE) -> LogPage:
    """The `size` newest rows before `before` (from the newest without it) matching the filters, a message's
    delivery updates folded into its newest one."""
    newer = aliased(Event, name="newer")
    grouped = and_(Event.resource_type == GROUPED[0], Event.event == GROUPED[1])
    a_newer_update = exists().where(
        newer.resource_type == GROUPED[0], newer.event == GROUPED[1], newer.resource_id == Event.resource_id,
        or_(newer.received_at > Event.received_at, and_(newer.received_at == Event.received_at, newer.id > Event.id)),
        *_conditions(newer, verdict, resource_type, search))
    query = (select(Event).where(*_conditions(Event, verdict, resource_type, search))
             .where(or_(~grouped, ~a_newer_update))
             .order_by(Event.received_at.desc(), Event.id.desc()).limit(size + 1))
    if before is not None:
        query = query.where(or_(Event.received_at < before.received_at,
                                and_(Event.received_at == before.received_at, Event.id < before.id)))
    with session_scope() as session:
        events = list(session.scalars(query))
        more = len(events) > size
        events = events[:size]
        rows = [Row(event) for event in events]
        _add_steps(session, [row for row in rows if (row.event.resource_type, row.event.event) == GROUPED],
                   verdict, search)
    last = events[-1] if more and events else None
    return LogPage(rows, Cursor(last.received_at, last.id) if last else None)


def _add_steps(session, rows: list[Row], verdict: str | None, search: str | None) -> None:
    if not rows:
        return
    by_message = {row.event.resource_id: row for row in rows}
    query = (select(Event.resource_id, Event.received_at, Event.verdict, Event.payload)
             .where(Event.resource_type == GROUPED[0], Event.event == GROUPED[1],
                    Event.resource_id.in_(by_message), *_conditions(Event, verdict, None, search))
             .order_by(Event.received_at, Event.id))
    for message_id, received_at, step_verdict, payload in session.execute(query):
        row = by_message[message_id]
        if received_at > row.event.received_at:
            continue  # arrived after this page was read
        row.steps.append(Step(received_at, _status(payload), step_verdict))


def _status(payload: str) -> str:
    try:
        attributes = json.loads(payload)["data"]["attributes"]["resource"]["attributes"]
        return str(attributes.get("deliveryStatus") or attributes.get("status") or "updated")
    except (ValueError, KeyError, TypeError):
        return "updated"


def one(event_id: str) -> Row | None:
    """One event as a row of its own (a replayed event is shown alone)."""
    with session_scope() as session:
        event = session.get(Event, event_id)
        return Row(event) if event is not None else None


def resource_types() -> list[str]:
    """The resource types the log holds, for its filter (read from the `resource_type` index)."""
    with session_scope() as session:
        return sorted(session.scalars(select(Event.resource_type).distinct()))


def prune(days: int, now: datetime | None = None) -> int:
    """Delete events received more than `days` days ago, in batches of PRUNE_BATCH (at most PRUNE_BATCHES), with
    their pushes; an event not yet published (the publisher or its recovery still owes its pushes) is kept.
    Answer how many were deleted."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    deleted = 0
    for _batch in range(PRUNE_BATCHES):
        with session_scope() as session:
            ids = list(session.scalars(select(Event.id).where(Event.received_at < cutoff,
                                                              Event.published_at.is_not(None))
                                       .order_by(Event.received_at).limit(PRUNE_BATCH)))
            if not ids:
                break
            session.execute(delete(Push).where(Push.event_id.in_(ids)))
            session.execute(delete(Event).where(Event.id.in_(ids), Event.published_at.is_not(None)))
        deleted += len(ids)
        if len(ids) < PRUNE_BATCH:
            break
    return deleted


RETENTION_RANGE = range(1, 3651)  # days an admin may keep the log: a day to ten years


def retention_days() -> int:
    """How many days the log keeps an event (stored setting, RETENTION_DEFAULT_DAYS when none was set)."""
    try:
        days = int(stored_settings.get(RETENTION_KEY, str(RETENTION_DEFAULT_DAYS)))
    except ValueError:
        return RETENTION_DEFAULT_DAYS
    return days if days in RETENTION_RANGE else RETENTION_DEFAULT_DAYS


def set_retention_days(text: str) -> int:
    """Store how many days the log keeps an event; ValueError with a readable sentence when `text` is not a
    whole number of days in RETENTION_RANGE."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 6:
        raise ValueError("Give the number of days as a whole number, e.g. 30.")
    days = int(digits)
    if days not in RETENTION_RANGE:
        raise ValueError(f"Keep events between {RETENTION_RANGE.start} and {RETENTION_RANGE.stop - 1} days.")
    stored_settings.put(RETENTION_KEY, str(days))
    return days
