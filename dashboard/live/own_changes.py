"""The dashboard's own changes to how a row reads (approving a generated flow), pushed to open pages.

Nothing changed at Recrubo, so no webhook will come: the change is recorded in the event log as an applied event of
the row's resource, with a reason naming what the dashboard did, and takes the webhook's way out (the publisher
renders the list page's joined row, stores the push with its seq and publishes it; a page catching up replays it).
Its digest is its own, so a later webhook with the same resource is never taken for its duplicate.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from flask import Flask

from dashboard.db import events
from dashboard.db.base import session_scope
from dashboard.db.upsert import as_utc
from dashboard.live.publisher import JOINED


def push_row(app: Flask, resource_type: str, resource_id: str, reason: str) -> bool:
    """Push the row of a resource as the read model holds it, re-rendered after a change of the dashboard's own;
    False (nothing pushed: a reload shows it) when the model does not hold the row."""
    reader = JOINED.get(resource_type)
    found = reader(ids=[resource_id]).items if reader is not None else []
    if not found:
        return False
    row = found[0]
    event_id = str(uuid.uuid4())
    body = {"id": resource_id, "type": resource_type,
            "attributes": {key: value for key, value in row.items() if key not in ("id", "type")}}
    document = {"data": {"type": "webhookPayload", "id": event_id, "attributes": {"event": "update", "resource": body}}}
    with session_scope() as session:
        session.add(events.Event(
            id=event_id, resource_type=resource_type, resource_id=resource_id, event="update", fields="[]",
            updated_at=as_utc(row.get("updatedAt")), content_hash=hashlib.sha256(event_id.encode()).hexdigest(),
            verdict=events.APPLIED, reason=reason[:300], deliveries=0,
            payload=json.dumps(document, separators=(",", ":"), default=str), published_at=None))
    app.extensions["live_publisher"].submit(event_id)
    return True
