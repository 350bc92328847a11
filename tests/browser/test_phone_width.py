"""At phone width (390 x 844) no page of the dashboard scrolls sideways, and every list is a stack of cards."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from scripts.screenshots import sign_in
from tests.support.every_page import OPEN_DETAILS, SIGN_IN, Visit, every_page, launch_page
from tests.support.pages import api_for, make_thread, unique

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LISTS = ("home", "flows", "message-threads", "flow-runs", "flow-generations", "events", "accounts", "bulk-launch")
# What the page shows of its lists: each row's computed display, and each labelled cell's label as drawn.
ROWS = """() => [...document.querySelectorAll('table.list > tbody > tr')].filter(tr => tr.closest('[hidden]') === null)
  .map(tr => ({display: getComputedStyle(tr).display, labels: [...tr.querySelectorAll(':scope > td[data-label]')]
    .filter(td => getComputedStyle(td).display !== 'none' && td !== tr.firstElementChild)
    .map(td => [td.dataset.label, getComputedStyle(td, '::before').content])}))"""
# The elements reaching past the right edge, to say what made a page too wide.
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth)
  .slice(0, 8).map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`)"""


def fits(page: Page, visit: Visit) -> None:
    """The page is no wider than the screen; on failure, name what sticks out."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{visit.path} is {width[0]} px wide at {width[1]} px: {page.evaluate(TOO_WIDE)}"


@pytest.fixture()
def phone_page(page: Page, live_server) -> Page:
    """A browser page signed in with the demo account, with a thread of this test's own so the lists have rows."""
    make_thread(api_for(f"{live_server.url}/sandbox"), unique("Phone").replace(" ", ""), "Narrow-Screen-Tester")
    sign_in(page, live_server.url)
    page.set_viewport_size(PHONE)
    return page


def test_no_page_scrolls_sideways_and_lists_are_cards_at_390_px(phone_page: Page, live_server):
    page, api = phone_page, api_for(f"{live_server.url}/sandbox")
    visits = every_page(page, live_server.url)
    assert {"flow", "message-thread", "flow-run", "candidate", "flow-funnel", "events-filtered"} <= \
        {visit.name for visit in visits}
    thread = make_thread(api, unique("Phone").replace(" ", ""), "Launched-On-A-Narrow-Screen")
    api.update("message-threads", "messageThreads", thread.id, {"chatbotPaused": True})  # its run stays queued
    visits.append(launch_page(page, live_server.url, thread.id))
    for visit in visits:
        page.goto(f"{live_server.url}{visit.path}")
        page.wait_for_load_state("networkidle")
        fits(page, visit)
        page.evaluate(OPEN_DETAILS)  # what a page folds away (payloads, tables, forms) fits too
        fits(page, visit)
        rows = page.evaluate(ROWS)
        if visit.name in LISTS:
            assert rows, f"{visit.path} shows no list rows"
        for row in rows:
            assert row["display"] in ("block", "grid", "flex"), f"{visit.path}: a row is shown as {row['display']}"
            # Each cell but the card's title names its column: the label is drawn, and silent to screen readers.
            for label, drawn in row["labels"]:
                assert label in drawn, f"{visit.path}: the cell labelled {label!r} draws {drawn!r}"


def test_the_sign_in_page_fits_a_phone(browser: Browser, live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}{SIGN_IN.path}")
    fits(page, SIGN_IN)
    context.close()


def test_cards_are_still_a_table_to_a_screen_reader(phone_page: Page, live_server):
    page = phone_page
    page.goto(f"{live_server.url}/message-threads")
    table = page.get_by_role("table", name="Message threads")
    expect(table.get_by_role("columnheader", name="Channel", exact=True)).to_have_count(1)
    assert table.locator("thead").bounding_box()["height"] <= 1  # hidden from view, not from screen readers
    # A cell's accessible name is its value only: the drawn label is silent (the column header names it).
    first = table.locator("tbody tr").first
    channel = first.locator('td[data-label="Channel"]').inner_text()
    expect(first.get_by_role("cell", name=channel, exact=True)).to_have_count(1)


def test_lists_stay_tables_at_desktop_width(phone_page: Page, live_server):
    page = phone_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/message-threads")
    assert {row["display"] for row in page.evaluate(ROWS)} == {"table-row"}
    expect(page.locator("table.list thead")).to_be_visible()
