"""Home read from the filled read model (SQLite and Postgres): its totals, runs by status, "Needs attention" (with
names), generations in progress and chart equal what the sandbox's API counts, taken independently."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.live import chart
from dashboard.recrubo.counting import RUN_STATUSES
from dashboard.recrubo.sync import sync_once
from tests.support.accounts import sign_in
from tests.support.apps import dispose
from tests.support.model_lists import synced_app
from tests.support.pages import make_flow, make_thread, unique

ATTEMPTS = 6  # the sandbox's demo runs play out meanwhile: count again after a sync until nothing moved between


@pytest.fixture(scope="module")
def failed_today(api):
    """A flow and two candidates' runs of it ended today: one failed, one timed out (the sandbox lets a recruiter
    end an active run with either status)."""
    flow = make_flow(api, unique("Attention flow"))
    runs = {}
    for status in ("exception", "timeout"):
        first_name = unique("Attention")
        thread = make_thread(api, first_name, "Candidate")
        run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": thread.id})
        api.update("flow-runs", "flowRuns", run.id, {"status": status})
        runs[run.id] = (flow.name, first_name)
    return runs


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def home_app(request, tmp_path_factory, sandbox_server, failed_today):
    """An in-process dashboard on the standalone sandbox, its read model (SQLite, then Postgres) filled by a sync."""
    app = synced_app(request, tmp_path_factory, sandbox_server, "home-model", "home@example.com")
    yield app
    dispose(app)


@pytest.fixture(scope="module")
def home(home_app):
    """A test client signed in as a recruiter."""
    client = home_app.test_client()
    sign_in(client, "home@example.com", "a long password")
    return client


def card(html: str, label: str) -> int:
    """The number on the totals card labelled `label`."""
    found = re.search(rf'<span class="card-count">(\d+)</span><span class="card-label">{label}</span>', html)
    assert found, label
    return int(found.group(1))


def status_count(html: str, status: str) -> int:
    """The number on the runs-by-status card of `status`."""
    found = re.search(rf'id="run-count-{status}">\s*<span class="card-count">(\d+)</span>', html)
    assert found, status
    return int(found.group(1))


def section(html: str, element_id: str) -> str:
    """One `<section id=…>` of the page."""
    found = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert found, element_id
    return found.group(0)


def chart_rows(html: str) -> dict[str, tuple[int, int]]:
    """The chart's table: day -> (started, finished)."""
    return {day: (int(started), int(finished)) for day, started, finished in re.findall(
        r"<tr><td[^>]*>(\d{4}-\d\d-\d\d)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td></tr>", html)}


def counted_by_api(api) -> dict:
    """What Home shows, counted from the API directly (its `meta.total`s, lists and a walk over the runs)."""
    today = datetime.now(timezone.utc).date()
    since = (today - timedelta(days=13)).isoformat()
    failed = api.list("flow-runs", filters={"status": "exception,timeout", "updatedAt][gte": today.isoformat()},
                      sort="-updatedAt", size=10)
    started = chart.counts(api.iterate("flow-runs", filters={"createdAt][gte": since}), "createdAt")
    finished = chart.counts(api.iterate("flow-runs", filters={"status": "finished", "updatedAt][gte": since}),
                            "updatedAt")
    return {
        "totals": {label: api.list(path, size=1).total for label, path in (
            ("flows", "flows"), ("message threads", "message-threads"), ("flow generations", "flow-generations"))},
        "runs": {status: api.list("flow-runs", filters={"status": status}, size=1).total for status in RUN_STATUSES},
        "failed": (failed.total, [run.id for run in failed.items]),
        "generating": [generation.id for generation in api.list(
            "flow-generations", filters={"status": "queued,processing"}, sort="-createdAt", size=10).items],
        "chart": {(today - timedelta(days=offset)).isoformat(): (started[today - timedelta(days=offset)],
                                                                  finished[today - timedelta(days=offset)])
                  for offset in range(14)},
    }


def shown_on_home(html: str) -> dict:
    """The same figures as Home shows them."""
    attention = section(html, "attention")
    total = re.search(r"(\d+) runs? failed or timed out today", attention)
    return {
        "totals": {label: card(html, label) for label in ("flows", "message threads", "flow generations")},
        "runs": {status: status_count(html, status) for status in RUN_STATUSES},
        "failed": (int(total.group(1)) if total else 0, re.findall(r'<tr id="flow-run-([0-9a-f-]{36})"', attention)),
        "generating": re.findall(r'<tr id="flow-generation-([0-9a-f-]{36})"', section(html, "generating")),
        "chart": chart_rows(html),
    }


def test_home_counts_from_the_model_equal_the_apis(home_app, home, api, failed_today):
    shown = expected = None
    for _attempt in range(ATTEMPTS):
        assert sync_once(home_app).ran
        before = counted_by_api(api)
        response = home.get("/")
        expected = counted_by_api(api)
        assert response.status_code == 200
        shown = shown_on_home(response.get_data(as_text=True))
        if before == expected == shown:
            break
        time.sleep(0.5)
    assert shown == expected
    html = response.get_data(as_text=True)
    assert 'id="model-backfilling"' not in html and 'id="model-behind"' not in html
    assert set(failed_today) <= set(shown["failed"][1])


def test_needs_attention_names_the_candidate_and_the_flow(home, failed_today):
    attention = section(home.get("/").get_data(as_text=True), "attention")
    for run_id, (flow_name, first_name) in failed_today.items():
        row = re.search(rf'<tr id="flow-run-{run_id}">.*?</tr>', attention, re.S)
        assert row, run_id
        assert flow_name in row.group(0) and first_name in row.group(0)


def test_run_counts_block_reads_the_model_too(home):
    page = home.get("/").get_data(as_text=True)
    block = home.get("/run-counts", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert block.status_code == 200 and "<html" not in block.get_data(as_text=True)
    for status in RUN_STATUSES:
        assert status_count(block.get_data(as_text=True), status) == status_count(page, status)


def test_home_says_it_reads_the_api_while_the_model_fills(recruiter, api):
    # pages_app never synced: Home counts through the API and says so.
    html = recruiter.get("/").get_data(as_text=True)
    assert 'id="model-backfilling"' in html and 'id="model-behind"' not in html
    assert card(html, "flows") == api.list("flows", size=1).total


def listed_total(client, href: str) -> int:
    """How many rows the list at `href` holds in all (its pagination's "N in all", 0 when empty)."""
    response = client.get(href.replace("&amp;", "&"))
    assert response.status_code == 200, href
    found = re.search(r"(\d+) in all", response.get_data(as_text=True))
    return int(found.group(1)) if found else 0


def link(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}" href="([^"]+)"|href="([^"]+)" id="{element_id}"', html)
    assert found, element_id
    return found.group(1) or found.group(2)


def test_every_count_on_home_links_to_a_list_of_exactly_that_many(home, failed_today):
    html = home.get("/").get_data(as_text=True)
    shown = shown_on_home(html)
    attention = section(html, "attention")
    counted = {link(attention, "attention-today"): shown["failed"][0],
               link(attention, "attention-all"): shown["runs"]["exception"] + shown["runs"]["timeout"]}
    counted.update({link(html, f"run-count-{status}"): shown["runs"][status] for status in RUN_STATUSES})
    counted.update({link(html, f"total-{label.replace(' ', '-')}"): shown["totals"][label]
                    for label in ("flows", "message threads", "flow generations")})
    generating = section(html, "generating")
    if 'id="generating-count"' in generating:
        total = int(re.search(r'id="generating-count"[^>]*>(\d+) in progress', generating).group(1))
        counted[link(generating, "generating-count")] = total
    assert "status=exception,timeout" in link(attention, "attention-all")  # timed-out runs too
    assert shown["failed"][0] >= len(failed_today)
    assert {href: listed_total(home, href) for href in counted} == counted


@pytest.mark.parametrize(("query", "statuses"), [
    ("status=exception&status=timeout", {"exception", "timeout"}),
    ("status=timeout,exception", {"exception", "timeout"}),
    ("status=exception&status=nonsense", {"exception"}),
])
def test_the_runs_list_takes_several_statuses(home, query, statuses):
    html = home.get(f"/flow-runs?{query}&sort=updated").get_data(as_text=True)
    shown = set(re.findall(r'<span class="status status-(\w+)"', html.split('id="flow-runs-rows"')[1]))
    assert shown <= statuses and shown


def test_the_runs_list_refuses_a_day_that_is_not_one(home):
    response = home.get("/flow-runs?updated_since=yesterday")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.get_data(as_text=True)
