"""Steps every Chromium test takes on the embedded default: sign in with the demo account, open a live page, send
the tab to the background and back."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def sign_in(page: Page, url: str, email: str | None = None, password: str | None = None) -> None:
    """Sign in through the form: as `email`, or as the demo account the sign-in page shows on loopback."""
    page.goto(f"{url}/login")
    page.fill("#email", email or page.locator("#demo-email").inner_text())
    page.fill("#password", password or page.locator("#demo-password").inner_text())
    page.click("#sign-in")
    expect(page.locator("#account-email")).to_be_visible()


def open_live(page: Page, url: str) -> None:
    """Open a page and wait until its live socket is up."""
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def hide(page: Page) -> None:
    """Make the tab hidden as a browser does when it goes to the background: htmx closes the socket."""
    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {value: true, configurable: true});
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")


def show(page: Page) -> None:
    """Bring the tab back to the foreground: htmx reconnects and the page catches up."""
    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {value: false, configurable: true});
        Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
