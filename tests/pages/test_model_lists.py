"""Lists read from the filled read model, joined: search finds people however they are typed, every row names
its candidate and flow, filters, sorts and pages match the API's, and a list says so while the model fills."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from dashboard.db.upsert import fold
from dashboard.recrubo.relations import related_id
from tests.support.accounts import csrf_token
from tests.support.model_lists import SPELLINGS, expected_threads, row_ids
from tests.support.pages import PARTIAL, make_flow, make_thread, phone_number, unique


def row(html: str, element_id: str) -> str:
    """The one table row with `element_id`."""
    found = re.search(rf'<tr id="{element_id}">.*?</tr>', html, re.S)
    assert found, element_id
    return found.group(0)


@pytest.mark.parametrize("typed", SPELLINGS)
def test_thread_search_finds_demo_candidates_whatever_the_case_and_accents(model_app, lister, typed):
    expected = expected_threads(model_app.snapshot, typed)
    assert expected, f"the demo data has a candidate matching {typed!r}"
    html = lister.get("/message-threads", query_string={"q": typed}).get_data(as_text=True)
    assert 'id="model-backfilling"' not in html
    assert set(row_ids(html, "message-thread")) == expected
    names = re.findall(r'<a href="/message-threads/[^"]+">([^<]+)</a>', html)
    assert names and all(" ".join(fold(typed).split()) in fold(name) or typed.isdigit() for name in names)


def test_thread_search_by_phone_number_with_spaces_and_plus(model_app, lister):
    thread = next(thread for thread in model_app.snapshot["threads"] if thread.get("channel") == "whatsapp")
    spaced = "+" + " ".join(thread.identifier[index:index + 3] for index in range(0, len(thread.identifier), 3))
    html = lister.get("/message-threads", query_string={"q": spaced}).get_data(as_text=True)
    assert thread.id in row_ids(html, "message-thread")


def test_flow_search_matches_anywhere_in_the_name(lister):
    html = lister.get("/flows", query_string={"q": "Tilburg"}).get_data(as_text=True)
    assert row_ids(html, "flow") and "Tilburg" in html


def test_run_rows_name_the_candidate_and_the_flow_with_ids_as_details(lister, api):
    html = lister.get("/flow-runs").get_data(as_text=True)
    shown = row_ids(html, "flow-run")
    assert shown and 'id="model-backfilling"' not in html
    run = api.get("flow-runs", shown[0])
    thread = api.get("message-threads", related_id(run, "messageThread"))
    person = api.get("candidates", related_id(thread, "candidate"))
    flow = api.get("flows", related_id(run, "flow"))
    first = row(html, f"flow-run-{run.id}")
    assert f"{person.firstName} {person.lastName}" in first and flow.name in first
    assert first.index(f"{person.firstName} {person.lastName}") < first.index(thread.identifier)


def test_generation_rows_name_their_flow(lister, api):
    html = lister.get("/flow-generations?status=finished").get_data(as_text=True)
    generation = api.get("flow-generations", row_ids(html, "flow-generation")[0])
    assert api.get("flows", related_id(generation, "flow")).name in row(html, f"flow-generation-{generation.id}")


@pytest.mark.parametrize("url, prefix, path, filters, sort", [
    ("/message-threads?sort=oldest&page=2", "message-thread", "message-threads", {}, "createdAt"),
    ("/message-threads?channel=facebook-messenger&sort=newest", "message-thread", "message-threads",
     {"channel": "facebook-messenger"}, "-createdAt"),
    ("/message-threads?bot=active&sort=oldest", "message-thread", "message-threads", {"chatbotPaused": "false"},
     "createdAt"),
    ("/flow-runs?status=finished&sort=oldest", "flow-run", "flow-runs", {"status": "finished"}, "createdAt"),
    ("/flow-generations?sort=oldest", "flow-generation", "flow-generations", {}, "createdAt"),
])
def test_filters_sorts_and_pages_match_the_api(lister, api, url, prefix, path, filters, sort):
    page = 2 if "page=2" in url else 1
    expected = api.list(path, filters=filters, sort=sort, page=page, size=25)
    html = lister.get(url).get_data(as_text=True)
    assert set(row_ids(html, prefix)) == {item.id for item in expected.items} != set()
    partial = lister.get(url, headers=PARTIAL).get_data(as_text=True)
    assert row_ids(partial, prefix) == row_ids(html, prefix)


def test_a_list_says_it_reads_the_api_while_the_model_fills(recruiter):
    # pages_app never synced: every list falls back to the API and says so.
    for url in ("/message-threads", "/flow-runs", "/flow-generations"):
        html = recruiter.get(url).get_data(as_text=True)
        assert 'id="model-backfilling"' in html, url


def test_a_launch_for_a_new_candidate_is_listed_at_once_with_the_candidates_name(lister, api):
    # No webhook reaches this dashboard and no sync runs: only the API's answers, kept at once, can list it.
    flow = make_flow(api, unique("Kept at once"), questions=1)
    surname = unique("Ünal").replace(" ", "")
    token = csrf_token(lister.get("/flow-runs/new").get_data(as_text=True))
    response = lister.post("/flow-runs", headers=PARTIAL, data={
        "csrf_token": token, "flowId": flow.id, "newChannel": "whatsapp", "newIdentifier": phone_number(),
        "newFirstName": "Özge", "newLastName": surname})
    assert response.status_code == 201, response.get_data(as_text=True)
    threads = lister.get("/message-threads", query_string={"q": f"ozge {fold(surname)}"}).get_data(as_text=True)
    [thread_id] = row_ids(threads, "message-thread")
    runs = lister.get("/flow-runs", query_string={"thread": thread_id}).get_data(as_text=True)
    [run_id] = row_ids(runs, "flow-run")
    assert f"Özge {surname}" in row(runs, f"flow-run-{run_id}")


def test_pausing_a_chatbot_shows_in_the_list_at_once(lister, api):
    # A thread of its own: touching a demo thread would reorder other tests' lists by activity.
    thread = make_thread(api, unique("Pausable").replace(" ", ""))
    token = csrf_token(lister.get(f"/message-threads/{thread.id}").get_data(as_text=True))
    lister.post(f"/message-threads/{thread.id}/chatbot", data={"csrf_token": token, "paused": "true"},
                headers=PARTIAL)
    try:
        paused = lister.get("/message-threads", query_string={"bot": "paused", "q": thread.identifier})
        assert thread.id in row_ids(paused.get_data(as_text=True), "message-thread")
    finally:
        lister.post(f"/message-threads/{thread.id}/chatbot", data={"csrf_token": token, "paused": "false"},
                    headers=PARTIAL)


def test_homes_chart_counts_started_runs_per_day_with_one_group_by(lister, api):
    today = datetime.now(timezone.utc).date()
    since = today - timedelta(days=13)
    started = Counter(date.fromisoformat(run.createdAt[:10])
                      for run in api.iterate("flow-runs", filters={"createdAt][gte": since.isoformat()}))
    html = lister.get("/").get_data(as_text=True)
    shown = dict(re.findall(r"<tr><td[^>]*>(\d{4}-\d\d-\d\d)</td><td[^>]*>(\d+)</td><td[^>]*>\d+</td></tr>", html))
    assert len(shown) == 14 and sum(started.values())
    assert {day: int(count) for day, count in shown.items()} == \
        {(since + timedelta(days=offset)).isoformat(): started[since + timedelta(days=offset)] for offset in range(14)}
