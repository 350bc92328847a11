"""A recruiter opens Recrubo's components in place on the dashboard's own pages."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from dashboard.recrubo.client import RecruboClient
from tests.support.servers import API_KEY

pytestmark = pytest.mark.browser


def sign_in_as_demo(page: Page, server) -> None:
    login = requests.get(f"{server.url}/login", timeout=10).text
    page.goto(f"{server.url}/login")
    page.fill("#email", re.search(r'id="demo-email">([^<]+)<', login).group(1))
    page.fill("#password", re.search(r'id="demo-password">([^<]+)<', login).group(1))
    page.click("#sign-in")
    page.wait_for_url(f"{server.url}/")


def test_a_threads_inbox_and_a_flows_bot_studio_open_in_place(page: Page, live_server):
    api = RecruboClient(f"{live_server.url}/sandbox/public/v2", API_KEY)
    conversation = api.list("conversations", size=1).items[0]
    flow = api.list("flows", size=1).items[0]
    sign_in_as_demo(page, live_server)
    for path, slug, preset in ((f"/message-threads/{conversation.messageThreadId}", "inbox", conversation.id),
                               (f"/flows/{flow.id}", "bot-studio", flow.id)):
        page.goto(f"{live_server.url}{path}")
        assert page.locator(f"#open-{slug} iframe").count() == 0  # nothing loads until it is opened
        page.click(f"#open-{slug} summary")
        log = page.locator(f"#open-{slug} [data-inspector-log]")
        expect(log.locator("li", has_text='"event":"initialized"')).to_have_count(1, timeout=20000)
        expect(log.locator("li", has_text='"action":"initialize"')).to_contain_text(preset)
