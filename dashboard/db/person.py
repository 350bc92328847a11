"""One candidate's story as the read model and the event log hold it: the person, their threads, the messages and
runs of those threads, the steps of the flows run, and the webhook events about any of them.

Every read is one query, capped: a candidate page is as fast with 50,000 runs elsewhere as with none. Rows come
back shaped like the API's resources (`listing.item`), so the partials render them as they render the API's.
In `session` when given (a webhook's transaction, which sees the rows it has just written), else in its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import listing
from dashboard.db.base import session_scope
from dashboard.db.events import Event
from dashboard.db.listing import Item, item
from dashboard.db.model import Candidate, Message, MessageThread, Node, NodeAction

T = TypeVar("T")
THREADS = 20  # threads of one person read at most (people have one or two)


def _read(session: Session | None, read: Callable[[Session], T]) -> T:
    if session is not None:
        return read(session)
    with session_scope() as own:
        return read(own)


def candidate(candidate_id: str, session: Session | None = None) -> Item | None:
    """The candidate, or None when the model does not hold them (or holds them deleted)."""
    def read(db: Session) -> Item | None:
        row = db.scalar(select(Candidate).where(Candidate.id == candidate_id, ~Candidate.deleted)
                        .execution_options(populate_existing=True))
        return item(row) if row is not None else None
    return _read(session, read)


def threads(candidate_id: str, session: Session | None = None) -> list[Item]:
    """The candidate's threads with the candidate attached, latest activity first."""
    return listing.threads(candidate_id=candidate_id, sort="-updatedAt", size=THREADS, session=session).items


def runs(thread_ids: Iterable[str], limit: int, session: Session | None = None) -> list[Item]:
    """The newest `limit` runs on these threads, with their flows and the threads' candidates, newest first."""
    found = [run for thread_id in thread_ids
             for run in listing.runs(thread_id=thread_id, sort="-createdAt", size=limit, session=session).items]
    return sorted(found, key=lambda run: (run.get("createdAt") or "", run.id), reverse=True)[:limit]


def messages(thread_ids: list[str], limit: int, session: Session | None = None) -> list[Item]:
    """The newest `limit` messages of these threads, newest first."""
    if not thread_ids:
        return []
    query = (select(Message).where(Message.message_thread_id.in_(thread_ids), ~Message.deleted)
             .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
             .execution_options(populate_existing=True))
    return _read(session, lambda db: [item(row) for row in db.scalars(query)])


def message(message_id: str, session: Session | None = None) -> Item | None:
    """One message the model holds, or None."""
    query = select(Message).where(Message.id == message_id, ~Message.deleted)
    return _read(session, lambda db: item(db.scalar(query.execution_options(populate_existing=True))))


def thread_messages(thread_id: str, since: datetime, until: datetime | None, session: Session | None = None,
                    limit: int = 200) -> list[Item]:
    """A thread's messages from `since` to `until` (naive UTC, as a run's start and end), oldest first, for the
    steps a run reached."""
    query = select(Message).where(Message.message_thread_id == thread_id, ~Message.deleted,
                                  Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at <= until)
    query = query.order_by(Message.created_at, Message.id).limit(limit).execution_options(populate_existing=True)
    return _read(session, lambda db: [item(row) for row in db.scalars(query)])


def flow_steps(flow_ids: Iterable[str], session: Session | None = None) -> dict[str, list[Item]]:
    """Each flow's steps with their actions (`nodeActions`, in order), as the API includes them."""
    wanted = sorted(set(flow_ids))
    if not wanted:
        return {}
    def read(db: Session) -> dict[str, list[Item]]:
        nodes = list(db.scalars(select(Node).where(Node.flow_id.in_(wanted), ~Node.deleted)
                                .order_by(Node.flow_id, Node.position, Node.id)
                                .execution_options(populate_existing=True)))
        actions = db.scalars(select(NodeAction).where(NodeAction.node_id.in_([node.id for node in nodes]),
                                                      ~NodeAction.deleted)
                             .order_by(NodeAction.node_id, NodeAction.position, NodeAction.id)
                             .execution_options(populate_existing=True)) if nodes else []
        by_node: dict[str, list[Item]] = {}
        for action in actions:
            by_node.setdefault(action.node_id or "", []).append(item(action))
        steps: dict[str, list[Item]] = {}
        for node in nodes:
            shaped = item(node)
            shaped["nodeActions"] = by_node.get(node.id, [])
            steps.setdefault(node.flow_id or "", []).append(shaped)
        return steps
    return _read(session, read)


def events(resource_ids: Iterable[str], limit: int, session: Session | None = None) -> list[Event]:
    """The newest `limit` webhook events (and the sync's own) about any of these resources, newest first."""
    wanted = sorted(set(resource_ids))
    if not wanted:
        return []
    query = (select(Event).where(Event.resource_id.in_(wanted))
             .order_by(Event.received_at.desc(), Event.id.desc()).limit(limit))
    return _read(session, lambda db: list(db.scalars(query)))


def thread_candidate(thread_id: str, session: Session | None = None) -> str | None:
    """The candidate of a thread the model holds (deleted or not), or None."""
    query = select(MessageThread.candidate_id).where(MessageThread.id == thread_id)
    return _read(session, lambda db: db.scalar(query))


def message_thread(message_id: str, session: Session | None = None) -> str | None:
    """The thread of a message the model holds (deleted or not), or None."""
    query = select(Message.message_thread_id).where(Message.id == message_id)
    return _read(session, lambda db: db.scalar(query))
