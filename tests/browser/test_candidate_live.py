"""The candidate page in real Chromium on the embedded default: a flow launched from the page runs while the
sandbox's simulated candidate answers, and the timeline follows by push, without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.recrubo.relations import related_id
from scripts.screenshots import sign_in
from tests.support.pages import api_for, make_thread, unique

pytestmark = pytest.mark.browser


def open_candidate(page: Page, url: str) -> None:
    """Open the page once the read model holds the candidate's thread (its webhook may still be on the way)."""
    for _ in range(60):
        page.goto(url)
        if page.locator("#candidate-launch").count():
            break
        page.wait_for_timeout(250)
    expect(page.locator("#candidate-launch")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def test_the_candidate_page_follows_a_run_as_the_simulated_candidate_answers(page: Page, live_server, tmp_path):
    api = api_for(f"{live_server.url}/sandbox")
    name = unique("Livetimeline").replace(" ", "")
    thread = make_thread(api, name, "Person")
    candidate_id = related_id(thread, "candidate")
    sign_in(page, live_server.url)
    open_candidate(page, f"{live_server.url}/candidates/{candidate_id}")
    expect(page.locator("h1")).to_have_text(f"{name} Person")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloaded
    page.select_option("#candidate-launch-flow", label="Quick screening")
    page.click("#candidate-launch-submit")
    expect(page.locator("#launched-title")).to_have_text("1 run launched")
    expect(page).to_have_url(f"{live_server.url}/candidates/{candidate_id}")  # launched in place
    runs = api.list("flow-runs", filters={"messageThreadId": thread.id}).items
    assert len(runs) == 1
    timeline = page.locator(f"#candidate-{candidate_id}-timeline")
    entry = timeline.locator(f"#timeline-run-{runs[0].id}")
    expect(entry).to_be_visible(timeout=20_000)
    expect(entry.locator(".entry-title")).to_have_text(re.compile(r"Quick screening.* finished"), timeout=60_000)
    expect(timeline.locator('li[data-kind="message"]', has_text=f"{name} Person wrote").first).to_be_visible()
    expect(timeline.locator('li[data-kind="message"]', has_text="Sent by").first).to_be_visible()
    assert page.evaluate("window.loadedOnce") is True
    assert timeline.locator(f"#timeline-run-{runs[0].id}").count() == 1
    # Reloaded from the read model, the page holds what the pushes made of it.
    pushed = timeline.locator("li.timeline-entry").evaluate_all("items => items.map(item => item.id)")
    page.reload()
    expect(page.locator(f"#timeline-run-{runs[0].id} .entry-title")).to_contain_text("finished")
    reloaded = timeline.locator("li.timeline-entry").evaluate_all("items => items.map(item => item.id)")
    assert set(pushed) <= set(reloaded)
    page.screenshot(path=str(tmp_path / "candidate-page.png"), full_page=True)
    # The thread's Inbox opens in place.
    assert page.locator("#open-inbox iframe").count() == 0
    page.click("#open-inbox summary")
    log = page.locator("#open-inbox [data-inspector-log]")
    expect(log.locator("li", has_text='"event":"initialized"')).to_have_count(1, timeout=20000)
