"""Webhooks write the read model in the transaction that records the event, on SQLite and on Postgres: an applied
create or update upserts the resource the webhook carries, a delete tombstones it, and a stale, future or
duplicate delivery is recorded without writing."""

from __future__ import annotations

import json
import uuid

from dashboard.db import events
from dashboard.db.base import session_scope
from dashboard.db.model import FlowRun, MessageThread
from tests.support.payloads import deliver, payload


def row(app, table, id_: str):
    """The model's row `id_` of `table` as stored now (None when there is none)."""
    with app.app_context(), session_scope() as session:
        return session.get(table, id_)


def verdict(app, document: dict) -> str:
    """Deliver `document` to the in-process receiver and answer the verdict it recorded."""
    response = deliver(app.test_client(), document)
    assert response.status_code == 200, response.text
    return response.get_json()["meta"]["verdict"]


def test_an_applied_update_upserts_the_resource_it_carries_with_the_event_id(offline_app):
    run = str(uuid.uuid4())
    document = payload(run, event="create", status="queued", updated_at="2026-11-23T10:00:00+00:00")
    assert verdict(offline_app, document) == events.APPLIED
    stored = row(offline_app, FlowRun, run)
    assert (stored.status, stored.flow_id, stored.message_thread_id) == ("queued", "f" * 36, "t" * 36)
    assert stored.event_id == document["data"]["id"] and not stored.deleted
    later = payload(run, status="finished", updated_at="2026-11-23T10:00:05+00:00")
    assert verdict(offline_app, later) == events.APPLIED
    assert (row(offline_app, FlowRun, run).status, row(offline_app, FlowRun, run).event_id) == \
        ("finished", later["data"]["id"])


def test_a_stale_or_future_delivery_is_recorded_and_writes_nothing(offline_app):
    run = str(uuid.uuid4())
    newest = payload(run, status="running", updated_at="2026-11-23T10:00:10+00:00")
    assert verdict(offline_app, newest) == events.APPLIED
    assert verdict(offline_app, payload(run, status="queued", updated_at="2026-11-23T10:00:01+00:00")) \
        == events.STALE
    assert verdict(offline_app, payload(run, status="finished", updated_at="2099-01-01T00:00:00+00:00")) \
        == events.FUTURE
    stored = row(offline_app, FlowRun, run)
    assert (stored.status, stored.event_id) == ("running", newest["data"]["id"])
    assert verdict(offline_app, payload(str(uuid.uuid4()), updated_at="2099-01-01T00:00:00+00:00")) \
        == events.FUTURE


def test_a_future_create_leaves_no_row(offline_app):
    run = str(uuid.uuid4())
    assert verdict(offline_app, payload(run, event="create", updated_at="2099-01-01T00:00:00+00:00")) \
        == events.FUTURE
    assert row(offline_app, FlowRun, run) is None


def test_a_delete_tombstones_the_row_and_an_older_update_cannot_bring_it_back(offline_app):
    run = str(uuid.uuid4())
    verdict(offline_app, payload(run, event="create", status="running", updated_at="2026-11-23T10:00:00+00:00"))
    deleted = payload(run, event="delete", status="running", updated_at="2026-11-23T10:00:20+00:00")
    assert verdict(offline_app, deleted) == events.APPLIED
    stored = row(offline_app, FlowRun, run)
    assert stored.deleted and stored.event_id == deleted["data"]["id"]
    assert verdict(offline_app, payload(run, status="finished", updated_at="2026-11-23T10:00:10+00:00")) \
        == events.STALE
    assert row(offline_app, FlowRun, run).deleted


def test_relationships_are_kept_as_related_ids(offline_app):
    thread, candidate = str(uuid.uuid4()), str(uuid.uuid4())
    document = payload(thread, event="create", resource_type="messageThreads")
    resource = document["data"]["attributes"]["resource"]
    resource["attributes"] = {"channel": "whatsapp", "identifier": "31600000001", "chatbotPaused": True,
                              "createdAt": "2026-11-23T09:00:00+00:00", "updatedAt": "2026-11-23T10:00:00+00:00"}
    resource["relationships"] = {"candidate": {"data": {"type": "candidates", "id": candidate}}}
    assert verdict(offline_app, document) == events.APPLIED
    stored = row(offline_app, MessageThread, thread)
    assert (stored.candidate_id, stored.identifier, stored.chatbot_paused) == (candidate, "31600000001", True)
    assert json.loads(stored.relations) == {"candidate": candidate}


def test_a_redelivery_is_not_written_twice(offline_app):
    run = str(uuid.uuid4())
    document = payload(run, status="running")
    assert verdict(offline_app, document) == events.APPLIED
    assert deliver(offline_app.test_client(), document).get_json()["meta"]["redelivery"] is True
    assert row(offline_app, FlowRun, run).event_id == document["data"]["id"]
