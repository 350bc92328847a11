"""Issue 7 in a real browser: the dashboard hosting the sandbox's embeddables across origins."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.embed_hosts import Hosting, sign_in_page, start_hosting

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hosting(tmp_path_factory):
    """One sandbox and one dashboard on different sites, shared by this module's tests."""
    hosting = start_hosting(tmp_path_factory.mktemp("embeds"))
    yield hosting
    hosting.stop()


@pytest.fixture()
def signed_in(page: Page, hosting: Hosting) -> Page:
    sign_in_page(page, hosting.dashboard.url, hosting.email)
    return page


def component(page: Page, slug: str) -> FrameLocator:
    return page.frame_locator(f"#embed-{slug} iframe")


def inspector(page: Page, slug: str):
    """The embed's inspector log, opened."""
    page.locator(f"#embed-{slug} .inspector summary").click()
    return page.locator(f"#embed-{slug} [data-inspector-log]")


def wait_for(check, seconds: float = 15.0, what: str = "condition"):
    """Poll `check` until it returns something truthy, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not met within {seconds} s"
        time.sleep(0.1)


def open_component(page: Page, hosting: Hosting, slug: str) -> FrameLocator:
    """Go to the component's embed page and wait until the component reported `initialized`."""
    page.goto(f"{hosting.dashboard.url}/embeds/{slug}")
    log = inspector(page, slug)
    expect(log.locator("li", has_text='"event":"initialized"')).to_have_count(1)
    return component(page, slug)


def test_inbox_initializes_shows_threads_and_the_inspector_shows_the_handshake(signed_in: Page, hosting: Hosting,
                                                                               tmp_path):
    page = signed_in
    inbox = open_component(page, hosting, "inbox")
    origin = re.escape(hosting.sandbox_origin)
    log = page.locator("#embed-inbox [data-inspector-log] li")
    expect(log.nth(0)).to_contain_text(re.compile(rf"→ to {origin} · sent: .*\"action\":\"initialize\""))
    expect(log.filter(has_text='"event":"initialized"')).to_contain_text(re.compile(rf"← from {origin} · accepted"))
    token = page.locator("#embed-inbox").get_attribute("data-token")
    assert token[:6] + "…" in log.nth(0).inner_text() and token not in page.locator("#embed-inbox .inspector").inner_text()
    conversations = inbox.locator("[data-conversation-id]")
    expect(conversations.first).to_be_visible()
    assert conversations.count() >= 5
    expect(page.locator("#embed-inbox [data-embed-status]")).to_have_text("Connected.")

    conversations.first.click()
    expect(log.filter(has_text='"event":"conversationSelected"')).to_have_count(1)
    inbox.locator("textarea[name=message]").fill("Could you come by on Thursday at ten?")
    inbox.get_by_role("button", name="Send", exact=True).click()
    sent = inbox.locator(".rc-message.rc-outbound", has_text="Could you come by on Thursday at ten?")
    expect(sent).to_be_visible()
    conversation_id = conversations.first.get_attribute("data-conversation-id")
    thread_id = hosting.api(f"/conversations/{conversation_id}")["data"]["attributes"]["messageThreadId"]
    stored = hosting.api(f"/messages?filter[messageThreadId]={thread_id}&sort=-createdAt&page[size]=1")["data"][0]
    assert stored["attributes"]["payload"]["text"]["value"] == "Could you come by on Thursday at ten?"
    assert stored["attributes"]["origin"] == "outbound" and stored["attributes"]["sendBy"] == "Sanne de Vries"
    page.locator("#embed-inbox").screenshot(path=tmp_path / "inbox.png")
