"""The webhook receiver: refusals store nothing; redeliveries, twins and stale updates are applied once."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from dashboard.db import events, pushes
from dashboard.db.base import session_scope
from tests.support.payloads import JSONAPI, RECEIVER, deliver, payload
from tests.support.servers import WEBHOOK_SECRET
from tests.support.waiting import wait_until


def stored(app) -> list[events.Event]:
    with app.app_context():
        return events.recent(limit=1000)


def without(key: str) -> dict:
    document = payload()
    del document["data"][key]
    return document


BAD_REQUESTS = [
    ("no secret", dict(document=payload(), secret=None), 401),
    ("wrong secret", dict(document=payload(), secret="not-the-secret"), 401),
    ("secret with a wrong last character", dict(document=payload(), secret=WEBHOOK_SECRET[:-1] + "x"), 401),
    ("wrong content type", dict(document=payload(), content_type="text/plain"), 415),
    ("malformed JSON", dict(document=b'{"data": {"type": "webhookPayload",'), 400),
    ("not UTF-8", dict(document=b"\xff\xfe{}"), 400),
    ("JSON that is not an object", dict(document=b"[1, 2]"), 400),
    ("wrong type", dict(document={"data": {**payload()["data"], "type": "flowRuns"}}), 400),
    ("missing id", dict(document=without("id")), 400),
    ("empty id", dict(document={"data": {**payload()["data"], "id": ""}}), 400),
    ("missing attributes", dict(document=without("attributes")), 400),
    ("unknown event", dict(document=payload(event="explode")), 400),
    ("resource not an object", dict(document={"data": {**payload()["data"], "attributes": {
        "event": "update", "resource": "flowRuns"}}}), 400),
    ("bad updatedAt", dict(document=payload(updated_at="yesterday")), 400),
    ("oversized", dict(document=b"{" + b" " * (1024 * 1024 + 1) + b"}"), 413),
    ("oversized without a secret", dict(document=b" " * (1024 * 1024 + 1), secret=None), 413),
]


@pytest.mark.parametrize("case, request_kwargs, status", BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS])
def test_bad_delivery_is_refused_with_jsonapi_errors_and_stores_nothing(receiver, receiver_app, case,
                                                                         request_kwargs, status):
    response = deliver(receiver, **request_kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == JSONAPI
    errors = response.get_json()["errors"]
    assert errors and errors[0]["status"] == str(status) and errors[0]["detail"]
    assert stored(receiver_app) == []


def test_resource_id_missing_is_a_400_with_a_pointer(receiver):
    document = payload()
    del document["data"]["attributes"]["resource"]["id"]
    response = deliver(receiver, document)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/resource/id"


def test_valid_delivery_is_stored_and_acknowledged(receiver, receiver_app):
    document = payload(status="finished")
    response = deliver(receiver, document)
    assert response.status_code == 200
    assert response.get_json()["meta"] == {"event": document["data"]["id"], "verdict": "applied",
                                           "redelivery": False}
    [event] = stored(receiver_app)
    assert (event.id, event.resource_type, event.event, event.verdict) == (
        document["data"]["id"], "flowRuns", "update", "applied")
    assert event.document == document


def test_webhook_with_plain_json_content_type_and_no_fields_is_accepted(receiver, receiver_app):
    document = payload()
    del document["data"]["attributes"]["fields"], document["data"]["attributes"]["webhookId"]
    assert deliver(receiver, document, content_type="application/json; charset=utf-8").status_code == 200
    assert [event.verdict for event in stored(receiver_app)] == ["applied"]


def test_redelivery_of_the_same_id_is_acknowledged_and_applied_once(receiver, receiver_app):
    document = payload(status="finished")
    first, second = deliver(receiver, document), deliver(receiver, document)
    assert first.status_code == second.status_code == 200
    assert second.get_json()["meta"]["redelivery"] is True
    [event] = stored(receiver_app)
    assert event.deliveries == 2 and event.verdict == "applied"


def test_same_content_under_a_new_id_is_a_duplicate(receiver, receiver_app):
    run = str(uuid.uuid4())
    deliver(receiver, payload(run, status="running"))
    response = deliver(receiver, payload(run, status="running"))
    assert response.status_code == 200 and response.get_json()["meta"]["verdict"] == "duplicate"
    verdicts = sorted(event.verdict for event in stored(receiver_app))
    assert verdicts == ["applied", "duplicate"]


def test_out_of_order_update_is_stored_as_stale_and_never_regresses(receiver, receiver_app):
    run = str(uuid.uuid4())
    newer = payload(run, status="finished", updated_at="2026-11-23T10:00:05+00:00")
    older = payload(run, status="running", updated_at="2026-11-23T10:00:02Z")
    assert deliver(receiver, newer).get_json()["meta"]["verdict"] == "applied"
    assert deliver(receiver, older).get_json()["meta"]["verdict"] == "stale"
    # Same second, different content: not older, so applied (the API's timestamps repeat seconds).
    same_second = payload(run, status="timeout", updated_at="2026-11-23T10:00:05+00:00")
    assert deliver(receiver, same_second).get_json()["meta"]["verdict"] == "applied"
    by_id = {event.id: event for event in stored(receiver_app)}
    assert by_id[older["data"]["id"]].reason.startswith("updatedAt")
    # Only applied events are ever published: stale ones are marked done without pushes.
    def nothing_pending() -> bool:
        with receiver_app.app_context():
            return not [event for event in events.recent() if event.published_at is None]

    wait_until(nothing_pending, 10, "every applied event is published")
    with receiver_app.app_context():
        from sqlalchemy import select

        from dashboard.db.base import session_scope
        with session_scope() as session:
            published = {push.event_id for push in session.scalars(select(pushes.Push))}
    assert published == {newer["data"]["id"], same_second["data"]["id"]}


def test_receiver_needs_no_session_and_no_csrf_token(receiver):
    # The test client has no session cookie and sends no CSRF token: the shared secret is the credential.
    assert deliver(receiver, payload()).status_code == 200


def test_get_on_the_receiver_is_not_a_webhook(receiver, receiver_app):
    assert receiver.get(RECEIVER).status_code in (302, 405)
    assert stored(receiver_app) == []


def test_webhooks_arriving_together_are_each_stored_once_and_published_in_seq_order(receiver_app):
    # Concurrent deliveries share the writer's transactions: each is acknowledged once it is committed, stored
    # once (a redelivery among them counted, not applied again), and every applied one has its pushes, numbered
    # in the order they were published.
    documents = [payload(status="running") for _ in range(12)]
    sends = documents + documents[:3]  # three redeliveries, sent at the same time as their first delivery
    barrier = threading.Barrier(len(sends))

    def send(document: dict) -> int:
        client = receiver_app.test_client()
        barrier.wait()
        return deliver(client, document).status_code

    with ThreadPoolExecutor(len(sends)) as pool:
        assert list(pool.map(send, sends)) == [200] * len(sends)
    by_id = {event.id: event for event in stored(receiver_app)}
    assert sorted(by_id) == sorted(document["data"]["id"] for document in documents)
    assert all(event.verdict == "applied" and event.published_at is not None for event in by_id.values())
    assert sorted(event.deliveries for event in by_id.values()) == [1] * 9 + [2] * 3
    with receiver_app.app_context(), session_scope() as session:
        log = list(session.scalars(select(pushes.Push).order_by(pushes.Push.seq)))
    assert sorted({push.event_id for push in log}) == sorted(by_id)
    assert all(json.loads(push.frame)["seq"] == push.seq for push in log)
    published = [push.event_id for push in log]
    assert all(published.count(event_id) == 2 for event_id in by_id)  # the list row and the run's page
    # An event's pushes are consecutive: nothing of another webhook is numbered between them.
    assert all(published[index] == published[index + 1] for index in range(0, len(published), 2))
