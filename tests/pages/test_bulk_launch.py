"""Launching by filter: the threads list's filters (search, channel, chatbot state) plus "no active run" choose the
threads, "select all" takes every match across the picker's pages, and exactly those threads get a run, each with
one line on the launch's page."""

from __future__ import annotations

import html as markup
import re

import pytest

from dashboard.flow_runs import bulk, selection
from dashboard.recrubo.relations import related_id
from dashboard.recrubo.sync import sync_once
from tests.support.accounts import csrf_token
from tests.support.model_lists import row_ids
from tests.support.pages import PARTIAL, make_flow, make_thread, phone_number, unique
from tests.support.waiting import wait_until

VACANCY = ("Night porter at a hotel in Maastricht. You welcome late guests, check them in and keep the lobby safe. "
           "You need a security certificate and speak German or French. {tag}")


@pytest.fixture()
def flow(api):
    return make_flow(api, unique("By filter"), questions=1)


def picked(html: str) -> list[str]:
    """The thread ids the picker offers to tick, in order."""
    return re.findall(r'name="messageThreadId" value="([0-9a-f-]{36})"', html)


def launch_all(lister, flow_id: str, **filters: str):
    """POST the launch form with "select all" and the filters, as htmx does."""
    token = csrf_token(lister.get("/flow-runs/new").get_data(as_text=True))
    response = lister.post("/flow-runs", headers=PARTIAL, data={"csrf_token": token, "flowId": flow_id,
                                                                "allMatching": "1", **filters})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.headers["HX-Redirect"]


def threads_with_runs(api, flow_id: str) -> list[str]:
    """The threads that got a run of the flow, one entry per run."""
    return [related_id(run, "messageThread") for run in api.iterate("flow-runs", filters={"flowId": flow_id})]


def paused(api, thread):
    """Pause the thread's chatbot, so a run on it stays queued (and costs the sandbox nothing)."""
    api.update("message-threads", "messageThreads", thread.id, {"chatbotPaused": True})
    return thread


def test_launching_by_filter_launches_exactly_the_matching_threads(model_app, lister, api, flow):
    tag = unique("Filtered").replace(" ", "")
    matching = [make_thread(api, tag, f"Match{number}") for number in range(3)]
    busy = paused(api, make_thread(api, tag, "Busy"))
    api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": busy.id, "state": {}})
    make_thread(api, tag, "Messenger", channel="facebook-messenger", identifier=phone_number()[2:])
    make_thread(api, unique("Elsewhere").replace(" ", ""), "Match0")
    assert sync_once(model_app).ran
    filters = {"q": tag, "channel": "whatsapp", "idle": "1"}
    listed = lister.get("/message-threads", query_string=filters).get_data(as_text=True)
    assert set(row_ids(listed, "message-thread")) == {thread.id for thread in matching}
    assert re.search(r'id="launch-for-threads" href="/flow-runs/new\?[^"]*idle=1', listed)
    exported = lister.get("/message-threads", query_string={**filters, "format": "csv"}).get_data(as_text=True)
    assert re.search(r'id="export-csv" href="/message-threads\?[^"]*idle=1', listed)
    assert set(re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", exported)) == {thread.id for thread in matching}
    picker = lister.get("/flow-runs/new/threads", query_string=filters).get_data(as_text=True)
    assert "3 threads match these filters." in picker and "Select all 3 matches" in picker
    assert set(picked(picker)) == {thread.id for thread in matching}
    page = lister.get(launch_all(lister, flow.id, **filters)).get_data(as_text=True)
    assert "3 launched, 0 refused" in page and "no active run" in page
    for number in range(3):
        assert f"{tag} Match{number}" in page
    assert sorted(threads_with_runs(api, flow.id)) == sorted([busy.id] + [thread.id for thread in matching])


def test_select_all_takes_every_match_across_the_pickers_pages(model_app, lister, api, flow):
    tag = unique("Paged").replace(" ", "")
    threads = [paused(api, make_thread(api, tag, f"Person{number}")) for number in range(selection.PAGE_SIZE + 2)]
    assert len(threads) > bulk.INLINE  # so the runs are made in the background, after the answer
    assert sync_once(model_app).ran
    filters = {"q": tag, "bot": "paused"}
    first = lister.get("/flow-runs/new/threads", query_string=filters).get_data(as_text=True)
    second = lister.get("/flow-runs/new/threads", query_string={**filters, "page": 2}).get_data(as_text=True)
    assert f"{len(threads)} threads match" in first and 'id="thread-picker-next"' in first
    assert len(picked(first)) == selection.PAGE_SIZE and len(picked(second)) == 2
    assert set(picked(first) + picked(second)) == {thread.id for thread in threads}
    target = launch_all(lister, flow.id, **filters)
    wait_until(lambda: f"{len(threads)} launched, 0 refused" in lister.get(target).get_data(as_text=True), 60,
               "every line says launched", every=0.3)
    assert sorted(threads_with_runs(api, flow.id)) == sorted(thread.id for thread in threads)


def test_a_filter_matching_nothing_is_refused_at_the_form(lister, api, flow):
    token = csrf_token(lister.get("/flow-runs/new").get_data(as_text=True))
    response = lister.post("/flow-runs", headers=PARTIAL, data={
        "csrf_token": token, "flowId": flow.id, "allMatching": "1", "q": unique("Nobody").replace(" ", "")})
    assert response.status_code == 422
    assert 'id="messageThreadId-error"' in response.get_data(as_text=True)
    assert threads_with_runs(api, flow.id) == []


def generated_flow(lister, api, name: str) -> str:
    """A flow a generation made through the dashboard's form (so it awaits review); its id."""
    token = csrf_token(lister.get("/flow-generations/new").get_data(as_text=True))
    response = lister.post("/flow-generations", headers=PARTIAL, data={
        "csrf_token": token, "source": "text", "vacancyTitle": name, "vacancyText": VACANCY.format(tag=name),
        "knockoutRequirements": "Security certificate", "preferredRequirements": "", "language": "en",
        "flowName": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    generation_id = response.headers["HX-Redirect"].rsplit("/", 1)[-1]
    return wait_until(lambda: api.get("flow-generations", generation_id).get("flowId"), 40,
                      "the generation made its flow", every=0.3)


def test_a_generated_flow_awaiting_review_is_not_offered_nor_launched_by_filter(model_app, lister, api):
    name = unique("Held porter")
    flow_id = generated_flow(lister, api, name)
    tag = unique("Heldback").replace(" ", "")
    threads = [make_thread(api, tag, f"Person{number}") for number in range(2)]
    assert sync_once(model_app).ran
    form = lister.get("/flow-runs/new", query_string={"q": tag, "flowId": flow_id}).get_data(as_text=True)
    assert f'value="{flow_id}"' not in form and "2 threads match these filters." in form
    notice = form.split('id="flows-awaiting-review"', 1)[1].split("</p>", 1)[0]
    assert markup.escape(name) in notice and "holds them back from launching until reviewed" in notice
    response = lister.post("/flow-runs", headers=PARTIAL, data={"csrf_token": csrf_token(form), "flowId": flow_id,
                                                                "allMatching": "1", "q": tag})
    assert response.status_code == 422
    error = response.get_data(as_text=True).split('id="flowId-error"', 1)[1].split("</p>", 1)[0]
    assert "awaits review" in error and markup.escape(name) in error
    assert threads_with_runs(api, flow_id) == []
    for thread in threads:
        assert api.list("flow-runs", filters={"messageThreadId": thread.id}).items == []
