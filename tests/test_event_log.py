"""The admins' event log at /settings/events: every delivery, its verdict, a filter, and replay to browsers."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from dashboard.db import pushes, users
from dashboard.db.base import session_scope
from tests.support.accounts import csrf_token, sign_in, signed_in_client
from tests.support.payloads import deliver, payload


@pytest.fixture()
def admin(receiver_app):
    return signed_in_client(receiver_app, "admin@example.com", admin=True)


def pushes_of(app, event_id: str) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(pushes.Push).where(pushes.Push.event_id == event_id))


def test_event_log_lists_every_delivery_with_its_verdict_and_filters(admin, receiver, receiver_app):
    run = str(uuid.uuid4())
    applied = payload(run, status="finished", updated_at="2026-11-23T10:00:05+00:00")
    stale = payload(run, status="running", updated_at="2026-11-23T10:00:01+00:00")
    for document in (applied, applied, stale, payload(run, status="finished",
                                                      updated_at="2026-11-23T10:00:05+00:00")):
        assert deliver(receiver, document).status_code == 200
    deliver(receiver, payload(), secret="wrong")
    html = admin.get("/settings/events").get_data(as_text=True)
    assert html.count('<tr id="event-') == 3
    for verdict in ("applied", "stale", "duplicate"):
        assert f"status-{verdict}" in html
    assert "delivered 2 times" in html and "is older than" in html
    assert "header is missing or wrong" in html  # the refusal, shown but not stored
    only_stale = admin.get("/settings/events?verdict=stale").get_data(as_text=True)
    assert only_stale.count('<tr id="event-') == 1 and f'id="event-{stale["data"]["id"]}"' in only_stale
    fragment = admin.get("/settings/events?resource=flowGenerations",
                         headers={"HX-Request": "true", "HX-Request-Type": "partial"}).get_data(as_text=True)
    assert "<html" not in fragment and "No webhook deliveries match" in fragment


def test_replay_pushes_an_event_again(admin, receiver, receiver_app):
    document = payload(status="finished")
    deliver(receiver, document)
    event_id = document["data"]["id"]
    token = csrf_token(admin.get("/settings/events").get_data(as_text=True))
    before = pushes_of(receiver_app, event_id)
    response = admin.post(f"/settings/events/{event_id}/replay", data={"csrf_token": token},
                          headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 200 and "pushed again" in response.get_data(as_text=True)
    assert pushes_of(receiver_app, event_id) > before
    assert admin.post("/settings/events/nope/replay", data={"csrf_token": token}).status_code == 404


def test_event_log_is_for_admins_only(receiver_app):
    with receiver_app.app_context():
        users.create_user("recruiter@example.com", "a long password")
    client = receiver_app.test_client()
    sign_in(client, "recruiter@example.com", "a long password")
    assert client.get("/settings/events").status_code == 403
    assert receiver_app.test_client().get("/settings/events").status_code == 302  # no session: sign in first
