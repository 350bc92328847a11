"""Each list shows what the sandbox holds for the filters, sort and page in its URL, whole or as a fragment."""

from __future__ import annotations

import re

import pytest

from tests.support.pages import PARTIAL, make_flow, make_thread, unique
from tests.support.waiting import wait_until


def row_ids(html: str, prefix: str) -> list[str]:
    """The ids of the rows of one kind, in page order."""
    return re.findall(rf'<tr id="{prefix}-([0-9a-f-]{{36}})"', html)


def same_rows(recruiter, url: str, prefix: str, expected) -> list[str]:
    """The page's rows once they equal the API's (runs of other tests keep changing the sandbox meanwhile)."""
    def compare():
        shown = row_ids(recruiter.get(url).get_data(as_text=True), prefix)
        return shown if shown == [item.id for item in expected()] else None
    return wait_until(compare, 15, f"{url} shows the API's rows", every=0.3)


@pytest.mark.parametrize("typed", ["as named", "lowercase"])
def test_flows_search_by_name_finds_only_matching_flows(recruiter, api, typed):
    prefix = unique("Searchable")
    made = [make_flow(api, f"{prefix} {n}", questions=1) for n in range(2)]
    search = prefix if typed == "as named" else prefix.lower()
    html = recruiter.get("/flows", query_string={"q": search, "sort": "name"}).get_data(as_text=True)
    assert row_ids(html, "flow") == [flow.id for flow in made]
    assert f'value="{search}"' in html  # the search box shows the state it came from


@pytest.mark.parametrize("choice, check", [
    ("generated", lambda flow: flow.flowGenerationId), ("manual", lambda flow: not flow.flowGenerationId)])
def test_flows_type_filter_matches_the_flows_origin(recruiter, api, choice, check):
    make_flow(api, unique("Hand-built"), questions=1)
    html = recruiter.get("/flows", query_string={"type": choice}).get_data(as_text=True)
    shown = row_ids(html, "flow")
    assert shown
    assert all(check(api.get("flows", flow_id)) for flow_id in shown)


def test_lists_page_through_the_apis_pages_in_the_chosen_order(recruiter, api):
    expected = api.list("message-threads", sort="createdAt", page=2, size=25)
    assert expected.items, "the demo seed has more than 25 threads"
    html = recruiter.get("/message-threads?sort=oldest&page=2").get_data(as_text=True)
    assert row_ids(html, "message-thread") == [thread.id for thread in expected.items]
    assert f"Page 2 of {expected.max_page}" in html
    assert 'href="/message-threads?sort=oldest"' in html  # the previous page link keeps the sort


def test_a_partial_request_gets_the_same_list_without_the_page_around_it(recruiter):
    whole = recruiter.get("/message-threads?channel=facebook-messenger&sort=oldest").get_data(as_text=True)
    fragment = recruiter.get("/message-threads?channel=facebook-messenger&sort=oldest",
                             headers=PARTIAL).get_data(as_text=True)
    assert "<html" in whole and "<html" not in fragment
    assert row_ids(fragment, "message-thread") == row_ids(whole, "message-thread") != []


def test_threads_channel_filter_shows_only_that_channel(recruiter, api):
    shown = same_rows(recruiter, "/message-threads?channel=facebook-messenger", "message-thread", lambda: api.list(
        "message-threads", filters={"channel": "facebook-messenger"}, sort="-updatedAt").items)
    assert shown and all(api.get("message-threads", thread_id).channel == "facebook-messenger"
                         for thread_id in shown)


@pytest.mark.parametrize("search", ["name", "lowercase name", "last name", "full name", "number", "number with +"])
def test_threads_search_finds_a_candidate_by_name_or_number(recruiter, api, search):
    name = unique("Zoë").replace(" ", "")
    thread = make_thread(api, name, "Searchable")
    query = {"name": name, "lowercase name": name.lower(), "last name": "searchable",
             "full name": f"{name.lower()} Search", "number": thread.identifier[:9],
             "number with +": "+" + thread.identifier}[search]
    html = recruiter.get("/message-threads", query_string={"q": query}).get_data(as_text=True)
    assert thread.id in row_ids(html, "message-thread")
    if search not in ("number", "last name"):  # other tests' candidates share the number range and last name
        assert row_ids(html, "message-thread") == [thread.id]
        assert f"{name} Searchable" in html


def test_a_search_that_matches_nobody_says_so(recruiter):
    html = recruiter.get("/message-threads", query_string={"q": "Nobody-by-this-name"}).get_data(as_text=True)
    assert "No message threads match these filters." in html


def test_runs_filter_by_status_flow_and_thread(recruiter, api):
    run = api.list("flow-runs", filters={"status": "finished"}, sort="-createdAt", size=1).items[0]
    html = recruiter.get("/flow-runs", query_string={"status": "finished", "flow": run.flowId,
                                                      "thread": run.messageThreadId}).get_data(as_text=True)
    expected = api.list("flow-runs", filters={"status": "finished", "flowId": run.flowId,
                                              "messageThreadId": run.messageThreadId}, sort="-createdAt").items
    assert row_ids(html, "flow-run") == [item.id for item in expected]
    assert run.id in row_ids(html, "flow-run")
    assert 'aria-label="Show runs on every thread"' in html  # the thread filter can be removed


def test_generations_filter_by_status(recruiter, api):
    assert same_rows(recruiter, "/flow-generations?status=finished", "flow-generation", lambda: api.list(
        "flow-generations", filters={"status": "finished"}, sort="-createdAt").items)


def test_values_outside_the_choices_are_ignored_not_sent(recruiter):
    response = recruiter.get("/flow-runs?status=bogus&sort=-nonsense&page=-3")
    assert response.status_code == 200
    plain = recruiter.get("/flow-runs?sort=oldest").get_data(as_text=True)
    odd = recruiter.get("/flow-runs?status=bogus&sort=oldest&page=-3").get_data(as_text=True)
    assert row_ids(odd, "flow-run") == row_ids(plain, "flow-run") != []
