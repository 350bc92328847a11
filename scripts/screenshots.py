"""Screenshots of every recruiter page, at desktop and phone width: `python scripts/screenshots.py URL [FOLDER]`.

Signs in with the demo account shown on the sign-in page of a dashboard on the embedded sandbox and
writes PNGs into FOLDER (default `screenshots/`, git-ignored). The page tests call `capture` too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sign_in(page: Page, base_url: str) -> None:
    """Sign in with the demo account the sign-in page shows."""
    page.goto(f"{base_url}/login")
    page.fill("#email", page.locator("#demo-email").inner_text())
    page.fill("#password", page.locator("#demo-password").inner_text())
    page.click("#sign-in")
    page.wait_for_url(f"{base_url}/")


def first_link(page: Page, base_url: str, list_path: str, selector: str) -> str | None:
    """The address of the first detail link on a list page."""
    page.goto(f"{base_url}{list_path}")
    link = page.locator(selector).first
    return link.get_attribute("href") if link.count() else None


def capture(page: Page, base_url: str, folder: Path) -> list[Path]:
    """Visit each page (lists, a detail of each kind, the launch forms) and save a full-page PNG of it."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"home": "/", "flows": "/flows", "message-threads": "/message-threads", "flow-runs": "/flow-runs",
             "flow-generations": "/flow-generations", "launch-runs": "/flow-runs/new",
             "generate-flow": "/flow-generations/new"}
    details = {"flow": ("/flows", "#flows-rows a"), "message-thread": ("/message-threads", "#message-threads-rows a"),
               "flow-run": ("/flow-runs", "#flow-runs-rows td:first-child a"),
               "flow-generation": ("/flow-generations", "#flow-generations-rows td:first-child a")}
    for name, (list_path, selector) in details.items():
        href = first_link(page, base_url, list_path, selector)
        if href:
            paths[name] = href
    if "flow-run" in paths:
        paths["launched-runs"] = f"/flow-runs/launched?id={paths['flow-run'].rsplit('/', 1)[-1]}"
    written = []
    for width, suffix in ((1280, ""), (390, "-phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in paths.items():
            page.goto(f"{base_url}{path}")
            page.wait_for_load_state("networkidle")
            target = folder / f"{name}{suffix}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
    return written


def main() -> None:
    """Take the screenshots of the dashboard at argv[1]."""
    base_url = sys.argv[1].rstrip("/")
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "screenshots"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, base_url)
        for path in capture(page, base_url, folder):
            print(path)
        browser.close()


if __name__ == "__main__":
    main()
