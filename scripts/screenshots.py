"""Screenshots of the dashboard at desktop and phone width.

    python scripts/screenshots.py [URL] [FOLDER]    every page (tests/support/every_page.py) into FOLDER
                                                    (default `screenshots/`, git-ignored), full length
    python scripts/screenshots.py --readme [URL]    the README's: Home, a candidate page and a flow with its
                                                    funnel, into docs/screenshots/ (committed)

Without URL it starts the embedded default itself (gunicorn on a free loopback port, a fresh instance folder
with the sandbox's demo data), waits until the read model is filled, and stops it afterwards. With URL it
signs in to that dashboard with the demo account its sign-in page shows. The page tests call `capture_readme` too.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python scripts/screenshots.py` from a clone: `tests.support` imports as in the suite
from tests.support.every_page import Visit, every_page  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = ((1280, 900, ""), (390, 844, "-phone"))
README_FOLDER = ROOT / "docs" / "screenshots"


def sign_in(page: Page, base_url: str) -> None:
    """Sign in with the demo account the sign-in page shows."""
    page.goto(f"{base_url}/login")
    page.fill("#email", page.locator("#demo-email").inner_text())
    page.fill("#password", page.locator("#demo-password").inner_text())
    page.click("#sign-in")
    page.wait_for_url(f"{base_url}/")


def settle(page: Page) -> None:
    """Let the open page finish loading and, when it has a live indicator, connect (not required)."""
    page.wait_for_load_state("networkidle")
    with contextlib.suppress(PlaywrightError):
        page.locator('#live-status[data-state="live"]').wait_for(timeout=5_000)


def capture(page: Page, base_url: str, folder: Path) -> list[Path]:
    """Visit every page (lists, a detail of each kind, forms, settings) and save a full-page PNG of each."""
    folder.mkdir(parents=True, exist_ok=True)
    visits = every_page(page, base_url)
    written = []
    for width, height, suffix in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for visit in visits:
            page.goto(f"{base_url}{visit.path}")
            page.wait_for_load_state("networkidle")
            target = folder / f"{visit.name}{suffix}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
    return written


# The README's screenshots, one screen each: page name -> {width suffix: (the element brought to the top, None for
# the page's top; the screen's height)}; a width not named shows the page's top on the usual screen. On a desktop
# the flow's screen is tall enough for its name, facts and funnel; on a phone it starts at the funnel.
README_SHOTS = {"home": {"": (None, 1060)}, "candidate": {},
                "flow-funnel": {"": (None, 1380), "-phone": ("#flow-funnel", 844)}}
# A graph wider than its canvas scrolls inside it; when its start step is out of view, the screenshot scrolls
# the canvas to show that step in the middle.
CENTER_GRAPH = """canvas => { const start = canvas.querySelector('.step-start'); if (!start) return;
  const box = canvas.getBoundingClientRect(), step = start.getBoundingClientRect();
  if (step.left >= box.left && step.right <= box.right) return;
  canvas.scrollLeft += step.left + step.width / 2 - (box.left + box.width / 2); }"""


def readme_pages(page: Page, base_url: str) -> list[Visit]:
    """The README's pages: Home; the candidate page of the latest finished run's candidate (messages and a run on
    its timeline); the flow of the latest finished run with its funnel (`#flow-funnel`)."""
    visits = {visit.name: visit for visit in every_page(page, base_url)}
    return [visits[name] for name in README_SHOTS if name in visits]


def capture_readme(page: Page, base_url: str, folder: Path = README_FOLDER) -> list[Path]:
    """Screenshots of the README's pages, one screen each at desktop and phone width."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = readme_pages(page, base_url)
    written = []
    for width, height, suffix in WIDTHS:
        for visit in pages:
            anchor, screen = README_SHOTS[visit.name].get(suffix, (None, height))
            page.set_viewport_size({"width": width, "height": screen})
            page.goto(f"{base_url}{visit.path}")
            settle(page)
            if anchor and page.locator(anchor).count():
                page.locator(anchor).evaluate("element => element.scrollIntoView({block: 'start'})")
            for canvas in page.locator(".flow-graph-canvas").all():
                canvas.evaluate(CENTER_GRAPH)
            target = folder / f"{visit.name}{suffix}.png"
            page.screenshot(path=str(target))
            written.append(target)
    return written


@contextlib.contextmanager
def embedded_default() -> Iterator[str]:
    """The dashboard on its embedded sandbox with the demo data, started here; yields its URL once filled."""
    from tests.support.servers import start_dashboard

    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        server = start_dashboard(Path(folder))
        try:
            yield server.url
        finally:
            server.stop()


def wait_for_read_model(page: Page, base_url: str, seconds: float = 120) -> None:
    """Wait until Home no longer says the read model is still being copied (a fresh instance backfills)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(f"{base_url}/")
        if not page.locator("#model-backfilling").count():
            return
        time.sleep(2)
    raise RuntimeError(f"the read model of {base_url} was still backfilling after {seconds} s")


def shoot(base_url: str, readme: bool, folder: Path | None) -> list[Path]:
    """Sign in to the dashboard at `base_url` in Chromium and take the screenshots asked for."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, base_url)
        wait_for_read_model(page, base_url)
        if readme:
            written = capture_readme(page, base_url, folder or README_FOLDER)
        else:
            written = capture(page, base_url, folder or ROOT / "screenshots")
        browser.close()
    return written


def main() -> None:
    """Take the screenshots the command line asks for and print the files written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--readme", action="store_true", help="only the README's screenshots, into docs/screenshots/")
    parser.add_argument("url", nargs="?", help="a running dashboard (default: start the embedded default here)")
    parser.add_argument("folder", nargs="?", type=Path, help="where to write the PNGs")
    args = parser.parse_args()
    if args.url:
        written = shoot(args.url.rstrip("/"), args.readme, args.folder)
    else:
        with embedded_default() as url:
            written = shoot(url, args.readme, args.folder)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
