"""A recruiter's day in a real browser on the embedded default: filter, open, launch, watch, generate."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from scripts.screenshots import capture_readme, sign_in
from tests.support.pages import api_for, make_thread, unique

pytestmark = pytest.mark.browser
VACANCY = ("Delivery driver in Utrecht, day shifts. You deliver parcels to homes and businesses with an electric van. "
           "You need a driving licence B and speak Dutch. Experience as a courier is a plus.")


@pytest.fixture()
def recruiter_page(page: Page, live_server) -> Page:
    """A browser page signed in with the demo account."""
    sign_in(page, live_server.url)
    return page


def test_filter_threads_open_one_launch_a_run_and_watch_it(recruiter_page: Page, live_server):
    page, api = recruiter_page, api_for(f"{live_server.url}/sandbox")
    name = unique("Playwright").replace(" ", "")
    thread = make_thread(api, name, "Browser")
    page.goto(f"{live_server.url}/message-threads")
    page.fill("#filter-q", name)
    expect(page.locator("#message-threads-rows tr")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/message-threads?q={name}&channel=&bot=&idle=&sort=activity")
    page.go_back()
    expect(page.locator("#filter-q")).to_have_value("")
    expect(page.locator("#message-threads-rows tr")).to_have_count(25)
    page.go_forward()
    expect(page.locator("#filter-q")).to_have_value(name)
    expect(page.locator("#message-threads-rows tr")).to_have_count(1)
    page.click(f"#message-thread-{thread.id} a")
    expect(page.locator("h1")).to_have_text(f"{name} Browser")
    page.click("#launch-run")
    expect(page.locator(f'input[value="{thread.id}"]')).to_be_checked()
    page.select_option("#flowId", label="Quick screening")
    expect(page.locator("#launch-submit")).to_have_text("Launch Quick screening for 1 thread")
    page.click("#launch-submit")
    expect(page.locator("#launch-progress-text")).to_contain_text("1 launched, 0 refused")
    runs = api.list("flow-runs", filters={"messageThreadId": thread.id}).items
    assert len(runs) == 1 and api.get("flows", runs[0].flowId).name == "Quick screening"
    expect(page.locator("#launch-lines tr")).to_contain_text(f"{name} Browser")
    page.click(f'#launch-lines a[href="/flow-runs/{runs[0].id}"]')
    expect(page).to_have_url(f"{live_server.url}/flow-runs/{runs[0].id}")
    # The simulated candidate answers; the status block refreshes itself until the run ends.
    expect(page.locator("#run-status")).to_have_text("Finished", timeout=45_000)
    expect(page.locator("#run-timeline")).to_contain_text("Run finished", timeout=10_000)


def test_a_bad_number_is_shown_at_its_field_and_a_double_click_launches_once(recruiter_page: Page, live_server):
    page, api = recruiter_page, api_for(f"{live_server.url}/sandbox")
    thread = make_thread(api, unique("Once").replace(" ", ""))
    page.goto(f"{live_server.url}/flow-runs/new?messageThreadId={thread.id}")
    page.select_option("#flowId", label="Quick screening")
    page.select_option("#newChannel", "whatsapp")
    page.fill("#newIdentifier", "06 1234 5678")
    page.click("#launch-submit")
    expect(page.locator("#newIdentifier-error")).to_contain_text("international format")
    expect(page.locator("#newIdentifier")).to_have_attribute("aria-invalid", "true")
    assert api.list("flow-runs", filters={"messageThreadId": thread.id}).items == []
    page.select_option("#newChannel", "")
    page.fill("#newIdentifier", "")
    page.dblclick("#launch-submit")
    expect(page.locator("#launch-progress-text")).to_contain_text("1 launched, 0 refused")
    assert len(api.list("flow-runs", filters={"messageThreadId": thread.id}).items) == 1


def test_generate_a_flow_from_a_pasted_vacancy_and_see_its_graph(recruiter_page: Page, live_server):
    page, api = recruiter_page, api_for(f"{live_server.url}/sandbox")
    title = unique("Courier Utrecht")
    page.goto(f"{live_server.url}/flow-generations/new")
    page.fill("#vacancyTitle", title)
    page.fill("#vacancyText", VACANCY)
    page.click("#analyse")
    expect(page.locator("#analysis .analysis")).to_be_visible()
    page.click("#use-analysis", timeout=60_000)
    expect(page.locator("#knockoutRequirements")).not_to_have_value("")
    page.fill("#flowName", title)
    page.click("#generate-submit")
    expect(page.locator("#generation-status")).to_be_visible()
    expect(page.locator("#generated-flow svg")).to_be_visible(timeout=45_000)
    expect(page.locator("#generated-flow .step-start")).to_have_count(1)
    vacancy = next(item for item in api.iterate("vacancy") if item.title == title)
    flow = next(item for item in api.iterate("flows") if item.name == title)
    assert flow.vacancyId == vacancy.id
    page.click("#open-flow")
    expect(page.locator("h1")).to_have_text(title)


def test_the_readmes_screenshots_are_made_from_the_embedded_default(recruiter_page: Page, live_server, tmp_path):
    """What `scripts/screenshots.py --readme` writes into docs/screenshots/ (every page at phone width and its axe
    audit: tests/browser/test_phone_width.py, test_accessibility.py)."""
    written = capture_readme(recruiter_page, live_server.url, tmp_path)
    assert sorted(path.name for path in written) == sorted(
        f"{name}{suffix}.png" for name in ("home", "candidate", "flow-funnel") for suffix in ("", "-phone"))
    assert all(path.stat().st_size > 10_000 for path in written)


def test_an_expired_form_says_so_and_keeps_what_was_typed(recruiter_page: Page, live_server):
    page, api = recruiter_page, api_for(f"{live_server.url}/sandbox")
    thread = make_thread(api, unique("Expired").replace(" ", ""))
    page.goto(f"{live_server.url}/flow-runs/new?messageThreadId={thread.id}")
    page.select_option("#flowId", label="Quick screening")
    # What a server restart with a new SECRET_KEY does to an open form: its token no longer verifies.
    page.locator('#launch input[name="csrf_token"]').evaluate("input => input.value = 'stale'")
    page.click("#launch-submit")
    expect(page.locator("#launch-status")).to_contain_text("This form has expired")
    expect(page.locator("#flowId option:checked")).to_have_text("Quick screening")
    expect(page.locator("#launch-submit")).to_be_enabled()
    assert api.list("flow-runs", filters={"messageThreadId": thread.id}).items == []


def test_a_slow_list_shows_that_it_is_loading(recruiter_page: Page, live_server):
    page = recruiter_page
    page.goto(f"{live_server.url}/message-threads")
    released = []

    def slow(route):
        # Hold the list request until the test has seen the loading state.
        if route.request.headers.get("hx-request-type") == "partial" and not released:
            page.wait_for_timeout(1500)
        route.continue_()

    page.route("**/message-threads?*", slow)
    page.select_option("#filter-channel", "facebook-messenger")
    expect(page.locator("#message-threads-list")).to_have_class(re.compile(r"\bhtmx-request\b"))
    released.append(True)
    expect(page.locator("#message-threads-list")).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    expect(page.locator("#message-threads-rows .channel-whatsapp")).to_have_count(0)
