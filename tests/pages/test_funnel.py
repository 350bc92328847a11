"""A flow page's funnel (`#flow-funnel`), counted in SQL over the read model (SQLite, then Postgres), equals the
funnel taken independently from the sandbox's API: the flow's runs listed, each walked through the graph by its
documented `state` and `status` (tests/support/funnels.py); for a flow of this test's own and for the demo flows,
whose runs span the last weeks, in every period and the period before it."""

from __future__ import annotations

import pytest

from dashboard.recrubo.sync import sync_once
from tests.support import funnels
from tests.support.accounts import sign_in
from tests.support.apps import dispose
from tests.support.model_lists import synced_app
from tests.support.pages import PARTIAL, make_flow, make_thread, unique
from tests.support.waiting import wait_until


def reply(api, thread_id: str, text: str) -> None:
    """Write to a thread as the candidate (the sandbox's inbound message feeds the thread's run)."""
    api.create("messages", "messages", {"sendBy": "Candidate", "messageThreadId": thread_id, "origin": "inbound",
                                        "payload": {"type": "text", "text": {"value": text}}})


def hand_driven(api, flow) -> tuple:
    """A thread no simulated candidate answers, and a run of `flow` on it."""
    thread = make_thread(api, unique("Funnel"), "Candidate")
    api.update("message-threads", "messageThreads", thread.id, {"simulatedCandidate": False})
    run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id, "state": {},
                                               "initialMessage": {}})
    return thread, run


@pytest.fixture(scope="module")
def own_flow(api):
    """A flow (welcome, two questions, declined when the second answer is `no`, else accepted) with runs that end
    every way: two answered by the simulated candidate (accepted), one declined, one cancelled after the first
    answer, one cancelled before any answer, one still waiting on its first question."""
    flow = make_flow(api, unique("Funnel flow"))
    api.update("flows", "flows", flow.id, {"sessionTimeout": 0})  # nothing times out while the test reads
    for _ in range(2):
        thread = make_thread(api, unique("Funnel"), "Candidate")
        api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id, "state": {},
                                              "initialMessage": {}})
    scripts = {"declined": ["Hi", "yes", "no"], "cancel-after-one": ["Hi", "yes"], "silent": [], "waiting": ["Hi"]}
    runs = {}
    for name, script in scripts.items():
        thread, run = hand_driven(api, flow)
        wait_until(lambda run=run: api.get("flow-runs", run.id).status == "running", 30, f"{name} runs")
        for number, text in enumerate(script):
            reply(api, thread.id, text)
            if number:  # an answer: wait until it is stored
                wait_until(lambda run=run, number=number: len(api.get("flow-runs", run.id).state) >= number, 30,
                           f"{name} answered {number}")
        runs[name] = run
    for name in ("cancel-after-one", "silent"):
        api.update("flow-runs", "flowRuns", runs[name].id, {"status": "cancelled"})
    wait_until(lambda: api.get("flow-runs", runs["declined"].id).status == "finished", 30, "declined run ends")
    wait_until(lambda: all(run.status != "running" or run.messageThreadId == runs["waiting"].messageThreadId
                           for run in api.iterate("flow-runs", filters={"flowId": flow.id})), 60,
               "the simulated candidates finish")
    return flow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def funnel_app(request, tmp_path_factory, sandbox_server, own_flow):
    app = synced_app(request, tmp_path_factory, sandbox_server, "funnel", "funnel@example.com")
    yield app
    dispose(app)


@pytest.fixture(scope="module")
def recruiter_client(funnel_app):
    client = funnel_app.test_client()
    sign_in(client, "funnel@example.com", "a long password")
    return client


def differences(api, flow_id: str, html: str) -> list[str]:
    """What the page's funnel says that the API's runs do not (empty when they agree)."""
    region, cells = funnels.read_page(html)
    since, before = funnels.stamp(region["data-since"]), funnels.stamp(region["data-previous-since"])
    now = funnels.expected(api, flow_id, since)
    previous = funnels.expected(api, flow_id, before, since) if before else None
    found = []
    if int(region["runs"]) != now["runs"]:
        found.append(f"runs {region['runs']} != {now['runs']}")
    if previous is not None and int(region["runs-before"]) != previous["runs"]:
        found.append(f"runs before {region['runs-before']} != {previous['runs']}")
    for row, values in cells.items():
        if row.startswith("funnel-step-"):
            step = row.removeprefix("funnel-step-")
            pairs = [("reached", now["reached"][step]), ("left", now["left"][step])]
            if previous is not None:
                pairs.append(("previous", previous["reached"][step]))
        elif row.startswith("funnel-ended-"):
            status = row.removeprefix("funnel-ended-")
            pairs = [("reached", now["status"][status])]
            if previous is not None:
                pairs.append(("previous", previous["status"][status]))
        elif row == "funnel-silent":
            pairs = [("left", now["silent"])]
        else:
            continue
        for cell, wanted in pairs:
            if values.get(cell, "") != "" and int(values[cell]) != wanted:
                found.append(f"{row} {cell}: page {values[cell]}, API {wanted}")
    return found


def agrees(app, client, api, flow_id: str, period: str) -> list[str]:
    """The page of `period` against the API, after a sync; the demo's runs play out meanwhile, so try again until
    nothing moved between the two readings."""
    last: list[list[str]] = [[]]

    def same() -> bool:
        sync_once(app)
        response = client.get(f"/flows/{flow_id}?period={period}")
        assert response.status_code == 200
        last[0] = differences(api, flow_id, response.get_data(as_text=True))
        return not last[0]

    try:
        wait_until(same, 60, "the page's funnel equals the API's", every=1)
    except AssertionError:
        raise AssertionError(last[0]) from None
    return last[0]


@pytest.mark.parametrize("period", ["all", "7d", "30d"])
def test_the_funnel_of_a_flow_equals_its_runs_walked_from_the_api(funnel_app, recruiter_client, api, own_flow,
                                                                  period):
    assert agrees(funnel_app, recruiter_client, api, own_flow.id, period) == []
    html = recruiter_client.get(f"/flows/{own_flow.id}?period={period}").get_data(as_text=True)
    region, cells = funnels.read_page(html)
    steps = {node.name: node.id for node in api.iterate("nodes", filters={"flowId": own_flow.id})}
    reached = {name: cells[f"funnel-step-{step}"]["reached"] for name, step in steps.items()}
    # What this test did, read back: 6 runs; 5 got past the welcome; the declined and the simulated answered both.
    assert region["runs"] == "6"
    assert reached == {"Welcome": "4", "Question 1": "4", "Question 2": "3", "Thank you": "2", "Not a match": "1"}
    assert cells[f"funnel-step-{steps['Question 1']}"]["left"] == "1"
    assert cells["funnel-silent"]["left"] == "1"
    assert cells["funnel-ended-finished"]["reached"] == "3" and cells["funnel-ended-running"]["reached"] == "1"
    assert cells["funnel-ended-cancelled"]["reached"] == "2"
    if period != "all":
        assert cells["funnel-ended-finished"]["previous"] == "0"
        assert 'id="funnel-compare"' in html and "+6</span> vs previous" in html


@pytest.mark.parametrize("period", ["7d", "30d", "all"])
def test_the_demo_flows_funnels_and_their_previous_periods_equal_the_api(funnel_app, recruiter_client, api, period):
    demo = [flow for flow in api.iterate("flows") if flow.name in ("Quick screening", "Interview scheduling")
            or flow.get("flowGenerationId")][:4]
    assert demo
    before = 0
    for flow in demo:
        assert agrees(funnel_app, recruiter_client, api, flow.id, period) == [], flow.name
        region, _ = funnels.read_page(recruiter_client.get(f"/flows/{flow.id}?period={period}").get_data(as_text=True))
        before += int(region.get("runs-before") or 0)
    if period == "7d":  # the demo's runs span about 11 days: the week before the last has some
        assert before > 0


def test_a_period_not_offered_is_a_clear_400(recruiter_client, own_flow):
    response = recruiter_client.get(f"/flows/{own_flow.id}?period=1y")
    assert response.status_code == 400
    assert "period is one of: 7d (last 7 days)" in response.get_data(as_text=True)
    partial = recruiter_client.get(f"/flows/{own_flow.id}?period=%3Cb%3E", headers=PARTIAL)
    assert partial.status_code == 400 and "<b>" not in partial.get_data(as_text=True)
