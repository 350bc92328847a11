"""Webhook payloads as Recrubo sends them (reference §8.2), and delivering them to the dashboard's receiver."""

from __future__ import annotations

import json
import uuid

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.servers import WEBHOOK_SECRET, Server

RECEIVER = "/webhooks/recrubo"
JSONAPI = "application/vnd.api+json"
WEBHOOK_HEADERS = {"Content-Type": JSONAPI, "X-Recrubo-Webhook-Secret": WEBHOOK_SECRET}


def payload(resource_id: str | None = None, *, delivery_id: str | None = None, event: str = "update",
            status: str = "running", updated_at: str = "2026-11-23T10:00:00+00:00", resource_type: str = "flowRuns",
            fields: list[str] | None = None) -> dict:
    """A webhookPayload document as reference §8.2 shows it."""
    return {"data": {"type": "webhookPayload", "id": delivery_id or str(uuid.uuid4()), "attributes": {
        "webhookId": str(uuid.uuid4()), "event": event, "fields": fields if fields is not None else ["status"],
        "resource": {"id": resource_id or str(uuid.uuid4()), "type": resource_type, "attributes": {
            "flowId": "f" * 36, "messageThreadId": "t" * 36, "state": {}, "status": status, "cost": 1,
            "createdAt": "2026-11-23T09:59:00+00:00", "updatedAt": updated_at}}}}}


def deliver(client: FlaskClient, document: dict | bytes | str, secret: str | None = WEBHOOK_SECRET,
            content_type: str = JSONAPI) -> TestResponse:
    """POST `document` to the receiver of an in-process dashboard (a Flask test client); return the response."""
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers["X-Recrubo-Webhook-Secret"] = secret
    body = document if isinstance(document, (bytes, str)) else json.dumps(document)
    return client.post(RECEIVER, data=body, headers=headers)


def post_webhook(server: Server, document: dict) -> None:
    """POST `document` to a started dashboard's receiver over HTTP, asserting it was acknowledged."""
    response = requests.post(f"{server.url}{RECEIVER}", data=json.dumps(document), timeout=10,
                             headers=WEBHOOK_HEADERS)
    assert response.status_code == 200, response.text
