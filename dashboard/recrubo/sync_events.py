"""What an incremental sync changed, recorded as events beside the rows it wrote, so open pages get the rows a lost
webhook never brought.

A row the sync writes (the upsert answers `applied`) is news no webhook told the pages. The sync records it in the
event log in the transaction that writes the row, as the receiver records a webhook: a webhookPayload-shaped
document holding the resource as the API listed it, verdict `applied`, unpublished, with a reason saying the sync
found it. From there it takes the webhook's way out (the publisher renders the list page's joined row, stores the
push with its seq and publishes it; what a crash leaves unpublished the publisher's recovery publishes), so a
pushed row is the row a reload shows, a page catching up by `since` replays it, and a newer webhook of the same
resource supersedes it. A webhook that arrives late with the same news is then recognised as a duplicate.

The backfill records nothing: until it is done, pages say so and read the API. An incremental pass records at
most PUSH_LIMIT rows of one type (the first it writes, which reading newest first are the newest); a page shows
far fewer, and a page further behind than the replay window reloads anyway.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import events
from dashboard.db.model import TABLES
from dashboard.db.upsert import as_utc
from dashboard.recrubo.rows import attributes_of

PUSH_LIMIT = 200
REASON = "found by the read-model sync: no webhook reported this change"
# Told the ids of the events a pass recorded, once they are committed (the live path's publisher queues them).
Changed = Callable[[list[str]], None]


class Changes:
    """The events one sync pass records, at most PUSH_LIMIT per type."""

    def __init__(self, limit: int = PUSH_LIMIT) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {}
        self.event_ids: list[str] = []

    def room(self, type_: str) -> bool:
        """True while this pass may still record a change of `type_`."""
        return self.counts.get(type_, 0) < self.limit

    def record(self, session: Session, event_id: str, resource: Mapping[str, Any], event: str) -> None:
        """Add the event of a row the sync just wrote in `session` (`event`: create, update or delete)."""
        type_, id_ = resource["type"], resource["id"]
        body = {"id": id_, "type": type_, "attributes": attributes_of(resource)}
        relationships = getattr(resource, "relationships", None)
        if relationships:
            body["relationships"] = dict(relationships)
        document = {"data": {"type": "webhookPayload", "id": event_id,
                             "attributes": {"event": event, "resource": body}}}
        delivery = events.Delivery(id=event_id, resource_type=type_, resource_id=id_, event=event, fields=[],
                                   updated_at=as_utc(resource.get("updatedAt")), attributes=body["attributes"],
                                   payload=json.dumps(document, separators=(",", ":"), default=str))
        # The same digest as the webhook bringing this state would get: arriving late, it is a duplicate.
        session.add(events.Event(
            id=event_id, resource_type=type_, resource_id=id_, event=event, fields="[]",
            updated_at=delivery.updated_at, content_hash=events.content_hash(delivery), verdict=events.APPLIED,
            reason=REASON, deliveries=0, payload=delivery.payload, published_at=None))
        self.counts[type_] = self.counts.get(type_, 0) + 1
        self.event_ids.append(event_id)


def new_event_id() -> str:
    """An id for a sync's event, shaped as the API's ids (the event log and its replay take only those)."""
    return str(uuid.uuid4())


def known(session: Session, type_: str, ids: list[str]) -> set[str]:
    """Which of these ids the dashboard knew before this write: rows the model holds, and resources an event (a
    webhook's or a sync's) ever announced (a row the model lost may be on an open page)."""
    if not ids:
        return set()
    table = TABLES[type_]
    held = set(session.scalars(select(table.id).where(table.id.in_(ids), ~table.deleted)))
    absent = [id_ for id_ in ids if id_ not in held]
    if not absent:
        return held
    return held | set(session.scalars(select(events.Event.resource_id).distinct().where(
        events.Event.resource_type == type_, events.Event.resource_id.in_(absent))))


def kind(resource: Mapping[str, Any], seen: bool, mark: datetime | None) -> str:
    """The event a written row is for pages: a delete; a create when the dashboard never `seen` it (`known`) and it
    was made since the last sync, so a list shows it on top; else an update, refreshed in place on a page that
    shows it (a row the model lost goes back where it was, not on top of the list)."""
    if resource.get("deletedAt"):
        return "delete"
    created = as_utc(resource.get("createdAt"))
    if not seen and (mark is None or created is None or created >= mark):
        return "create"
    return "update"
