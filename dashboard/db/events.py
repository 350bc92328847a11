"""The webhook event log: every delivery stored once, its verdict, and how many sockets it reached."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, Index, Integer, Select, String, Text, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from dashboard.db import chunks
from dashboard.db.base import Base, session_scope

APPLIED, DUPLICATE, STALE = "applied", "duplicate", "stale"
# FUTURE: updatedAt ahead of our clock, never applied; FAILED: applied, but the publisher gave up on it.
FUTURE, FAILED = "future", "failed"
VERDICTS = (APPLIED, DUPLICATE, STALE, FUTURE, FAILED)
# How far ahead of this clock an updatedAt may be (clocks drift); further ahead, it would win newest-wins forever.
FUTURE_TOLERANCE = timedelta(minutes=5)
PUBLISH_ATTEMPTS = 3


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every column here holds (SQLite keeps no offsets)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Event(Base):
    """One webhook delivery, keyed by the payload `id`, with what the dashboard made of it."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    resource_type: Mapped[str] = mapped_column(String(64), index=True)
    resource_id: Mapped[str] = mapped_column(String(128), index=True)
    event: Mapped[str] = mapped_column(String(16))
    fields: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[str] = mapped_column(Text)
    # Set when the pushes were rendered and published; NULL after a crash means "publish me".
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sockets: Mapped[int] = mapped_column(Integer, default=0)
    # Failed publishing attempts so far; at PUBLISH_ATTEMPTS the event is marked FAILED with the last error.
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A resource's events, for every webhook's verdict (twin, newest applied updatedAt) and the publisher's check.
    __table_args__ = (Index("ix_webhook_events_resource", "resource_id", "resource_type", "verdict", "updated_at"),)

    @property
    def document(self) -> dict:
        """The stored webhookPayload document."""
        return json.loads(self.payload)

    @property
    def field_list(self) -> list[str]:
        """The changed fields the payload named (empty when it named none)."""
        return json.loads(self.fields or "[]")


@dataclass(frozen=True)
class Delivery:
    """A validated webhookPayload, ready to be recorded."""

    id: str
    resource_type: str
    resource_id: str
    event: str
    fields: list[str]
    updated_at: datetime | None
    attributes: dict
    payload: str


@dataclass(frozen=True)
class Outcome:
    """What recording a delivery decided: the verdict, and whether it was a redelivery of a stored id."""

    event_id: str
    verdict: str
    redelivery: bool
    reason: str | None = None


def content_hash(delivery: Delivery) -> str:
    """A digest of what the delivery says, so a retry under a new id is recognised as the same news."""
    canonical = json.dumps([delivery.resource_type, delivery.resource_id, delivery.event,
                            delivery.attributes], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# What an applied delivery also writes, in the transaction that records it (the read model's upsert).
Apply = Callable[[Session], object]


def record(delivery: Delivery, apply: Apply | None = None) -> Outcome:
    """Store a delivery once and decide its verdict: applied, duplicate (same content) or stale (older); an
    applied one also runs `apply` in the same transaction, so the event and what it wrote commit together."""
    with session_scope() as session:
        outcome, event = decide(session, delivery)
        if event is not None:
            if event.verdict == APPLIED:
                event.published_at = None  # the publisher stores its pushes later
            store(session, event)  # the event row first: a concurrent twin fails here, before anything else
            if event.verdict == APPLIED and apply is not None:
                apply(session)
    return outcome


def record_or_redelivery(delivery: Delivery, apply: Apply | None = None) -> Outcome:
    """`record`, treating a concurrent insert of the same id (another worker won the race) as a redelivery."""
    try:
        return record(delivery, apply)
    except IntegrityError:
        return record(delivery, apply)


def decide(session: Session, delivery: Delivery) -> tuple[Outcome, Event | None]:
    """In the caller's transaction: count a redelivery of a stored id (its stored outcome, and None), or decide a
    new delivery's verdict (the outcome, and its Event, not stored yet: `store` writes it). A decided event is
    marked published unless it is applied and its caller publishes it."""
    connection = session.connection()
    digest = content_hash(delivery)
    # One query answers all the verdict needs: the stored delivery of this id, a twin, the newest applied update.
    known = connection.execute(_KNOWN, {"event_id": delivery.id, "type": delivery.resource_type,
                                        "resource": delivery.resource_id, "event": delivery.event,
                                        "digest": digest}).one()
    if known.verdict is not None:
        connection.execute(_REDELIVERED, {"event_id": delivery.id})
        return Outcome(delivery.id, known.verdict, True, known.reason), None
    verdict, reason = _verdict(delivery, known.twin, known.newest)
    now = utcnow()
    event = Event(id=delivery.id, received_at=now, resource_type=delivery.resource_type,
                  resource_id=delivery.resource_id, event=delivery.event, fields=json.dumps(delivery.fields),
                  updated_at=delivery.updated_at, content_hash=digest, verdict=verdict, reason=reason, deliveries=1,
                  payload=delivery.payload, published_at=now, claimed_at=None, sockets=0, publish_attempts=0)
    return Outcome(delivery.id, verdict, False, reason), event


def store(session: Session, event: Event) -> None:
    """Insert a decided event (`decide`) in the caller's transaction: one Core statement, no unit of work."""
    session.connection().execute(_INSERT, {column.key: getattr(event, column.key) for column in _EVENTS.columns})


# The receiver's statements, built once with parameters (compiled once, cached): building a statement from the
# ORM's attributes for every webhook cost more than running it.
_EVENTS = Event.__table__
_REDELIVERED = update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id")).values(deliveries=_EVENTS.c.deliveries + 1)
_INSERT = insert(_EVENTS)
_SAME_RESOURCE = (_EVENTS.c.resource_type == bindparam("type"), _EVENTS.c.resource_id == bindparam("resource"))
_KNOWN = select(
    select(_EVENTS.c.verdict).where(_EVENTS.c.id == bindparam("event_id")).scalar_subquery().label("verdict"),
    select(_EVENTS.c.reason).where(_EVENTS.c.id == bindparam("event_id")).scalar_subquery().label("reason"),
    select(_EVENTS.c.id).where(*_SAME_RESOURCE, _EVENTS.c.event == bindparam("event"),
                               _EVENTS.c.content_hash == bindparam("digest")).limit(1).scalar_subquery().label("twin"),
    select(func.max(_EVENTS.c.updated_at)).where(*_SAME_RESOURCE, _EVENTS.c.verdict == APPLIED)
    .scalar_subquery().label("newest"))


def _verdict(delivery: Delivery, twin: str | None, newest: datetime | None) -> tuple[str, str | None]:
    if twin is not None:
        return DUPLICATE, f"same content as event {twin}"
    if delivery.updated_at is not None and delivery.updated_at > utcnow() + FUTURE_TOLERANCE:
        return FUTURE, (f"updatedAt {delivery.updated_at.isoformat()} is more than "
                        f"{FUTURE_TOLERANCE.seconds // 60} minutes ahead of this server's clock")
    if delivery.updated_at is not None and newest is not None and delivery.updated_at < newest:
        return STALE, f"updatedAt {delivery.updated_at.isoformat()} is older than {newest.isoformat()}"
    return APPLIED, None


def get(event_id: str) -> Event | None:
    """One stored event."""
    with session_scope() as session:
        return session.get(Event, event_id)


def recent(limit: int = 100, verdict: str | None = None, resource_type: str | None = None,
           search: str | None = None) -> list[Event]:
    """The newest events, optionally only one verdict, one resource type, or ids containing `search`."""
    query = matching(verdict, resource_type, search).order_by(Event.received_at.desc(), Event.id).limit(limit)
    with session_scope() as session:
        return list(session.scalars(query))


def matching(verdict: str | None = None, resource_type: str | None = None, search: str | None = None) -> Select:
    """The events of one verdict, one resource type and ids containing `search` (each when given), unordered."""
    query = select(Event)
    if verdict:
        query = query.where(Event.verdict == verdict)
    if resource_type:
        query = query.where(Event.resource_type == resource_type)
    if search:
        pattern = f"%{search}%"
        query = query.where(Event.id.like(pattern) | Event.resource_id.like(pattern))
    return query


def every(verdict: str | None = None, resource_type: str | None = None, search: str | None = None) -> Iterator[Event]:
    """Every matching event in the log's order (newest first), read in keyset chunks (`chunks`), for an export."""
    return chunks.each(matching(verdict, resource_type, search), Event.received_at, True, Event.id, False,
                       lambda event: event)


def count() -> int:
    """How many events are stored."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def claim_unpublished(older_than_seconds: float, limit: int = 50) -> list[Event]:
    """Applied events a crash left unpublished, each claimed by one process (a conditional UPDATE)."""
    now = utcnow()
    cutoff = datetime.fromtimestamp(now.timestamp() - older_than_seconds)
    claimed = []
    with session_scope() as session:
        candidates = list(session.scalars(select(Event).where(
            Event.verdict == APPLIED, Event.published_at.is_(None), Event.received_at < cutoff,
            (Event.claimed_at.is_(None)) | (Event.claimed_at < cutoff)).order_by(Event.received_at).limit(limit)))
    for candidate in candidates:
        with session_scope() as session:
            won = session.execute(update(Event).where(
                Event.id == candidate.id, Event.published_at.is_(None),
                (Event.claimed_at.is_(None)) | (Event.claimed_at < cutoff)).values(claimed_at=now)).rowcount
        if won:
            claimed.append(candidate)
    return claimed


def publish_failed(event_id: str, error: str) -> bool:
    """Count a failed attempt to publish an event; at PUBLISH_ATTEMPTS mark it FAILED with `error` (one line) so
    it is never tried again. True when it was marked failed."""
    reason = " ".join(error.split())[:300] or "unknown error"
    with session_scope() as session:
        event = session.get(Event, event_id)
        if event is None or event.verdict != APPLIED:
            return False
        event.publish_attempts += 1
        if event.publish_attempts < PUBLISH_ATTEMPTS:
            event.claimed_at = None  # recovery tries it again
            return False
        event.verdict, event.published_at = FAILED, utcnow()
        event.reason = f"not published after {event.publish_attempts} attempts: {reason}"[:300]
    return True


def add_sockets(reached: dict[str, int]) -> None:
    """Count the sockets one process pushed events to, by event id (every worker adds its own), in one commit."""
    if not reached:
        return
    with session_scope() as session:
        session.connection().execute(_ADD_SOCKETS, [{"event_id": event_id, "count": count}
                                                    for event_id, count in reached.items()])


_ADD_SOCKETS = update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id")).values(
    sockets=_EVENTS.c.sockets + bindparam("count"))
