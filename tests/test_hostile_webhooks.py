"""Hostile deliveries with a valid secret (issue 17, item 6): every one is refused with a 4xx and stores nothing,
on SQLite and on Postgres; an updatedAt from the future never wins; the publisher gives up on what it cannot publish."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.db import events, users
from dashboard.db.base import session_scope
from dashboard.db.model import Node
from dashboard.live import publisher as publishing
from dashboard.webhooks import parse_payload
from tests.support.accounts import sign_in
from tests.support.payloads import JSONAPI, deliver, payload
from tests.support.waiting import wait_until


def encoded(document: dict, encoding: str = "utf-8") -> bytes:
    """A document as JSON text (non-ASCII kept as such) in `encoding`."""
    return json.dumps(document, ensure_ascii=False).encode(encoding)


def with_resource(**changes) -> dict:
    """A valid payload with the resource's `id`, `type` or attributes changed."""
    document = payload()
    resource = document["data"]["attributes"]["resource"]
    for key, value in changes.items():
        (resource if key in ("id", "type") else resource["attributes"])[key] = value
    return document


DEEP = 100_000
REFUSED = [
    ("JSON nested 100,000 deep", b'{"data": ' + b"[" * DEEP + b"]" * DEEP + b"}", "too_deep"),
    ("JSON nested 33 deep (32 allowed)", b'{"data": ' + b"[" * 32 + b"]" * 32 + b"}", "too_deep"),
    ("a UTF-16 body", encoded(payload(), "utf-16"), "bad_encoding"),
    ("a UTF-32 body", encoded(payload(), "utf-32"), "bad_encoding"),
    ("a UTF-8 body after a byte order mark", b"\xef\xbb\xbf" + encoded(payload()), "bad_encoding"),
    ("Latin-1 bytes", encoded(payload(status="café"), "latin-1"), "bad_encoding"),
    ("a lone surrogate as the resource id", json.dumps(with_resource(id="\ud800")).encode(), "bad_request"),
    ("a lone surrogate in an attribute", json.dumps(with_resource(status="\udfff")).encode(), "bad_request"),
    ("a surrogate encoded as UTF-8 bytes", encoded(payload()).replace(b'"running"', b'"\xed\xa0\x80"'),
     "bad_encoding"),
    ("a NUL in an attribute", json.dumps(with_resource(status="run\x00ning")).encode(), "bad_request"),
    ("a NUL in a name", json.dumps(with_resource(**{"sta\x00tus": "running"})).encode(), "bad_request"),
    ("a NUL in the resource type", json.dumps(with_resource(type="flowRuns\x00")).encode(), "bad_request"),
    ("updatedAt 9999-12-31T23:59:59-23:59", json.dumps(payload(updated_at="9999-12-31T23:59:59-23:59")).encode(),
     "bad_request"),
    ("updatedAt in year 1 at +23:59", json.dumps(payload(updated_at="0001-01-01T00:00:00+23:59")).encode(),
     "bad_request"),
    ("updatedAt in 2500", json.dumps(payload(updated_at="2500-01-01T00:00:00+00:00")).encode(), "bad_request"),
    ("updatedAt not a string", json.dumps(with_resource(updatedAt=20261123)).encode(), "bad_request"),
    ("a 65-character resource type", json.dumps(payload(resource_type="a" * 65)).encode(), "bad_request"),
    ("a resource type the API does not have", json.dumps(payload(resource_type="flowRun")).encode(), "bad_request"),
    ("the id x,main,#main", json.dumps(payload("x,main,#main")).encode(), "bad_request"),
    ("an id with a newline", json.dumps(payload("abc\nwebhook 1 update flowRuns:x -> applied")).encode(),
     "bad_request"),
    ("a 65-character id", json.dumps(payload("a" * 65)).encode(), "bad_request"),
    ("a delivery id with a slash", json.dumps(payload(delivery_id="../x")).encode(), "bad_request"),
    ("a field name with selector characters", json.dumps(payload(fields=["status,#main"])).encode(), "bad_request"),
    ("NaN", encoded(payload()).replace(b'"cost": 1', b'"cost": NaN'), "bad_request"),
    ("a string longer than 65,536 characters", json.dumps(with_resource(status="x" * 65_537)).encode(), "too_large"),
    ("an object with 2,001 members", json.dumps(with_resource(**{f"a{n}": n for n in range(2001)})).encode(),
     "too_large"),
]


@pytest.mark.parametrize("body, code", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_a_hostile_delivery_is_refused_logged_and_stores_nothing(offline_app, caplog, body, code):
    with caplog.at_level(logging.WARNING, logger="dashboard.webhooks"):
        response = deliver(offline_app.test_client(), body)
    assert 400 <= response.status_code < 500 and response.mimetype == JSONAPI, response.get_data(as_text=True)
    [error] = response.get_json()["errors"]
    assert error["status"] == str(response.status_code) and error["code"] == code and error["detail"]
    with offline_app.app_context():
        assert events.count() == 0
    refused = [record for record in caplog.records if record.getMessage().startswith("webhook refused")]
    assert refused and all("\n" not in record.getMessage() for record in caplog.records)


def test_the_reference_example_still_applies(offline_app):
    # The same checks let through what Recrubo sends: UUIDs, a documented type, whole-second offsets, non-ASCII.
    document = payload(status="finished", updated_at="2026-11-23T10:00:05-05:00")
    document["data"]["attributes"]["resource"]["attributes"]["state"] = {"name": "Zoë 🚀", "nested": [[{"a": [1]}]]}
    response = deliver(offline_app.test_client(), encoded(document))
    assert response.status_code == 200 and response.get_json()["meta"]["verdict"] == "applied"


@pytest.mark.parametrize("index", [str(10**30), str(-10**30), "1e400"])
def test_a_position_beyond_64_bit_integers_is_stored_without_one(offline_app, index):
    # Kept as it came, it failed the webhook's whole transaction (a 500, and every retry of it a 500 again).
    node = str(uuid.uuid4())
    document = payload(node, resource_type="nodes")
    body = encoded(document).replace(b'"cost": 1', f'"cost": 1, "index": {index}'.encode())
    response = deliver(offline_app.test_client(), body)
    assert response.status_code == 200 and response.get_json()["meta"]["verdict"] == "applied"
    with offline_app.app_context(), session_scope() as session:
        stored = session.get(Node, node)
        assert stored is not None and stored.position is None


def test_an_update_from_the_future_never_wins_and_a_true_update_still_applies(offline_app, caplog):
    receiver, run = offline_app.test_client(), str(uuid.uuid4())
    now = datetime.now(timezone.utc).replace(microsecond=0)
    future = payload(run, status="cancelled", updated_at=(now + timedelta(days=365)).isoformat())
    with caplog.at_level(logging.WARNING, logger="dashboard.webhooks"):
        answer = deliver(receiver, future).get_json()["meta"]
    assert answer["verdict"] == "future"
    assert any("-> future" in record.getMessage() and "ahead" in record.getMessage() for record in caplog.records)
    true_update = payload(run, status="finished", updated_at=now.isoformat())
    assert deliver(receiver, true_update).get_json()["meta"]["verdict"] == "applied"
    with offline_app.app_context():
        stored = events.get(future["data"]["id"])
        assert stored.reason and "ahead of this server's clock" in stored.reason
        assert stored.published_at is not None  # done with: never handed to the publisher
    admin = admin_client(offline_app)
    page = admin.get("/settings/events?verdict=future").get_data(as_text=True)
    assert page.count('<tr id="event-') == 1 and "status-future" in page and "ahead of this server" in page


def admin_client(app):
    """A test client signed in as an administrator of `app`."""
    with app.app_context():
        users.create_user("admin@example.com", "a long password", admin=True)
    client = app.test_client()
    sign_in(client, "admin@example.com", "a long password")
    return client


def test_an_event_the_publisher_cannot_publish_is_marked_failed_after_three_attempts(offline_app, monkeypatch):
    # What the old receiver stored for a body after a UTF-8 byte order mark: applied, and unreadable when published.
    monkeypatch.setattr(publishing, "RECOVER_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(publishing, "IDLE_SECONDS", 0.2)
    document = payload(status="finished")
    raw = json.dumps(document)
    with offline_app.app_context():
        delivery = dataclasses.replace(parse_payload(document, raw), payload="\ufeff" + raw)
        assert events.record_or_redelivery(delivery).verdict == events.APPLIED
    offline_app.extensions["live_publisher"].submit(delivery.id)

    def failed() -> events.Event | None:
        with offline_app.app_context():
            event = events.get(delivery.id)
        return event if event.verdict == events.FAILED else None

    event = wait_until(failed, 30, "the publisher gave up on the event")
    assert event.publish_attempts == events.PUBLISH_ATTEMPTS == 3
    assert event.reason.startswith("not published after 3 attempts: JSONDecodeError") and "\n" not in event.reason
    with offline_app.app_context():
        assert events.claim_unpublished(0) == []  # recovery never picks it up again
    page = admin_client(offline_app).get("/settings/events").get_data(as_text=True)
    assert "status-failed" in page and "not published after 3 attempts" in page
