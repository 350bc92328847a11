"""The push log: every frame published to a live channel, numbered, so a reconnecting page catches up."""

from __future__ import annotations

import json
from typing import NamedTuple

from sqlalchemy import ForeignKey, Integer, String, Text, bindparam, func, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from dashboard.db.base import Base, session_scope
from dashboard.db.events import Event, utcnow

# Pushes older than this many sequence numbers are pruned; a page further behind reloads instead.
KEEP_PUSHES = 20000


class Push(Base):
    """One frame published to one live channel; `seq` orders them for catch-up after a reconnect."""

    __tablename__ = "live_pushes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(200), index=True)
    frame: Mapped[str] = mapped_column(Text)


class Stored(NamedTuple):
    """A push as stored: its channel, its seq and its frame (JSON text carrying the seq)."""

    channel: str
    seq: int
    frame: str


def store_pushes(event_id: str, bodies: list[tuple[str, dict]]) -> list[Stored]:
    """Store an event's frames (channel, JSON body), each stamped with its seq, and mark it published."""
    with session_scope() as session:
        stored = insert_pushes(session, event_id, bodies)
        events = Event.__table__
        session.execute(update(events).where(events.c.id == event_id).values(published_at=utcnow()))
    return stored


def insert_pushes(session: Session, event_id: str, bodies: list[tuple[str, dict]]) -> list[Stored]:
    """Store an event's frames in the caller's transaction, each stamped with its seq (in the order given)."""
    if not bodies:
        return []
    connection = session.connection()
    # One multi-row INSERT: the database numbers the pushes, in the order given; each frame carries its number, so
    # a page knows where it is.
    seqs = connection.execute(_INSERT, [{"event_id": event_id, "channel": channel, "frame": ""}
                                        for channel, _ in bodies]).scalars().all()
    stored = [Stored(channel, seq, json.dumps({"seq": seq, **body}, separators=(",", ":")))
              for seq, (channel, body) in zip(seqs, bodies, strict=True)]
    connection.execute(_FRAMED, [{"number": push.seq, "text": push.frame} for push in stored])
    return stored


# Built once with parameters (compiled once, cached), as the receiver runs them for every webhook.
_PUSHES = Push.__table__
_INSERT = insert(_PUSHES).returning(_PUSHES.c.seq, sort_by_parameter_order=True)
_FRAMED = update(_PUSHES).where(_PUSHES.c.seq == bindparam("number")).values(frame=bindparam("text"))


def last_seq() -> int:
    """The newest push's sequence number (0 when none): a page rendered now has seen everything up to it."""
    with session_scope() as session:
        return session.scalar(select(func.max(Push.seq))) or 0


def pushes_since(seq: int, channels: set[str], limit: int) -> list[Push] | None:
    """Pushes after `seq` on these channels in order, or None when more than `limit` or already pruned."""
    with session_scope() as session:
        oldest = session.scalar(select(func.min(Push.seq)))
        if seq and oldest is not None and seq < oldest - 1:
            return None
        pushes = list(session.scalars(select(Push).where(Push.seq > seq, Push.channel.in_(channels))
                                      .order_by(Push.seq).limit(limit + 1)))
    return None if len(pushes) > limit else pushes


def prune_pushes(keep: int = KEEP_PUSHES) -> None:
    """Forget pushes older than the newest `keep`, so the log of frames stays bounded."""
    with session_scope() as session:
        newest = session.scalar(select(func.max(Push.seq))) or 0
        if newest > keep:
            session.query(Push).filter(Push.seq <= newest - keep).delete()
