"""Every page of the dashboard, found in a signed-in browser: the one list the phone-width test, the
accessibility audit and `scripts/screenshots.py` all walk, so a new page is added here once.

Detail pages are found the way a recruiter reaches them, by following the first link of a list (the
run page prefers a finished run, whose gathered answers are filled in, and a second flow page is that run's
flow, whose funnel has numbers), so they show real data.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page


@dataclass(frozen=True)
class Visit:
    """A page to open: a name for reports and file names, and its path on the dashboard."""

    name: str
    path: str


# Pages at a fixed address (all but sign-in need a signed-in browser).
FIXED = (Visit("home", "/"), Visit("flows", "/flows"), Visit("message-threads", "/message-threads"),
         Visit("flow-runs", "/flow-runs"), Visit("flow-generations", "/flow-generations"),
         Visit("launch-runs", "/flow-runs/new"), Visit("generate-flow", "/flow-generations/new"),
         Visit("settings", "/settings"), Visit("read-model", "/settings/sync"), Visit("events", "/settings/events"),
         Visit("accounts", "/settings/users"), Visit("embeds", "/embeds"), Visit("embed-inbox", "/embeds/inbox"))
SIGN_IN = Visit("sign-in", "/login")  # open it signed out (a fresh browser context)
# name -> (list page, link to the first detail page on it)
DETAILS = {"flow": ("/flows", "#flows-rows td:first-child a"),
           "message-thread": ("/message-threads", "#message-threads-rows td:first-child a"),
           "flow-run": ("/flow-runs?status=finished", "#flow-runs-rows td:first-child a"),
           # The flow of the latest finished run: its funnel has numbers (the newest flow may have no runs).
           "flow-funnel": ("/flow-runs?status=finished", '#flow-runs-rows td[data-label="Flow"] a'),
           "flow-generation": ("/flow-generations?status=finished", "#flow-generations-rows td:first-child a")}


def first_link(page: Page, base_url: str, list_path: str, selector: str) -> str | None:
    """The address of the first link matching `selector` on a page, or None when there is none."""
    page.goto(f"{base_url}{list_path}")
    link = page.locator(selector).first
    return link.get_attribute("href") if link.count() else None


def candidate_page(page: Page, base_url: str, thread_path: str | None) -> Visit | None:
    """The candidate page of the thread's candidate, found through the link the thread page gives it.

    The candidate page (`/candidates/<id>`) is built in parallel with this list: while the route does not
    exist there is no link to follow, or the address of an existing candidate answers 404, and the page is
    left out rather than failing every walk. Once the route is on main it is visited like any other page."""
    if not thread_path:
        return None
    href = first_link(page, base_url, thread_path, 'main a[href^="/candidates/"]')
    if not href:
        return None
    path = href.split("#", 1)[0]
    if page.request.get(f"{base_url}{path}").status == 404:
        return None
    return Visit("candidate", path)


def every_page(page: Page, base_url: str) -> list[Visit]:
    """Every page a signed-in recruiter or admin can open (not the sign-in page: see SIGN_IN), details with
    real data; a detail whose list is empty is left out."""
    visits = list(FIXED)
    found = {name: first_link(page, base_url, *where) for name, where in DETAILS.items()}
    visits += [Visit(name, href) for name, href in found.items() if href]
    if found["flow-run"]:
        visits.append(Visit("launched-runs", f"/flow-runs/launched?id={found['flow-run'].rsplit('/', 1)[-1]}"))
    candidate = candidate_page(page, base_url, found["message-thread"])
    if candidate:
        visits.append(candidate)
    return visits
