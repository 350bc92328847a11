"""Live updates in real Chromium on the embedded default: sandbox webhooks move rows without a reload."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Page, expect

from dashboard.recrubo.client import RecruboClient
from tests.support.browsing import hide, open_live, show, sign_in
from tests.support.payloads import payload, post_webhook
from tests.support.servers import API_KEY
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser
TERMINAL = ("finished", "timeout", "exception", "cancelled")


def sandbox_api(server) -> RecruboClient:
    return RecruboClient(f"{server.url}/sandbox/public/v2", API_KEY)


def runnable_flow(api: RecruboClient):
    """A two-step flow the simulated candidate finishes by itself."""
    flow = api.create("flows", "flows", {"name": f"Live test {uuid.uuid4().hex[:6]}", "reminderInterval": 0,
                                         "reminderMessage": "Still there?", "sessionTimeout": 60})
    start = api.create("nodes", "nodes", {"flowId": flow.id, "name": "Welcome", "isStartFlow": True})
    api.create("node-actions", "nodeActions", {"nodeId": start.id, "actionType": "ask", "variableName": "name",
                                               "value": {"text": "What is your name?"}})
    end = api.create("nodes", "nodes", {"flowId": flow.id, "name": "Thanks", "isEndFlow": True,
                                        "endFlowType": "accepted"})
    api.create("node-actions", "nodeActions", {"nodeId": end.id, "actionType": "say",
                                               "value": {"text": "Thank you!"}})
    api.create("node-transitions", "nodeTransitions", {"nodeId": start.id, "exitNodeId": end.id})
    return flow


def launch_run(api: RecruboClient, flow) -> str:
    phone = "316" + str(uuid.uuid4().int)[:8]
    candidate = api.create("candidates", "candidates", {"firstName": "Noor", "lastName": "Live", "phone": phone})
    thread = api.create("message-threads", "messageThreads", {"channel": "sms", "identifier": phone,
                                                              "candidateId": candidate.id,
                                                              "simulatedCandidate": True})
    run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id, "state": {},
                                               "initialMessage": {}})
    return run.id


def test_two_browsers_see_a_new_run_appear_and_finish_without_reload(page: Page, browser_type,
                                                                    browser_type_launch_args, live_server, tmp_path):
    # A second browser process: a second window of the same one would be a throttled background window.
    second_browser = browser_type.launch(**browser_type_launch_args)
    other = second_browser.new_page()
    for tab in (page, other):
        sign_in(tab, live_server.url)
        open_live(tab, f"{live_server.url}/flow-runs")
        tab.evaluate("window.loadedOnce = true")  # gone if the page reloaded
    page.screenshot(path=str(tmp_path / "runs-live.png"))
    api = sandbox_api(live_server)
    flow = runnable_flow(api)
    run = launch_run(api, flow)
    for tab in (page, other):
        row = tab.locator(f"#flow-run-{run}")
        expect(row).to_be_visible(timeout=20000)
        expect(row.locator(".status")).to_have_class(re.compile(r"\bstatus-finished\b"), timeout=30000)
        assert tab.evaluate("window.loadedOnce") is True
        assert tab.locator(f"#flow-run-{run}").count() == 1
    assert api.get("flow-runs", run).status == "finished"
    # Announced by name (the candidate's and the flow's), never by an id.
    expect(page.locator("#live-announcer")).to_have_text(f"Noor Live finished {flow.name}.")
    second_browser.close()


@pytest.fixture()
def synthetic_runs(live_server):
    """Ids for runs that exist only in this test's webhooks; deleted by webhook afterwards, so the read model again
    holds exactly the API's runs (Home counts from it: `test_home_counters_follow_the_api`)."""
    runs: list[str] = []
    yield runs
    for run in runs:
        post_webhook(live_server, payload(run, event="delete", status="cancelled",
                                          updated_at="2026-11-23T10:00:59+00:00"))


def test_hidden_page_catches_up_on_everything_delivered_meanwhile(page: Page, live_server, tmp_path, synthetic_runs):
    sign_in(page, live_server.url)
    open_live(page, f"{live_server.url}/flow-runs")
    page.evaluate("window.loadedOnce = true")
    hide(page)
    expect(page.locator("#live-status")).not_to_have_attribute("data-state", "live")
    page.screenshot(path=str(tmp_path / "runs-reconnecting.png"))
    runs = [str(uuid.uuid4()) for _ in range(3)]
    synthetic_runs.extend(runs[:2])
    for run in runs:
        post_webhook(live_server, payload(run, event="create", status="queued", fields=[]))
    for run in runs[:2]:
        post_webhook(live_server, payload(run, status="finished", updated_at="2026-11-23T10:00:09+00:00"))
    post_webhook(live_server, payload(runs[2], event="delete", status="cancelled",
                                      updated_at="2026-11-23T10:00:09+00:00"))
    assert page.locator(f"#flow-run-{runs[0]}").count() == 0  # nothing arrives while hidden
    show(page)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    for run in runs[:2]:
        expect(page.locator(f"#flow-run-{run} .status")).to_have_class(re.compile(r"\bstatus-finished\b"))
    expect(page.locator(f"#flow-run-{runs[2]}")).to_have_count(0)
    assert page.evaluate("window.loadedOnce") is True
    # The newest created run is on top, as after a reload.
    first_ids = page.locator("#flow-runs-rows tr").evaluate_all("rows => rows.slice(0, 2).map(r => r.id)")
    assert first_ids == [f"flow-run-{runs[1]}", f"flow-run-{runs[0]}"]


def test_dropped_socket_while_offline_reconnects_and_catches_up(page: Page, live_server, tmp_path, synthetic_runs):
    sign_in(page, live_server.url)
    open_live(page, f"{live_server.url}/flow-runs")
    page.context.set_offline(True)
    # The network is gone and the socket with it (1005 on the page: hx-ws reconnects, failing while offline).
    page.evaluate("document.getElementById('live')._htmx.ws.connection.socket.close()")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    page.screenshot(path=str(tmp_path / "runs-offline.png"))
    run = str(uuid.uuid4())
    synthetic_runs.append(run)
    post_webhook(live_server, payload(run, event="create", status="queued", fields=[]))
    post_webhook(live_server, payload(run, status="running", updated_at="2026-11-23T10:00:09+00:00"))
    page.context.set_offline(False)
    expect(page.locator(f"#flow-run-{run} .status")).to_have_class(re.compile(r"\bstatus-running\b"), timeout=30000)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def test_home_counters_follow_the_api(page: Page, live_server):
    sign_in(page, live_server.url)
    open_live(page, f"{live_server.url}/")
    api = sandbox_api(live_server)
    run = launch_run(api, runnable_flow(api))
    wait_until(lambda: api.get("flow-runs", run).status in TERMINAL, 30, "the run ended", every=0.2)

    # Exactly the API's numbers, whatever else the sandbox does meanwhile (polled, never timed).
    def counters_match() -> bool:
        expected = {status: api.list("flow-runs", filters={"status": status}, size=1).total
                    for status in ("queued", "running", "finished")}
        shown = {status: page.locator(f"#run-count-{status} .card-count").inner_text() for status in expected}
        return {status: int(count) for status, count in shown.items()} == expected

    wait_until(counters_match, 30, "home's counters show the API's numbers", every=0.2)


def test_a_creation_pushed_again_keeps_the_row_on_a_filtered_list_and_shows_it_once_on_the_first(
        page: Page, live_server):
    """An admin's "Push again" of a run's creation: the first page of the list (which takes new rows) shows the
    row once, not twice; a filtered list (which takes none) keeps the row it already shows."""
    sign_in(page, live_server.url)
    run = str(uuid.uuid4())
    created = payload(run, event="create", status="queued", fields=[])
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")  # the newest run: on top of the first page
    created["data"]["attributes"]["resource"]["attributes"].update(createdAt=now, updatedAt=now)
    post_webhook(live_server, created)
    try:
        pushed_again_and_shown_once(page, live_server, run)
    finally:  # the read model again holds exactly the API's runs (`test_home_counters_follow_the_api`)
        post_webhook(live_server, payload(run, event="delete", status="cancelled", updated_at=now))


def pushed_again_and_shown_once(page: Page, live_server, run: str) -> None:
    first, filtered = page.context.new_page(), page.context.new_page()
    open_live(first, f"{live_server.url}/flow-runs")
    open_live(filtered, f"{live_server.url}/flow-runs?status=queued")
    for listing in (first, filtered):
        expect(listing.locator(f"#flow-run-{run}"), listing.url).to_have_count(1)
    seqs = [listing.locator("#live").get_attribute("data-live-seq") for listing in (first, filtered)]
    page.goto(f"{live_server.url}/settings/events?q={run}&verdict=applied")
    page.locator("#event-log-rows tr:has-text('create') button:has-text('Push again')").click()
    for listing, seq in zip((first, filtered), seqs, strict=True):
        expect(listing.locator("#live")).not_to_have_attribute("data-live-seq", seq)  # the push has arrived
        expect(listing.locator(f"#flow-run-{run}"), listing.url).to_have_count(1)
