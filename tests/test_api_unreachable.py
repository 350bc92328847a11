"""When the Recrubo API goes away, the dashboard keeps showing its read model: Home, the lists and search still
answer, with a notice saying since when they may be behind; the actions that write say the API is unreachable.

Real parts: a standalone sandbox as the API, the dashboard under gunicorn syncing from it, the sandbox stopped."""

from __future__ import annotations

import html
import re
import time
from datetime import datetime, timezone

import pytest
import requests

from tests.support.accounts import create_account, csrf_token, signed_in_session
from tests.support.servers import remote_api, start_dashboard, start_sandbox, stop

EMAIL, PASSWORD = "offline@example.com", "a long password"
LISTS = {"/flows": "flow", "/message-threads": "message-thread", "/flow-runs": "flow-run",
         "/flow-generations": "flow-generation"}


def rows(html: str, prefix: str) -> list[str]:
    """The ids of a list's rows, in order."""
    return re.findall(rf'<tr id="{prefix}-([0-9a-f-]{{36}})"', html)


def wait_for(check, seconds: float, what: str):
    """Poll `check` until it answers something true (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """A dashboard whose read model was filled from a standalone sandbox, then the sandbox stopped: (dashboard, a
    signed-in session, what Home and the lists showed before)."""
    sandbox = start_sandbox(tmp_path_factory.mktemp("offline-sandbox"))
    dashboard = start_dashboard(tmp_path_factory.mktemp("offline-dashboard"), SYNC_SECONDS="2",
                                **remote_api(f"{sandbox.url}/public/v2"))
    try:
        wait_for(lambda: requests.get(f"{dashboard.url}/healthz", timeout=10).json()["read_model"] == "ok", 120,
                 "the first backfill")
        create_account(dashboard, EMAIL, PASSWORD)
        session = signed_in_session(dashboard, EMAIL, PASSWORD)
        before = {url: session.get(f"{dashboard.url}{url}", timeout=10).text for url in ["/", *LISTS]}
        for url, prefix in LISTS.items():
            assert rows(before[url], prefix), f"the demo data has rows on {url}"
            assert 'id="model-backfilling"' not in before[url] and 'id="model-behind"' not in before[url]
        stopped_at = datetime.now(timezone.utc).replace(tzinfo=None)
        stop(sandbox.process)
        yield dashboard, session, before, stopped_at
    finally:
        stop(sandbox.process)
        stop(dashboard.process)


def test_home_lists_and_search_keep_working_from_the_model_with_a_notice(offline):
    dashboard, session, before, stopped_at = offline
    home = wait_for(lambda: (lambda page: page if 'id="model-behind"' in page.text else None)(
        session.get(f"{dashboard.url}/", timeout=30)), 60, "Home to notice the API is gone")
    assert home.status_code == 200
    notice = re.search(r'<p[^>]*id="model-behind".*?</p>', home.text, re.S).group(0)
    since = datetime.fromisoformat(re.search(r'datetime="([^"]+)Z"', notice).group(1))
    assert since <= stopped_at, "the copy is current as of the last sync or webhook before the API went away"
    assert "can't be reached" in notice
    for block in ("attention", "run-counts", "totals", "runs-chart"):
        assert f'id="{block}"' in home.text
    counts = re.findall(r'id="run-count-\w+">\s*<span class="card-count">(\d+)', home.text)
    assert len(counts) == 6 and sum(map(int, counts)) > 0
    for url, prefix in LISTS.items():
        response = session.get(f"{dashboard.url}{url}", timeout=30)
        assert response.status_code == 200, url
        # The same copy as before the API went away (a sync or webhook may have moved a row or two meanwhile).
        shown = rows(response.text, prefix)
        assert shown and set(shown) & set(rows(before[url], prefix)), url
        assert 'id="model-behind"' in response.text, url
    thread_id = rows(before["/message-threads"], "message-thread")[0]
    name = re.search(rf'<tr id="message-thread-{thread_id}">.*?<a href="/message-threads/{thread_id}">([^<]+)</a>',
                     before["/message-threads"], re.S).group(1).split()[0]
    found = session.get(f"{dashboard.url}/message-threads", params={"q": name.lower()}, timeout=30)
    assert found.status_code == 200 and thread_id in rows(found.text, "message-thread")


def test_writes_say_plainly_that_the_api_is_unreachable(offline):
    dashboard, session, before, _stopped_at = offline
    token = csrf_token(before["/flow-runs"])
    thread_id = rows(before["/message-threads"], "message-thread")[0]
    run_id = rows(before["/flow-runs"], "flow-run")[0]
    writes = [(f"/message-threads/{thread_id}/chatbot", {"paused": "true"}),
              (f"/flow-runs/{run_id}/cancel", {}),
              ("/flow-runs", {"flowId": rows(before["/flows"], "flow")[0], "messageThreadId": thread_id}),
              ("/flow-generations", {"source": "text", "vacancyTitle": "Warehouse worker", "language": "en",
                                     "vacancyText": "A warehouse job in Tilburg, days only. " * 20})]
    for action, data in writes:
        response = session.post(f"{dashboard.url}{action}", data={**data, "csrf_token": token},
                                headers={"HX-Request": "true", "HX-Request-Type": "partial"}, timeout=60,
                                allow_redirects=False)
        text = html.unescape(response.text)
        assert response.status_code == 503, (action, response.status_code, text[:500])
        assert "Recrubo is unreachable" in text and "can't be reached" in text, action
        assert f'href="{action}"' not in text, "no link that would GET the form's address"
