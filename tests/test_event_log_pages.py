"""The event log explains itself: each event's payload (escaped), a link to the screen it changed, filters by
resource type and verdict, paging over the whole log, a message's delivery updates as one row, and a retention an
admin sets, after which old events are pruned (never one whose pushes are still owed)."""

from __future__ import annotations

import html as markup
import re
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from dashboard.db import pushes
from dashboard.db.base import session_scope
from dashboard.db.events import Event, utcnow
from dashboard.flow_runs import bulk
from dashboard.flow_runs.launch import Launch
from tests.support.accounts import csrf_token, signed_in_client
from tests.support.payloads import deliver, payload
from tests.support.servers import WEBHOOK_SECRET
from tests.support.synthetic import document, now

ROW = re.compile(r'<tr id="event-([^"]+)">')


@pytest.fixture()
def admin(receiver_app):
    return signed_in_client(receiver_app, "admin@example.com", admin=True)


def delivered(receiver, resource_type: str, attributes: dict, event: str = "create",
              resource_id: str | None = None) -> tuple[str, str]:
    """Deliver one event through the receiver; (event id, resource id)."""
    resource_id = resource_id or str(uuid.uuid4())
    sent = document(resource_type, resource_id, {"createdAt": now(), "updatedAt": now(), **attributes}, event)
    assert deliver(receiver, sent).status_code == 200
    return sent["data"]["id"], resource_id


def event_row(html: str, event_id: str) -> str:
    found = re.search(rf'<tr id="event-{re.escape(event_id)}">.*?</tr>', html, re.S)
    assert found, event_id
    return found.group(0)


def test_each_event_shows_its_payload_escaped_and_never_the_secret(admin, receiver):
    event_id, _ = delivered(receiver, "flows", {"name": "<script>alert('x')</script> & Co"})
    row = event_row(admin.get("/settings/events").get_data(as_text=True), event_id)
    payload_view = re.search(r'<details class="event-payload">.*?</details>', row, re.S).group(0)
    assert "<script>" not in row and "&lt;script&gt;" in payload_view
    assert '"type": "webhookPayload"' in markup.unescape(payload_view)  # indented JSON
    assert WEBHOOK_SECRET not in admin.get("/settings/events").get_data(as_text=True)


def test_each_event_links_to_the_screen_it_changed(admin, receiver):
    thread = str(uuid.uuid4())
    expected = {}
    for resource_type, path in (("flowRuns", "/flow-runs/"), ("flows", "/flows/"),
                                ("flowGenerations", "/flow-generations/"), ("messageThreads", "/message-threads/"),
                                ("candidates", "/candidates/")):
        event_id, resource_id = delivered(receiver, resource_type, {"status": "queued"})
        expected[event_id] = path + resource_id
    message_event, _ = delivered(receiver, "messages", {"messageThreadId": thread, "deliveryStatus": "accepted",
                                                        "origin": "outbound"})
    expected[message_event] = f"/message-threads/{thread}"
    html = admin.get("/settings/events").get_data(as_text=True)
    for event_id, href in expected.items():
        assert f'class="event-screen" href="{href}"' in event_row(html, event_id), href
    gone, _ = delivered(receiver, "flows", {"name": "Gone"}, event="delete")
    assert "event-screen" not in event_row(admin.get("/settings/events").get_data(as_text=True), gone)


def test_a_bulk_launchs_event_links_to_the_launchs_page(admin, receiver_app):
    # A bulk launch records one event of its own (type `launches`) that its pushes are logged under.
    with receiver_app.test_request_context("/"):
        launch_id = bulk.store(Launch(flow_id=str(uuid.uuid4())), "A flow", [], 0, "every thread", "")
    html = admin.get("/settings/events", query_string={"resource": "launches"}).get_data(as_text=True)
    assert f'class="event-screen" href="/flow-runs/launches/{launch_id}"' in event_row(html, launch_id)


def test_the_log_filters_by_resource_type_and_verdict(admin, receiver):
    run = str(uuid.uuid4())
    flow_event, _ = delivered(receiver, "flows", {"name": "Filtered"})
    assert deliver(receiver, payload(run, status="finished", updated_at="2026-11-23T10:00:05+00:00")).status_code == 200
    stale = payload(run, status="running", updated_at="2026-11-23T10:00:01+00:00")
    assert deliver(receiver, stale).status_code == 200
    page = admin.get("/settings/events").get_data(as_text=True)
    assert '<option value="flows"' in page and '<option value="flowRuns"' in page
    only_flows = admin.get("/settings/events?resource=flows").get_data(as_text=True)
    assert ROW.findall(only_flows) == [flow_event]
    assert ROW.findall(admin.get("/settings/events?resource=flowRuns&verdict=stale").get_data(as_text=True)) == [
        stale["data"]["id"]]
    assert ROW.findall(admin.get("/settings/events?resource=flows&verdict=stale").get_data(as_text=True)) == []


def test_paging_walks_the_whole_log_newest_first(admin, receiver):
    sent = [delivered(receiver, "flows", {"name": f"Flow {number}"})[0] for number in range(230)]
    seen, url = [], "/settings/events"
    while url:
        html = admin.get(url).get_data(as_text=True)
        seen += ROW.findall(html)
        older = re.search(r'<a href="([^"]+)"[^>]*rel="next" id="event-log-older"', html)
        url = markup.unescape(older.group(1)) if older else None
    assert len(seen) == len(set(seen)) == 230 and seen == list(reversed(sent))
    assert admin.get("/settings/events?before=not-a-cursor").status_code == 400


def test_a_messages_delivery_updates_make_one_row_with_their_statuses(admin, receiver):
    thread, message = str(uuid.uuid4()), str(uuid.uuid4())
    created, _ = delivered(receiver, "messages", {"messageThreadId": thread, "deliveryStatus": "accepted",
                                                  "origin": "outbound"}, resource_id=message)
    updates = [delivered(receiver, "messages", {"messageThreadId": thread, "deliveryStatus": status,
                                                "origin": "outbound", "updatedAt": now(number + 1)},
                         event="update", resource_id=message)[0]
               for number, status in enumerate(("sent", "delivered", "read"))]
    html = admin.get("/settings/events").get_data(as_text=True)
    assert ROW.findall(html) == [updates[-1], created]  # the updates fold into the newest
    row = event_row(html, updates[-1])
    assert "3 updates: sent → delivered → read" in row
    assert f'href="/message-threads/{thread}"' in row
    only_updates = admin.get("/settings/events?resource=messages&verdict=applied").get_data(as_text=True)
    assert ROW.findall(only_updates) == [updates[-1], created]


def test_an_admin_sets_the_retention_and_bad_values_are_refused(admin, receiver_app):
    page = admin.get("/settings").get_data(as_text=True)
    assert 'id="retention-days"' in page and 'value="30"' in page  # the default
    token = csrf_token(page)
    assert admin.post("/settings/event-retention", data={"days": "7"}).status_code == 400  # no CSRF token
    refused = admin.post("/settings/event-retention", data={"days": "a week", "csrf_token": token})
    assert refused.status_code == 422 and "whole number" in refused.get_data(as_text=True)
    assert admin.post("/settings/event-retention", data={"days": "0", "csrf_token": token}).status_code == 422
    assert admin.post("/settings/event-retention", data={"days": "7", "csrf_token": token}).status_code == 302
    assert 'value="7"' in admin.get("/settings").get_data(as_text=True)
    assert "kept 7" in admin.get("/settings/events").get_data(as_text=True)


def test_pruning_deletes_old_events_in_batches_but_never_unpublished_ones(admin, receiver, receiver_app,
                                                                          monkeypatch):
    from dashboard.db import event_log
    monkeypatch.setattr(event_log, "PRUNE_BATCH", 3)
    token = csrf_token(admin.get("/settings").get_data(as_text=True))
    assert admin.post("/settings/event-retention", data={"days": "10", "csrf_token": token}).status_code == 302
    old = [delivered(receiver, "flows", {"name": f"Old {number}"})[0] for number in range(7)]
    owed = delivered(receiver, "flows", {"name": "Owed"})[0]
    recent = delivered(receiver, "flows", {"name": "Recent"})[0]
    with receiver_app.app_context(), session_scope() as session:
        session.execute(update(Event).where(Event.id.in_([*old, owed]))
                        .values(received_at=utcnow() - timedelta(days=11)))
        # Its publisher has claimed it and not published it yet.
        session.execute(update(Event).where(Event.id == owed).values(published_at=None, claimed_at=utcnow()))
        session.execute(update(Event).where(Event.id == recent).values(received_at=utcnow() - timedelta(days=9)))
        session.add(pushes.Push(event_id=old[0], channel="flows", frame="{}"))
    runner = receiver_app.extensions["read_model_sync"]
    assert runner.prune_events() == 7
    assert runner.prune_events() == 0  # at most once an hour
    with receiver_app.app_context(), session_scope() as session:
        left = set(session.scalars(select(Event.id)))
        assert session.scalar(select(func.count()).select_from(pushes.Push).where(pushes.Push.event_id == old[0])) == 0
    assert not left & set(old) and {owed, recent} <= left


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.integers(-5, 5000).map(str),
                       st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)))
def test_any_retention_gets_a_clear_answer(admin, value):
    token = csrf_token(admin.get("/settings").get_data(as_text=True))
    response = admin.post("/settings/event-retention", data={"days": value, "csrf_token": token})
    digits = value.strip()
    valid = digits.isascii() and digits.isdigit() and 1 <= int(digits) <= 3650
    assert response.status_code == (302 if valid else 422)
    if not valid:
        assert 'id="retention-days-error"' in response.get_data(as_text=True)
