"""axe-core (axe-playwright-python) finds no violation on any page of the dashboard, at desktop and phone width."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from scripts.screenshots import sign_in
from tests.support.every_page import OPEN_DETAILS, SIGN_IN, Visit, every_page, launch_page
from tests.support.pages import api_for, make_thread, unique

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def violations(page: Page, visit: Visit) -> list[str]:
    """axe-core's violations on the open page, one readable line per element."""
    found = Axe().run(page).response["violations"]
    return [f"{visit.path}: {item['id']} ({item['impact']}): {item['help']}\n    at {node['target']}: "
            + node.get("failureSummary", "").replace("\n", " ")
            for item in found for node in item["nodes"]]


def audit(page: Page, base_url: str, visits: list[Visit]) -> list[str]:
    """Open each page, let it settle, open what it folds away, and collect what axe-core finds at each width (the
    page is laid out again at the next width, not loaded again)."""
    found = []
    for visit in visits:
        page.set_viewport_size(WIDTHS["desktop"])
        page.goto(f"{base_url}{visit.path}")
        page.wait_for_load_state("networkidle")
        page.evaluate(OPEN_DETAILS)
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            found += [f"[{width}] {line}" for line in violations(page, visit)]
    return found


def test_every_page_passes_axe_at_desktop_and_phone_width(page: Page, live_server):
    api = api_for(f"{live_server.url}/sandbox")
    thread = make_thread(api, unique("Axe").replace(" ", ""), "Audited")
    api.update("message-threads", "messageThreads", thread.id, {"chatbotPaused": True})  # its run stays queued
    sign_in(page, live_server.url)
    visits = every_page(page, live_server.url)
    visits.append(launch_page(page, live_server.url, thread.id))
    assert {"flow", "message-thread", "flow-run", "flow-generation", "candidate", "flow-funnel", "events-filtered",
            "launch-picked"} <= {visit.name for visit in visits}
    found = audit(page, live_server.url, visits)
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


def test_the_sign_in_page_passes_axe(browser: Browser, live_server):
    context = browser.new_context()
    found = audit(context.new_page(), live_server.url, [SIGN_IN])
    context.close()
    assert not found, "\n".join(found)
