"""One way out of the event log: render (pure) -> the publisher's one `_publish` -> push log -> hub; Home's counters
take the same path; the push log is pruned; each live page declares its channel beside its route."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from dashboard.db import events, pushes
from dashboard.db.base import session_scope
from dashboard.live import pages, render
from dashboard.live import publisher as publishing
from dashboard.live.publisher import Publisher, counters_due
from dashboard.recrubo.counting import RUN_STATUSES
from dashboard.webhooks import parse_payload
from tests.support.payloads import payload


def stored(app, document: dict) -> str:
    """Record a delivery in the event log as the receiver does, without publishing it."""
    with app.app_context():
        assert events.record(parse_payload(document, json.dumps(document))).verdict == events.APPLIED
    return document["data"]["id"]


def pushes_in_log(app) -> list[pushes.Push]:
    with app.app_context(), session_scope() as session:
        return list(session.scalars(select(pushes.Push).order_by(pushes.Push.seq)))


def test_render_is_a_function_of_the_event_and_the_templates_alone(receiver_app):
    run = str(uuid.uuid4())
    event_id = stored(receiver_app, payload(run, status="finished"))
    with receiver_app.app_context():
        event = events.get(event_id)
    with receiver_app.test_request_context("/"):
        extensions, receiver_app.extensions = receiver_app.extensions, {}  # no hub, no publisher, no database
        try:
            bodies = render.render(event)
        finally:
            receiver_app.extensions = extensions
    assert [channel for channel, _ in bodies] == ["flowRuns", f"flowRuns:{run}"]
    assert all(f'id="flow-run-{run}"' in body["content"] for _, body in bodies)


@pytest.mark.parametrize(("resource_type", "event", "fields", "due"), [
    ("flowRuns", "update", ["status"], True),
    ("flowRuns", "update", [], True),  # the real API may leave `fields` out: the status may have changed
    ("flowRuns", "update", ["state"], False),
    ("flows", "create", [], True),
    ("messageThreads", "delete", [], True),
    ("flowGenerations", "update", ["status"], True),  # "Generations in progress" reads it
    ("flowGenerations", "update", ["cost"], False),
    ("flows", "update", ["name"], True),  # Home's panels name flows and candidates
    ("candidates", "update", ["lastName"], True),
    ("candidates", "update", ["email"], False),
    ("messages", "create", [], False),
])
def test_the_publisher_decides_when_home_counters_are_due(receiver_app, resource_type, event, fields, due):
    event_id = stored(receiver_app, payload(resource_type=resource_type, event=event, fields=fields))
    with receiver_app.app_context():
        assert counters_due(events.get(event_id)) is due


def test_home_counters_are_published_through_the_same_path_as_events(receiver_app, monkeypatch):
    monkeypatch.setattr(publishing, "COUNTERS_DEBOUNCE_SECONDS", 0)
    monkeypatch.setattr(publishing, "current_totals", lambda: {"flows": 3, "message threads": 4})
    monkeypatch.setattr(publishing, "run_counts", lambda: dict.fromkeys(RUN_STATUSES, 7))
    published, publish = [], Publisher._publish

    def recording(self, event_id, bodies, event=None):
        published.append((event_id, [channel for channel, _ in bodies], event is not None))
        return publish(self, event_id, bodies, event)

    monkeypatch.setattr(Publisher, "_publish", recording)
    home = receiver_app.extensions["live"].connect({"home"})  # a Home page's socket
    run = str(uuid.uuid4())
    event_id = stored(receiver_app, payload(run, status="finished"))
    receiver_app.extensions["live_publisher"].publish_now(event_id)
    deadline = time.monotonic() + 10
    while len(published) < 2:
        assert time.monotonic() < deadline, published
        time.sleep(0.01)
    # The event (with the staleness check), then the counters as a push of that event (without it).
    assert published == [(event_id, ["flowRuns", f"flowRuns:{run}"], True), (event_id, ["home"], False)]
    deadline = time.monotonic() + 10
    while not home.frames:
        assert time.monotonic() < deadline, "the counters never reached Home's socket"
        time.sleep(0.01)
    [counters] = [push for push in pushes_in_log(receiver_app) if push.channel == "home"]
    assert counters.event_id == event_id and home.frames[0][0] == counters.seq
    content = json.loads(counters.frame)["content"]
    assert 'hx-target="#totals"' in content and 'id="run-count-finished"' in content


def test_the_push_log_is_pruned_every_so_many_publishes(receiver_app, monkeypatch):
    monkeypatch.setattr(publishing, "PRUNE_EVERY", 3)
    monkeypatch.setattr(pushes, "KEEP_PUSHES", 2)
    publisher = Publisher(receiver_app, receiver_app.extensions["live"])
    event_ids = [stored(receiver_app, payload(fields=["state"])) for _ in range(6)]  # two pushes each
    for event_id in event_ids[:5]:
        publisher.publish_now(event_id)
    assert len(pushes_in_log(receiver_app)) == 2 + 4  # cut to 2 at the third publish, then two more events
    publisher.publish_now(event_ids[5])
    assert [push.event_id for push in pushes_in_log(receiver_app)] == [event_ids[5]] * 2
    with receiver_app.app_context(), session_scope() as session:
        assert session.scalar(select(func.count()).select_from(events.Event)) == 6  # the event log keeps all


LIVE_PAGES = {
    "home.index": "home",
    "flow_runs.index": "flowRuns", "flow_runs.show": "flowRuns:{run_id}",
    "flows.index": "flows", "flows.show": "flows:{flow_id}",
    "message_threads.index": "messageThreads", "message_threads.show": "messageThreads:{thread_id}",
    "flow_generations.index": "flowGenerations", "flow_generations.show": "flowGenerations:{generation_id}",
    "candidates.show": "candidates:{candidate_id}", "flow_runs.launch": "launches:{launch_id}",
}


def test_each_live_page_declares_its_channel_beside_its_route(receiver_app):
    declared = {endpoint: view.live_channel for endpoint, view in receiver_app.view_functions.items()
                if hasattr(view, "live_channel")}
    assert declared == LIVE_PAGES


@pytest.mark.parametrize(("path", "watch"), [
    ("/", "home"), ("/flow-runs", "flowRuns"), ("/flow-runs/run-1", "flowRuns:run-1"),
    ("/message-threads/t-9", "messageThreads:t-9"), ("/flow-generations/g-2", "flowGenerations:g-2"),
    ("/settings", None), ("/flow-runs/run-1/cancel", None),
])
def test_a_live_page_knows_what_to_watch_and_since_when(receiver_app, path, watch):
    with receiver_app.test_request_context(path):
        pages.remember_seq()
        assert pages.page_live() == {"live_watch": watch, "live_seq": None if watch is None else 0}
