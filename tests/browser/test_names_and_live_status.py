"""Names, not ids: no page shows the start of an id as a name. The live indicator is on every signed-in page, in
words, and turns "stale" with a one-click Refresh when the server cannot catch the page up."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.browsing import hide, show, sign_in
from tests.support.payloads import RECEIVER, WEBHOOK_HEADERS, payload

pytestmark = pytest.mark.browser
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def first_link(page: Page, url: str, prefix: str) -> str | None:
    """The first link on the list at `url` to a page under `prefix` (a run's, a generation's, a thread's)."""
    page.goto(url)
    found = page.locator(f"main a[href^='{prefix}']").first
    return found.get_attribute("href") if found.count() else None


def test_no_page_shows_the_start_of_an_id_as_a_name(page: Page, live_server):
    sign_in(page, live_server.url)
    lists = ["/", "/flows", "/flow-runs", "/message-threads", "/flow-generations", "/settings/events"]
    shown = [first_link(page, f"{live_server.url}{path}", prefix) for path, prefix in (
        ("/flow-runs", "/flow-runs/0"), ("/flow-generations", "/flow-generations/0"),
        ("/message-threads", "/message-threads/0"), ("/flows", "/flows/0"))]
    paths = lists + [path for path in shown if path]
    assert len(paths) > len(lists)
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        ids = set(UUID.findall(page.content()))
        text = page.locator("body").inner_text()
        assert ids or path in ("/settings/events",), path
        # The time-ordered start of an id never shows; where an id must show, its random end does.
        assert not [id_ for id_ in ids if id_[:8] in text], path
        assert not re.search(r"\b(Run|Flow run|Generation|Flow generation) [0-9a-f]{8}\b", text), path


PAGES = ["/", "/flows", "/flow-runs", "/flow-runs/new", "/message-threads", "/flow-generations",
         "/flow-generations/new", "/embeds", "/embeds/inbox", "/settings", "/settings/events", "/settings/sync",
         "/settings/users"]


def test_the_live_indicator_is_on_every_page_in_words(page: Page, live_server):
    sign_in(page, live_server.url)
    thread = first_link(page, f"{live_server.url}/message-threads", "/message-threads/0")
    for path in PAGES + [thread]:
        page.goto(f"{live_server.url}{path}")
        indicator = page.locator("#live-status")
        expect(indicator).to_have_attribute("role", "status")
        expect(indicator).to_have_attribute("data-state", "live", timeout=20000)
        expect(indicator).to_have_text("Live")
        expect(page.locator("#live-refresh")).to_be_hidden()


def test_a_page_too_far_behind_turns_stale_and_refreshes_in_one_click(page: Page, live_server):
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/flow-runs")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.loadedOnce = true")
    hide(page)
    expect(page.locator("#live-status")).not_to_have_attribute("data-state", "live")
    # More changes on its channel than the server replays (REPLAY_LIMIT, 500): one synthetic run, changed again
    # and again, deleted at the end so the read model holds the API's runs only.
    run, start = str(uuid.uuid4()), datetime(2026, 11, 23, 11, tzinfo=timezone.utc)
    with requests.Session() as http:
        def deliver(document: dict) -> None:
            response = http.post(f"{live_server.url}{RECEIVER}", json=document, headers=WEBHOOK_HEADERS, timeout=10)
            assert response.status_code == 200, response.text

        try:
            deliver(payload(run, event="create", status="queued", fields=[], updated_at=start.isoformat()))
            for second in range(1, 502):
                deliver(payload(run, status="running", fields=["cost"],
                                updated_at=(start + timedelta(seconds=second)).isoformat()))
            show(page)
            indicator = page.locator("#live-status")
            expect(indicator).to_have_attribute("data-state", "stale", timeout=20000)
            expect(indicator).to_contain_text("refresh")
            assert page.evaluate("window.loadedOnce") is True  # said, not reloaded behind the reader's back
            page.locator("#live-refresh").click()
            expect(indicator).to_have_attribute("data-state", "live", timeout=20000)
            assert page.evaluate("window.loadedOnce === undefined")
        finally:
            deliver(payload(run, event="delete", status="cancelled",
                            updated_at=(start + timedelta(hours=1)).isoformat()))
