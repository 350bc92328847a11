"""The one way read-model rows are written: `upsert` (newest `updatedAt` wins) and `remove` (a tombstone).

Both take the caller's session, so a webhook's row is written in the transaction that records its event, and
both are one `INSERT … ON CONFLICT DO UPDATE … WHERE` statement: the database decides newest-wins against the row
as it is when the statement runs (SQLite holds the write lock; Postgres re-checks the WHERE against the newest
committed version after waiting for a concurrent writer), so two workers writing the same row never lose the newer.

Ties: `updatedAt` has whole seconds (reference §1), so two states of a resource can share one. An equal
`updatedAt` with the same content is stale (nothing to write); with different content it is applied (the later
write wins within that second, and the next sync, which reads the API's own state, settles it). A tombstone
wins a tie.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard.db.model import TABLES

APPLIED, STALE = "applied", "stale"


def utcnow() -> datetime:
    """Now as a naive UTC datetime, like every timestamp column of the dashboard."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(value: datetime | str | None) -> datetime | None:
    """An API timestamp (ISO-8601 text with an offset, or a datetime) as naive UTC; None when unreadable."""
    if value is None or value == "":
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def fold(text: str) -> str:
    """Text lower-cased and without accents ("Öztürk" -> "ozturk"), as search compares it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def upsert(session: Session, type_: str, id_: str, attributes: Mapping[str, Any],
           related_ids: Mapping[str, str | None], updated_at: datetime | str | None,
           event_id: str | None = None) -> str:
    """Write a resource's row unless the stored one is as new or newer; answer APPLIED or STALE."""
    related = {name: value for name, value in related_ids.items() if value}
    values = {"id": id_, "type": type_, "attributes": canonical(attributes), "relations": canonical(related),
              "created_at": as_utc(attributes.get("createdAt")), "updated_at": as_utc(updated_at), "deleted": False,
              "event_id": event_id, "written_at": utcnow(), **columns(type_, attributes, related)}
    statement = _upsert_statement(_dialect(session), type_, tuple(values))
    return APPLIED if session.connection().execute(statement, values).first() else STALE


def remove(session: Session, type_: str, id_: str, updated_at: datetime | str | None,
           event_id: str | None = None) -> str:
    """Tombstone a resource's row (kept, marked deleted, so an older update cannot bring it back) unless the
    stored row is newer; answer APPLIED or STALE. A row never seen gets a bare tombstone."""
    values = {"id": id_, "type": type_, "attributes": "{}", "relations": "{}", "created_at": None,
              "updated_at": as_utc(updated_at), "deleted": True, "event_id": event_id, "written_at": utcnow()}
    statement = _remove_statement(_dialect(session), type_)
    return APPLIED if session.connection().execute(statement, values).first() else STALE


# Each statement is built once per type (and dialect) and run with the row's values as parameters: building an
# `INSERT … ON CONFLICT` (its `excluded` columns above all) for every row cost more than running it.
@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, type_: str, names: tuple[str, ...]):
    table = TABLES[type_].__table__
    statement = _INSERTS[dialect](table)
    stored, new = table.c, statement.excluded
    newer = or_(stored.updated_at.is_(None), stored.updated_at < new.updated_at,
                (stored.updated_at == new.updated_at) & ~stored.deleted
                & ((stored.attributes != new.attributes) | (stored.relations != new.relations)))
    return statement.on_conflict_do_update(index_elements=[stored.id], where=newer,
                                           set_={name: new[name] for name in names if name != "id"}
                                           ).returning(stored.id)


@lru_cache(maxsize=64)
def _remove_statement(dialect: str, type_: str):
    table = TABLES[type_].__table__
    statement = _INSERTS[dialect](table)
    stored, new = table.c, statement.excluded
    not_newer = or_(stored.updated_at.is_(None), new.updated_at.is_(None), stored.updated_at <= new.updated_at)
    return statement.on_conflict_do_update(
        index_elements=[stored.id], where=not_newer,
        set_={"deleted": True, "event_id": new.event_id, "written_at": new.written_at,
              "updated_at": func.coalesce(new.updated_at, stored.updated_at)}).returning(stored.id)


def canonical(value: Mapping[str, Any]) -> str:
    """JSON with sorted keys and no spaces: equal content is equal text, so SQL can compare it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def columns(type_: str, attributes: Mapping[str, Any], related: Mapping[str, str]) -> dict[str, Any]:
    """The filter, sort and join columns of a type's row, read from its attributes and related ids."""
    a = attributes
    if type_ == "flows":
        name = _text(a.get("name"), 300)
        return {"name": name, "search_name": " ".join(fold(name or "").split()) or None,
                "flow_generation_id": related.get("flowGeneration"),
                "vacancy_id": related.get("vacancy"), "published_at": as_utc(a.get("publishedAt")),
                "unpublished_changes": _flag(a.get("unpublishedChanges"))}
    if type_ == "nodes":
        return {"flow_id": related.get("flow"), "position": _number(a.get("index"))}
    if type_ == "nodeActions":
        return {"node_id": related.get("node"), "position": _number(a.get("index"))}
    if type_ == "nodeTransitions":
        return {"node_id": related.get("node"), "exit_node_id": related.get("exitNode"),
                "position": _number(a.get("index"))}
    if type_ == "flowRuns":
        return {"flow_id": related.get("flow"), "message_thread_id": related.get("messageThread"),
                "status": _text(a.get("status"), 32)}
    if type_ == "messageThreads":
        return {"candidate_id": related.get("candidate"), "channel": _text(a.get("channel"), 40),
                "identifier": _text(a.get("identifier"), 128), "chatbot_paused": _flag(a.get("chatbotPaused"))}
    if type_ == "candidates":
        first, last = _text(a.get("firstName"), 200), _text(a.get("lastName"), 200)
        name = " ".join(part for part in (first, last) if part) or None
        phone, email = _text(a.get("phone"), 64), _text(a.get("email"), 320)
        return {"first_name": first, "last_name": last, "name": name, "phone": phone, "email": email,
                "search_text": fold(" ".join(part for part in (name, phone, email) if part)) or None}
    if type_ == "messages":
        return {"message_thread_id": related.get("messageThread"), "origin": _text(a.get("origin"), 32),
                "delivery_status": _text(a.get("deliveryStatus"), 32)}
    if type_ == "flowGenerations":
        return {"flow_id": related.get("flow"), "status": _text(a.get("status"), 32)}
    if type_ == "vacancyAnalyses":
        return {"status": _text(a.get("status"), 32)}
    raise KeyError(type_)


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _dialect(session: Session) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def _number(value: Any) -> int | None:
    # A position outside the 64-bit integers the databases keep (10**30, or 1e400, which JSON reads as infinity) is
    # no position: stored as it came would fail the webhook's whole transaction, and every retry of it.
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -2**63 <= number < 2**63 else None


def _flag(value: Any) -> bool:
    # The reference: a `null` boolean means false (§3.1).
    return bool(value)
