"""One time zone on every screen: the linked Recrubo user's (as the embeddables use it), else the browser's, else
UTC; labelled once per page; recent times read "3 min ago" with the exact time on hover and focus."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.recrubo.client import RecruboClient
from dashboard.recrubo.relations import related_id
from tests.support.accounts import create_account, signed_in_session
from tests.support.browsing import sign_in
from tests.support.pages import make_flow, make_thread, unique
from tests.support.servers import API_KEY
from tests.support.sockets import poll_health

pytestmark = pytest.mark.browser
EXACT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def api(server) -> RecruboClient:
    return RecruboClient(f"{server.url}/sandbox/public/v2", API_KEY)


def in_zone(instant: str, zone: str) -> str:
    """An ISO instant (`2026-12-05T07:21:00Z`) as the dashboard writes it in `zone`."""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def test_a_message_shows_the_same_time_on_the_thread_page_and_in_the_inbox_beside_it(browser: Browser,
                                                                                      live_server):
    # The browser's own zone is a third one: the page must follow the Recrubo user, as the Inbox does.
    context = browser.new_context(timezone_id="Pacific/Auckland")
    page = context.new_page()
    try:
        # The oldest message of a thread: others' tests add messages, but never before it.
        message_id, thread_id = next((item.id, related_id(item, "messageThread"))
                                     for item in api(live_server).list("messages", sort="createdAt", size=25).items
                                     if related_id(item, "messageThread"))
        sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/message-threads/{thread_id}")
        message = page.locator(f"#message-{message_id}")
        exact = message.locator("time").get_attribute("title")
        assert EXACT.fullmatch(exact), exact
        zone = page.locator("#time-zone-name").inner_text()
        assert zone != "Pacific/Auckland"
        assert page.locator("#time-zone").inner_text() == f"Times in {zone}"
        page.click("#open-inbox summary")
        inbox = page.frame_locator("#open-inbox iframe")
        meta = inbox.locator(f"li[data-message-id='{message_id}'] .rc-meta")
        expect(meta).to_be_visible(timeout=20000)
        # The Inbox writes "5 Dec, 08:21" (en-GB) in its user's zone; the page wrote "2026-12-05 08:21".
        day = datetime.strptime(exact, "%Y-%m-%d %H:%M")
        expect(meta).to_contain_text(f"{day.day} {day.strftime('%b')}, {day.strftime('%H:%M')}")
    finally:
        context.close()


@pytest.fixture()
def tokyo_account(live_server):
    """An account linked to a Recrubo user whose zone is Asia/Tokyo; its e-mail and password."""
    suffix = uuid.uuid4().hex[:6]
    user = api(live_server).create("users", "users", {"firstName": "Kenji", "lastName": f"Zone{suffix}",
                                                      "email": f"kenji-{suffix}@example.com",
                                                      "timeZone": "Asia/Tokyo"})
    email, password = f"tokyo-{suffix}@example.com", "a long enough password"
    create_account(live_server, email, password, recrubo_user_id=user.id)
    return email, password


def test_an_account_linked_to_a_user_in_another_zone_sees_every_time_there(browser: Browser, live_server,
                                                                          tokyo_account):
    email, password = tokyo_account
    # Without JavaScript (the page as the server writes it): the zone is named once and the times are in it.
    session = signed_in_session(live_server, email, password)
    try:
        html = session.get(f"{live_server.url}/flow-runs", timeout=10).text
    finally:
        session.close()
    assert re.search(r'<p id="time-zone">Times in <span id="time-zone-name">Asia/Tokyo</span></p>', html)
    assert "(UTC)" not in html
    written = re.findall(r'<time datetime="([^"]+)"[^>]*>([^<]+)</time>', html)
    assert written
    assert all(text == in_zone(instant, "Asia/Tokyo") for instant, text in written)
    # In a browser whose own zone is another one.
    context = browser.new_context(timezone_id="America/Sao_Paulo")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        for path in ("/flow-runs", "/message-threads", "/flows"):
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("#time-zone")).to_have_text("Times in Asia/Tokyo")
            times = page.locator("main time[data-time]")
            expect(times.first).to_have_attribute("title", EXACT)
            for index in range(min(times.count(), 5)):
                instant = times.nth(index).get_attribute("datetime")
                assert times.nth(index).get_attribute("title") == in_zone(instant, "Asia/Tokyo")
    finally:
        context.close()


def new_thread(live_server, first_name: str, last_name: str):
    """A thread created just now (its times read "just now") with a candidate of that name."""
    phone = "316" + str(uuid.uuid4().int)[:8]
    candidate = api(live_server).create("candidates", "candidates", {"firstName": first_name,
                                                                    "lastName": last_name, "phone": phone})
    return api(live_server).create("message-threads", "messageThreads", {"channel": "sms", "identifier": phone,
                                                                         "candidateId": candidate.id})


def test_a_recent_time_reads_minutes_ago_with_the_exact_time_on_hover_and_focus(page: Page, live_server):
    thread = new_thread(live_server, "Recent", "Ramos")
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/message-threads/{thread.id}")
    zone = page.locator("#time-zone-name").inner_text()
    recent = page.locator(f"#message-thread-{thread.id} time[data-relative]").first
    expect(recent).to_have_text(re.compile(r"^(just now|\d+ min ago)"))
    exact = in_zone(recent.get_attribute("datetime"), zone)
    expect(recent).to_have_attribute("title", exact)
    tip = recent.locator(".time-exact")
    expect(tip).to_have_text(exact)
    expect(recent).to_have_attribute("aria-label", re.compile(rf"^(just now|\d+ min ago) \({exact}\)$"))
    expect(tip).not_to_be_visible()
    recent.focus()  # reachable by keyboard (tabindex=0), and the exact time shows
    expect(tip).to_be_visible()
    page.mouse.move(0, 0)
    page.locator("h1").first.click()
    expect(tip).not_to_be_visible()
    recent.hover()
    expect(tip).to_be_visible()


def test_an_unlinked_account_sees_its_browsers_zone_and_a_bad_zone_falls_back_to_utc(browser: Browser,
                                                                                      live_server):
    email, password = f"unlinked-{uuid.uuid4().hex[:6]}@example.com", "a long enough password"
    create_account(live_server, email, password)
    context = browser.new_context(timezone_id="America/Sao_Paulo")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        page.goto(f"{live_server.url}/flow-runs")
        expect(page.locator("#time-zone")).to_have_text("Times in America/Sao_Paulo")
        # The browser told the server once (a cookie): the next page is written in that zone.
        html = page.request.get(f"{live_server.url}/flow-runs").text()
        assert '<span id="time-zone-name">America/Sao_Paulo</span>' in html
        written = re.findall(r'<time datetime="([^"]+)"[^>]*>([^<]+)</time>', html)
        assert written and all(text == in_zone(instant, "America/Sao_Paulo") for instant, text in written)
        # A zone no zoneinfo knows is not believed.
        context.add_cookies([{"name": "time_zone", "value": "Mars/Olympus_Mons", "url": live_server.url}])
        html = page.request.get(f"{live_server.url}/flow-runs").text()
        assert '<span id="time-zone-name">UTC</span>' in html
    finally:
        context.close()


def test_relative_times_stay_current_without_a_reload(page: Page, live_server):
    thread = new_thread(live_server, "Clock", "Keeper")
    page.clock.install()  # the page's clock, moved on by hand below: no waiting, no request
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/message-threads/{thread.id}")
    page.evaluate("window.loadedOnce = true")
    recent = page.locator(f"#message-thread-{thread.id} time[data-relative]").first
    expect(recent).to_have_text(re.compile(r"^(just now|\d min ago)"))
    page.clock.run_for("01:30:00")
    expect(recent).to_have_text(re.compile(r"^1 h ago"))
    assert page.evaluate("window.loadedOnce") is True


def test_home_counts_its_days_in_the_pages_zone_and_keeps_them_there_after_a_push(browser: Browser, live_server):
    """Kiritimati is 14 hours ahead of UTC: Home's "today" and the chart's days are its own, also after a failed
    run's push (rendered once in UTC, fetched again by this page), and "failed today" lists what Home counted."""
    zone = "Pacific/Kiritimati"
    # Home pushes its panels (not only its totals) once the read model is filled: a fresh server may still fill it.
    poll_health(live_server, lambda health: health.get("read_model") == "ok", 120)
    email, password = f"kiritimati-{uuid.uuid4().hex[:6]}@example.com", "a long enough password"
    create_account(live_server, email, password)
    context = browser.new_context(timezone_id=zone)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        page.goto(f"{live_server.url}/")  # the browser told the server its zone on the first page (a cookie)
        today = datetime.now(ZoneInfo(zone)).date()
        began = datetime.combine(today, datetime.min.time(), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
        expect(page.locator("#runs-chart-days")).to_have_text(f"Days from midnight to midnight, {zone}")
        expect(page.locator("#runs-chart tbody tr").last.locator("td").first).to_have_text(today.isoformat())
        page.evaluate("window.loadedOnce = true")
        client = api(live_server)
        thread = make_thread(client, "Kiri", "Timati")
        run = client.create("flow-runs", "flowRuns", {"flowId": make_flow(client, unique("Zone")).id,
                                                      "messageThreadId": thread.id})
        client.update("flow-runs", "flowRuns", run.id, {"status": "exception"})
        expect(page.locator(f"#attention-runs #flow-run-{run.id}")).to_have_count(1, timeout=30_000)  # by webhook
        expect(page.locator("#runs-chart-days")).to_have_text(f"Days from midnight to midnight, {zone}")
        expect(page.locator("#runs-chart tbody tr").last.locator("td").first).to_have_text(today.isoformat())
        link = page.locator("#attention-today")
        expect(link).to_have_attribute("href", re.compile(
            "updated_since=" + re.escape(began.strftime("%Y-%m-%dT%H:%M:%SZ"))))
        counted = int(re.match(r"\d+", link.inner_text()).group(0))
        assert page.evaluate("window.loadedOnce") is True
        link.click()
        expect(page.locator("#filter-updated-since time")).to_have_attribute("datetime", began.strftime(
            "%Y-%m-%dT%H:%M:%SZ"))
        expect(page.locator(f"#flow-run-{run.id}")).to_have_count(1)
        assert page.locator("#flow-runs-rows tr").count() == min(counted, 25)
    finally:
        context.close()
