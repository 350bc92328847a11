"""Resources that exist only in webhooks a test sends to a dashboard (never in the API), named so the read model
joins them, and deleted by webhook afterwards so the model again holds exactly what the API has."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.support.payloads import post_webhook
from tests.support.servers import Server


def now(later_seconds: int = 0) -> str:
    """An `updatedAt` of now (plus `later_seconds`), as the API writes it."""
    return (datetime.now(timezone.utc) + timedelta(seconds=later_seconds)).isoformat(timespec="seconds")


def document(resource_type: str, resource_id: str, attributes: dict, event: str = "create",
             fields: list[str] | None = None) -> dict:
    """A webhookPayload about one resource (reference §8.2)."""
    return {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
        "webhookId": str(uuid.uuid4()), "event": event, "fields": fields or [],
        "resource": {"id": resource_id, "type": resource_type, "attributes": attributes}}}}


class Synthetic:
    """Creates resources by webhook on `server` and deletes them all (newest first) on `clean_up`."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.made: list[tuple[str, str, dict]] = []

    def create(self, resource_type: str, **attributes: object) -> str:
        """A new resource of `resource_type` with `attributes` (created and updated now); its id."""
        resource_id = str(uuid.uuid4())
        stamped = {"createdAt": now(), "updatedAt": now(), **attributes}
        post_webhook(self.server, document(resource_type, resource_id, stamped))
        self.made.append((resource_type, resource_id, stamped))
        return resource_id

    def named_run(self, status: str = "exception") -> tuple[str, str, str]:
        """A run of a new flow on a new candidate's thread, in `status`: (run id, flow name, first name)."""
        flow_name, first_name = f"Home flow {uuid.uuid4().hex[:6]}", f"Homer{uuid.uuid4().hex[:6]}"
        flow = self.create("flows", name=flow_name, reminderInterval=0, sessionTimeout=60)
        candidate = self.create("candidates", firstName=first_name, lastName="Synthetic",
                                phone="316" + str(uuid.uuid4().int)[:8])
        thread = self.create("messageThreads", channel="sms", identifier="316" + str(uuid.uuid4().int)[:8],
                             candidateId=candidate, chatbotPaused=False)
        run = self.create("flowRuns", flowId=flow, messageThreadId=thread, status=status, state={}, cost=0)
        return run, flow_name, first_name

    def clean_up(self) -> None:
        """Delete every resource made, newest first, by webhook."""
        for resource_type, resource_id, attributes in reversed(self.made):
            post_webhook(self.server, document(resource_type, resource_id,
                                               {**attributes, "updatedAt": now(1)}, event="delete"))
        self.made.clear()
