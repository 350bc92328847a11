"""Every page of the dashboard, found in a signed-in browser: the one list the phone-width test, the
accessibility audit and `scripts/screenshots.py` all walk, so a new page is added here once.

Detail pages are found the way a recruiter reaches them, by following the first link of a list, so they show
real data: the run page is a finished run's (its gathered answers filled in), a second flow page is that run's
flow (its funnel has numbers), the candidate page is that run's candidate (messages and a run on the timeline),
the review page is the generation page of a generated flow awaiting review.
"""

from __future__ import annotations

import re
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
         Visit("events-filtered", "/settings/events?verdict=applied&resource=flowRuns"),
         Visit("accounts", "/settings/users"), Visit("embeds", "/embeds"), Visit("embed-inbox", "/embeds/inbox"))
SIGN_IN = Visit("sign-in", "/login")  # open it signed out (a fresh browser context)
FINISHED_RUNS = "/flow-runs?status=finished"
# name -> (list page, link to the first detail page on it)
DETAILS = {"flow": ("/flows", "#flows-rows td:first-child a"),
           "message-thread": ("/message-threads", "#message-threads-rows td:first-child a"),
           "flow-run": (FINISHED_RUNS, "#flow-runs-rows td:first-child a"),
           # The flow of the latest finished run: its funnel has numbers (the newest flow may have no runs).
           "flow-funnel": (FINISHED_RUNS, '#flow-runs-rows td[data-label="Flow"] a'),
           # The candidate of the latest finished run (whose thread names one): messages and a run to show.
           "candidate": (FINISHED_RUNS, '#flow-runs-rows td[data-label="Thread"] a.candidate-link'),
           "flow-generation": ("/flow-generations?status=finished", "#flow-generations-rows td:first-child a"),
           # A generated flow's badge leads to its generation page, whose review panel offers the approval.
           "generation-review": ("/flows", "#flows-rows a.awaiting-review"),
           # The event log's second page (its first holds 50 rows), when the log is that long.
           "events-older": ("/settings/events", "#event-log-older")}
# Opens every <details> on the open page, so what it hides (payloads, fallback forms, tables) is checked too; not
# those that load something when opened (an embed mints a token and loads a frame).
OPEN_DETAILS = "() => document.querySelectorAll('details:not([hx-get])').forEach(details => { details.open = true; })"


def first_link(page: Page, base_url: str, list_path: str, selector: str) -> str | None:
    """The address of the first link matching `selector` on a page (without its #fragment), or None."""
    page.goto(f"{base_url}{list_path}")
    link = page.locator(selector).first
    href = link.get_attribute("href") if link.count() else None
    return href.split("#", 1)[0] if href else None


def last_part(path: str) -> str:
    """The id a detail page's path ends with."""
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def derived(found: dict[str, str | None]) -> list[Visit]:
    """Pages whose address is built from the details found: the funnel over all time, the launch form with a
    flow and a thread picked, the panel of a launch's runs."""
    visits = []
    if found["flow-funnel"]:
        visits.append(Visit("flow-funnel-all", f"{found['flow-funnel']}?period=all"))
    if found["flow"] and found["message-thread"]:
        visits.append(Visit("launch-picked", f"/flow-runs/new?flowId={last_part(found['flow'])}"
                                             f"&messageThreadId={last_part(found['message-thread'])}"))
    if found["flow-run"]:
        visits.append(Visit("launched-runs", f"/flow-runs/launched?id={last_part(found['flow-run'])}"))
    return visits


def every_page(page: Page, base_url: str) -> list[Visit]:
    """Every page a signed-in recruiter or admin can open (not the sign-in page: see SIGN_IN), details with
    real data; a detail whose list is empty is left out. With no finished run naming a candidate, the candidate
    page is the one the first thread's page links to."""
    visits = list(FIXED)
    found = {name: first_link(page, base_url, *where) for name, where in DETAILS.items()}
    if not found["candidate"] and found["message-thread"]:
        found["candidate"] = first_link(page, base_url, found["message-thread"], 'main a[href^="/candidates/"]')
    visits += [Visit(name, href) for name, href in found.items() if href]
    return visits + derived(found)


def launch_page(page: Page, base_url: str, thread_id: str, flow: str = "Quick screening") -> Visit:
    """A launch's page, `/flow-runs/launches/<id>` (its lines arrive over the socket), made by launching the flow
    named `flow` (the demo's hand-built one) on the thread through the launch form: a caller's own thread, as a
    launch changes what it runs on (a paused one keeps its run queued)."""
    ticked = page.locator(f'input[name="messageThreadId"][value="{thread_id}"]:checked')
    for _attempt in range(30):  # the form ticks a thread once the read model has it (its webhook arrived)
        page.goto(f"{base_url}/flow-runs/new?messageThreadId={thread_id}")
        if ticked.count():
            break
        page.wait_for_timeout(1_000)
    page.select_option("#flowId", label=flow)
    page.click("#launch-submit")
    page.wait_for_url(re.compile(r".*/flow-runs/launches/[^/?#]+$"))
    return Visit("bulk-launch", page.url.removeprefix(base_url))
