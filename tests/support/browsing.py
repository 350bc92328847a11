"""Steps every Chromium test takes on the embedded default: sign in with the demo account, open a live page."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def sign_in(page: Page, url: str) -> None:
    """Sign in with the demo account the sign-in page shows."""
    page.goto(f"{url}/login")
    page.fill("#email", page.locator("#demo-email").inner_text())
    page.fill("#password", page.locator("#demo-password").inner_text())
    page.click("#sign-in")
    expect(page.locator("#account-email")).to_be_visible()


def open_live(page: Page, url: str) -> None:
    """Open a page and wait until its live socket is up."""
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
