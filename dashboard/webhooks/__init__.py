"""`POST /webhooks/recrubo`: verify, validate, then record, store and publish in one transaction (`live.ingest`),
acknowledged once durable."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.core.security import MAX_BODY_BYTES, csrf
from dashboard.db import events
from dashboard.db.model import TABLES
from dashboard.db.upsert import remove
from dashboard.recrubo.client import parse_resource
from dashboard.recrubo.rows import store
from dashboard.webhooks.payload import EVENTS, Refusal, decode, parse_payload

__all__ = ["EVENTS", "Refusal", "bp", "init_app", "model_writer", "parse_payload", "receive"]
log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
SECRET_HEADER = "X-Recrubo-Webhook-Secret"
MEDIA_TYPES = ("application/vnd.api+json", "application/json")


@bp.post("/recrubo")
@csrf.exempt
def receive() -> ResponseReturnValue:
    """Verify one Recrubo webhook, record it with its read-model row and its pushes in one transaction shared
    with the webhooks arriving meanwhile, and acknowledge it once that is committed."""
    try:
        delivery, document = _verified_delivery()
    except Refusal as refusal:
        # Every value from outside goes in with %r: an id holding a newline cannot forge a log line.
        log.warning("webhook refused (%s %s) from %r: %s%s", refusal.status, refusal.code, request.remote_addr,
                    refusal.detail, f" at {refusal.pointer!r}" if refusal.pointer else "")
        current_app.extensions["webhook_refusals"].append(
            (events.utcnow(), refusal.status, refusal.detail, request.remote_addr))
        error = {"status": str(refusal.status), "code": refusal.code, "title": "Webhook refused",
                 "detail": refusal.detail}
        if refusal.pointer:
            error["source"] = {"pointer": refusal.pointer}
        return jsonify(errors=[error]), refusal.status, {"Content-Type": "application/vnd.api+json"}
    outcome = current_app.extensions["live_ingest"].receive(delivery, model_writer(delivery, document))
    level = logging.WARNING if outcome.verdict == events.FUTURE and not outcome.redelivery else logging.INFO
    log.log(level, "webhook %r %s %s:%r -> %s%s%s", delivery.id, delivery.event, delivery.resource_type,
            delivery.resource_id, outcome.verdict, " (redelivery)" if outcome.redelivery else "",
            f": {outcome.reason}" if outcome.reason and level == logging.WARNING else "")
    body = {"meta": {"event": delivery.id, "verdict": outcome.verdict, "redelivery": outcome.redelivery}}
    return jsonify(body), 200, {"Content-Type": "application/vnd.api+json"}


def model_writer(delivery: events.Delivery, document: dict) -> events.Apply | None:
    """What an applied delivery writes to the read model, in the transaction that records it: the resource as the
    webhook carries it after the event (reference §8.2) upserted, or a delete's tombstone; None for a type the
    model does not keep."""
    if delivery.resource_type not in TABLES:
        return None
    resource = parse_resource(document["data"]["attributes"]["resource"])

    def write(session) -> None:
        if delivery.event == "delete":
            remove(session, delivery.resource_type, delivery.resource_id, resource.get("updatedAt"), delivery.id)
        else:
            store(session, resource, delivery.id)

    return write


def _verified_delivery() -> tuple[events.Delivery, dict]:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Refusal(413, "payload_too_large", "The body is larger than 1 MiB.")
    # Compared before anything of the body is read or parsed, in constant time.
    expected = current_app.config["RECRUBO"].webhook_secret.encode()
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, expected):
        raise Refusal(401, "unauthorized", f"The {SECRET_HEADER} header is missing or wrong.")
    if request.mimetype not in MEDIA_TYPES:
        raise Refusal(415, "unsupported_media_type", "Send the payload as application/vnd.api+json.")
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise Refusal(413, "payload_too_large", "The body is larger than 1 MiB.") from None
    # Decoded as strict UTF-8 once: what is stored is exactly the text that was parsed.
    document = decode(body)
    return parse_payload(document, body.decode("utf-8")), document  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Register the receiver and keep a short in-memory list of refused deliveries for the event log page."""
    from collections import deque

    app.extensions["webhook_refusals"] = deque(maxlen=50)
    app.register_blueprint(bp)
