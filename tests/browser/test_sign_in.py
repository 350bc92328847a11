"""Signing in and out in a real browser (Debian's Chromium under Playwright)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_demo_account_signs_in_sees_navigation_and_signs_out(page: Page, live_server):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login?next=/")
    email = page.locator("#demo-email").inner_text()
    password = page.locator("#demo-password").inner_text()
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")
    expect(page).to_have_url(f"{live_server.url}/")
    navigation = page.locator("#nav a")
    expect(navigation).to_have_text(["Flows", "Runs", "Threads", "Generations", "Embeds", "Settings"])
    expect(page.locator("#account-email")).to_have_text(email)
    page.click("#sign-out")
    expect(page).to_have_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/settings")
    expect(page).to_have_url(f"{live_server.url}/login?next=/settings")


def test_wrong_password_shows_an_error_and_no_session(page: Page, live_server):
    page.goto(f"{live_server.url}/login")
    page.fill("#email", page.locator("#demo-email").inner_text())
    page.fill("#password", "not the password")
    page.click("#sign-in")
    expect(page.locator("#login-error")).to_contain_text("do not match an account")
    page.goto(f"{live_server.url}/flows")
    expect(page).to_have_url(f"{live_server.url}/login?next=/flows")


def test_navigation_works_at_phone_width(page: Page, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/login")
    page.fill("#email", page.locator("#demo-email").inner_text())
    page.fill("#password", page.locator("#demo-password").inner_text())
    page.click("#sign-in")
    expect(page.locator("#nav")).to_be_hidden()
    page.click("label[for=nav-toggle]")
    expect(page.locator("#nav")).to_be_visible()
    page.click("#nav >> text=Runs")
    expect(page).to_have_url(f"{live_server.url}/flow-runs")
    expect(page.locator("h1")).to_have_text("Flow runs")
