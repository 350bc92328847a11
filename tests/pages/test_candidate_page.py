"""The candidate page on a read model a sync filled: the person, one timeline newest first, its CSV export, the
links to it from every row that names a candidate, and readable refusals."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timezone

import pytest

from dashboard.db import pushes
from dashboard.recrubo.candidate_timeline import moment
from dashboard.recrubo.relations import related_id
from dashboard.recrubo.sync import sync_once
from tests.support.accounts import csrf_token
from tests.support.pages import make_flow, make_thread, unique
from tests.support.payloads import deliver
from tests.support.waiting import wait_until

TERMINAL = ("finished", "timeout", "exception", "cancelled")


@pytest.fixture(scope="module")
def person(model_app, api):
    """A candidate of this module's own, with a thread whose simulated candidate finished one run, synced in."""
    thread = make_thread(api, unique("Timeline"), "Person")
    flow = make_flow(api, unique("Candidate page flow"))
    run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id, "state": {},
                                                "initialMessage": {}})
    wait_until(lambda: api.get("flow-runs", run.id).status in TERMINAL, seconds=60, message="the run ended")
    assert sync_once(model_app).ran
    candidate = api.get("candidates", related_id(thread, "candidate"))
    return {"candidate": candidate, "thread": thread, "run": api.get("flow-runs", run.id), "flow": flow}


def entry_keys(html: str) -> list[str]:
    return re.findall(r'<li id="timeline-([a-z]+-[0-9a-f-]+)"', html)


def test_the_page_shows_the_person_and_everything_about_them_newest_first(lister, person):
    candidate, run = person["candidate"], person["run"]
    response = lister.get(f"/candidates/{candidate.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="candidate-{candidate.id}"' in html
    assert f"{candidate.firstName} {candidate.lastName}" in html and candidate.phone in html
    keys = entry_keys(html)
    assert f"run-{run.id}" in keys
    assert any(key.startswith("message-") for key in keys)
    times = [moment(at) for at in re.findall(r'class="timeline-entry[^"]*" data-kind="\w+" data-at="([^"]*)"', html)]
    assert len(times) == len(keys) and times == sorted(times, reverse=True)
    run_entry = html[html.index(f'id="timeline-run-{run.id}"'):]
    run_entry = run_entry[:run_entry.index("</li>")]
    assert person["flow"].name in run_entry and "Question 1" in run_entry  # the steps it reached
    for key, value in (run.state or {}).items():
        assert key in run_entry and str(value) in run_entry  # the answers it gathered
    assert f'candidates:{candidate.id}' in html  # the page watches its own live channel
    assert 'name="messageThreadId" value="' + person["thread"].id in html  # launching in place
    assert f'action="/message-threads/{person["thread"].id}/chatbot"' in html  # pausing in place
    assert f'id="open-inbox" hx-get="/embeds/inbox/frame?thread={person["thread"].id}"' in html  # the Inbox


def test_the_csv_export_is_the_timeline_with_a_byte_order_mark(lister, person):
    candidate = person["candidate"]
    keys = entry_keys(lister.get(f"/candidates/{candidate.id}").get_data(as_text=True))
    response = lister.get(f"/candidates/{candidate.id}?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][0] == "Time" and rows[0][-1] == "Reference"
    assert [row[-1] for row in rows[1:]] == keys
    assert f"{candidate.firstName} {candidate.lastName} wrote" in {row[2] for row in rows[1:]}


def test_every_row_and_page_naming_the_candidate_links_to_their_page(lister, person):
    candidate, thread, run = person["candidate"], person["thread"], person["run"]
    link = f'href="/candidates/{candidate.id}"'
    for url in (f"/message-threads?q={candidate.firstName}", f"/flow-runs?thread={thread.id}",
                f"/message-threads/{thread.id}", f"/flow-runs/{run.id}"):
        assert link in lister.get(url).get_data(as_text=True), url


def webhook(resource, type_: str, fields: list[str], related: dict[str, str], **changes) -> dict:
    """The webhookPayload the API sends when a resource changed (reference §8.2), with `changes` applied."""
    skipped = ("id", "type", *related)
    attributes = {**{key: value for key, value in resource.items() if key not in skipped}, **changes}
    document = {"id": resource.id, "type": type_, "attributes": attributes, "relationships": {
        name: {"data": {"type": kind, "id": related_id(resource, name)}} for name, kind in related.items()}}
    return {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
        "webhookId": str(uuid.uuid4()), "event": "update", "fields": fields, "resource": document}}}


def thread_webhook(thread, fields: list[str]) -> dict:
    """A thread's change as the API sends it."""
    return webhook(thread, "messageThreads", fields, {"candidate": "candidates"})


def test_pausing_and_resuming_the_bot_show_on_the_timeline_and_on_its_channel(model_app, lister, api, person):
    thread, candidate = person["thread"], person["candidate"]
    token = csrf_token(lister.get(f"/candidates/{candidate.id}").get_data(as_text=True))
    with model_app.app_context():
        before = pushes.last_seq()
    receiver = model_app.test_client()
    for paused in ("true", "false"):
        response = lister.post(f"/message-threads/{thread.id}/chatbot", data={"csrf_token": token, "paused": paused})
        assert response.status_code in (302, 303)
        assert deliver(receiver, thread_webhook(api.get("message-threads", thread.id), ["chatbotPaused"])).status_code \
            == 200
    html = lister.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    titles = re.findall(r'data-kind="bot"[^>]*>.*?<strong class="entry-title">([^<]+)</strong>', html, re.S)
    assert titles[:2] == ["Chatbot resumed", "Chatbot paused"]
    with model_app.app_context():
        pushed = " ".join(push.frame for push in pushes.pushes_since(before, {f"candidates:{candidate.id}"}, 100))
    assert "Chatbot paused" in pushed and "Chatbot resumed" in pushed
    assert f'hx-target=\\"#candidate-{candidate.id}-timeline\\"' in pushed  # new entries go on top
    assert f'hx-target=\\"#message-thread-{thread.id}\\"' in pushed  # and the pause button turns


def test_homes_needs_attention_links_a_failed_runs_candidate(model_app, lister, api, person):
    # The module's own run, failed by a webhook as the API would send it (its updatedAt now, newer than any).
    run, candidate = api.get("flow-runs", person["run"].id), person["candidate"]
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    failed = webhook(run, "flowRuns", ["status"], {"flow": "flows", "messageThread": "messageThreads"},
                     status="exception", updatedAt=now)
    assert deliver(model_app.test_client(), failed).status_code == 200
    html = lister.get("/").get_data(as_text=True)
    attention = html[html.index('id="attention"'):]
    attention = attention[:attention.index("</section>")]
    assert f'id="flow-run-{run.id}"' in attention and f'href="/candidates/{candidate.id}"' in attention


def test_more_entries_are_shown_on_asking(lister, person):
    candidate = person["candidate"]
    few = entry_keys(lister.get(f"/candidates/{candidate.id}?shown=2").get_data(as_text=True))
    assert len(few) == 2
    more = entry_keys(lister.get(f"/candidates/{candidate.id}?shown=52",
                                 headers={"HX-Request": "true", "HX-Request-Type": "partial"}).get_data(as_text=True))
    assert more[:2] == few and len(more) > 2


def test_a_hostile_name_is_shown_as_text(lister, api):
    # Made a moment ago: the model does not hold them yet, so the page reads them from the API (and keeps them).
    hostile = make_thread(api, "<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
    html = lister.get(f"/candidates/{related_id(hostile, 'candidate')}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("path, status", [("/candidates/0b7e5c2a-1d3f-4e6a-9c8b-2f4d6e8a0c1e", 404),
                                          ("/candidates/a%20b", 400), ("/candidates/x,main,%23main", 400),
                                          ("/candidates/..%2Fflows", 404)])
def test_an_unknown_or_malformed_candidate_is_a_readable_refusal(lister, path, status):
    response = lister.get(path)
    assert response.status_code == status
    assert "<h1" in response.get_data(as_text=True)


def test_a_new_name_reaches_the_page_and_its_channel(model_app, lister, api, person):
    # Last in the module: the candidate is renamed for good (through the API, then its webhook).
    candidate = person["candidate"]
    with model_app.app_context():
        before = pushes.last_seq()
    renamed = api.update("candidates", "candidates", candidate.id, {"firstName": f"Renamed{uuid.uuid4().hex[:4]}"})
    document = webhook(renamed, "candidates", ["firstName"], {})
    assert deliver(model_app.test_client(), document).status_code == 200
    with model_app.app_context():
        pushed = " ".join(push.frame for push in pushes.pushes_since(before, {f"candidates:{candidate.id}"}, 100))
    assert pushed.count(renamed.firstName) >= 2  # the heading and the contact block
    assert "Candidate details changed" in pushed and "Changed: firstName" in pushed
    html = lister.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert f'<h1 id="candidate-{candidate.id}-title">{renamed.firstName} {candidate.lastName}</h1>' in html
    assert "Candidate details changed" in html
