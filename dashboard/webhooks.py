"""`POST /webhooks/recrubo`: verify, validate, store once, acknowledge, then publish in the background."""

from __future__ import annotations

import hmac
import json
import logging
from datetime import datetime, timezone

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.core.security import MAX_BODY_BYTES, csrf
from dashboard.db import events

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
SECRET_HEADER = "X-Recrubo-Webhook-Secret"
MEDIA_TYPES = ("application/vnd.api+json", "application/json")
EVENTS = ("create", "update", "delete")
MAX_ID_LENGTH = 128


class Refusal(Exception):
    """A delivery the receiver refuses: the HTTP status and a sentence for the sender."""

    def __init__(self, status: int, code: str, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.pointer = status, code, detail, pointer


@bp.post("/recrubo")
@csrf.exempt
def receive() -> ResponseReturnValue:
    """Verify, record and acknowledge one Recrubo webhook; publishing happens after the 2xx."""
    try:
        delivery = _verified_delivery()
    except Refusal as refusal:
        log.warning("webhook refused (%s %s) from %s: %s", refusal.status, refusal.code,
                    request.remote_addr, refusal.detail)
        current_app.extensions["webhook_refusals"].append(
            (events.utcnow(), refusal.status, refusal.detail, request.remote_addr))
        error = {"status": str(refusal.status), "code": refusal.code, "title": "Webhook refused",
                 "detail": refusal.detail}
        if refusal.pointer:
            error["source"] = {"pointer": refusal.pointer}
        return jsonify(errors=[error]), refusal.status, {"Content-Type": "application/vnd.api+json"}
    outcome = events.record_or_redelivery(delivery)
    log.info("webhook %s %s %s:%s -> %s%s", delivery.id, delivery.event, delivery.resource_type,
             delivery.resource_id, outcome.verdict, " (redelivery)" if outcome.redelivery else "")
    if outcome.verdict == events.APPLIED and not outcome.redelivery:
        # Stored first, so a crash from here on loses nothing: the publisher picks it up again.
        current_app.extensions["live_publisher"].submit(delivery.id)
    body = {"meta": {"event": delivery.id, "verdict": outcome.verdict, "redelivery": outcome.redelivery}}
    return jsonify(body), 200, {"Content-Type": "application/vnd.api+json"}


def _verified_delivery() -> events.Delivery:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Refusal(413, "payload_too_large", "The body is larger than 1 MiB.")
    # Compared before anything of the body is read or parsed, in constant time.
    expected = current_app.config["RECRUBO"].webhook_secret.encode()
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not hmac.compare_digest(given, expected):
        raise Refusal(401, "unauthorized", f"The {SECRET_HEADER} header is missing or wrong.")
    if request.mimetype not in MEDIA_TYPES:
        raise Refusal(415, "unsupported_media_type", "Send the payload as application/vnd.api+json.")
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise Refusal(413, "payload_too_large", "The body is larger than 1 MiB.") from None
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "bad_request", "The body is not valid JSON.") from None
    return parse_payload(document, body.decode())


def parse_payload(document: object, raw: str) -> events.Delivery:
    """Validate a webhookPayload document (reference §8.2) and return it as a Delivery, or raise Refusal."""
    data = _object(document.get("data") if isinstance(document, dict) else None, "/data")
    if data.get("type") != "webhookPayload":
        raise Refusal(400, "bad_request", "data.type must be webhookPayload.", "/data/type")
    delivery_id = _identifier(data.get("id"), "/data/id")
    attributes = _object(data.get("attributes"), "/data/attributes")
    event = attributes.get("event")
    if event not in EVENTS:
        raise Refusal(400, "bad_request", "event must be create, update or delete.", "/data/attributes/event")
    fields = attributes.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise Refusal(400, "bad_request", "fields must be a list of names.", "/data/attributes/fields")
    resource = _object(attributes.get("resource"), "/data/attributes/resource")
    resource_type = _identifier(resource.get("type"), "/data/attributes/resource/type")
    resource_id = _identifier(resource.get("id"), "/data/attributes/resource/id")
    resource_attributes = resource.get("attributes") or {}
    if not isinstance(resource_attributes, dict):
        raise Refusal(400, "bad_request", "The resource's attributes must be an object.",
                      "/data/attributes/resource/attributes")
    return events.Delivery(id=delivery_id, resource_type=resource_type, resource_id=resource_id, event=event,
                           fields=fields, updated_at=_timestamp(resource_attributes.get("updatedAt")),
                           attributes=resource_attributes, payload=raw)


def _object(value: object, pointer: str) -> dict:
    if not isinstance(value, dict):
        raise Refusal(400, "bad_request", f"{pointer} must be an object.", pointer)
    return value


def _identifier(value: object, pointer: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise Refusal(400, "bad_request", f"{pointer} must be a non-empty string.", pointer)
    return value


def _timestamp(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refusal(400, "bad_request", "updatedAt must be an ISO-8601 timestamp.",
                      "/data/attributes/resource/attributes/updatedAt") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def init_app(app: Flask) -> None:
    """Register the receiver and keep a short in-memory list of refused deliveries for the event log page."""
    from collections import deque

    app.extensions["webhook_refusals"] = deque(maxlen=50)
    app.register_blueprint(bp)
