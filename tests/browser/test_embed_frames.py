"""Issue 7 in a real browser: the frames around the embeddables (their height, their tokens, the messages they
accept) and who may frame the dashboard itself."""

from __future__ import annotations

import json

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.embeds import (
    SNIPPET,
    Hosting,
    Intranet,
    component,
    content_height,
    frame_height,
    inspector,
    open_component,
    shoot,
    sign_in_page,
    start_hosting,
)
from tests.support.payloads import payload
from tests.support.servers import WEBHOOK_SECRET
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser


def test_messages_not_from_the_frame_are_rejected_and_listed(signed_in: Page, hosting: Hosting, intranet: Intranet):
    page = signed_in
    open_component(page, hosting, "inbox")
    frame = page.locator("#embed-inbox iframe")
    height = frame.evaluate("f => f.style.height")
    for origin in (intranet.url, hosting.sandbox_origin):  # a foreign site, then the component's own origin
        with page.expect_popup() as opened:
            page.evaluate("url => { window.open(url, '_blank'); }", f"{origin}/elsewhere.html"
                          if origin == intranet.url else f"{origin}/embeddables/inbox")
        forger = opened.value
        forger.wait_for_load_state()
        forger.evaluate("""() => {
            window.opener.postMessage({event: 'resize', data: {height: 3999}}, '*');
            window.opener.postMessage({event: 'error', data: {code: 'origin_mismatch', message: 'forged'}}, '*');
        }""")
        rejected = page.locator("#embed-inbox [data-inspector-log] li.inspector-rejected", has_text=f"from {origin} ")
        expect(rejected).to_have_count(2)
        expect(rejected.first).to_contain_text("not from this component's frame")
        forger.close()
    assert frame.evaluate("f => f.style.height") == height
    expect(page.locator("#embed-inbox [data-embed-status]")).to_have_text("Connected.")


def test_frame_height_follows_the_content_and_settings_apply_live(signed_in: Page, hosting: Hosting, tmp_path):
    page = signed_in
    inbox = open_component(page, hosting, "inbox")
    expect(inbox.locator("[data-conversation-id]").first).to_be_visible()
    wait_until(lambda: frame_height(page, "inbox") == content_height(page, "inbox"),
               15, "frame fits the inbox", every=0.1)
    tall = frame_height(page, "inbox")
    page.locator("[data-embed-controls=embed-inbox] [data-setting=showTopBar]").uncheck()
    expect(inbox.locator(".rc-bar")).to_have_count(0)
    assert inbox.locator("[data-view]").inner_text().startswith("Open")  # the switched-off bar leaves nothing behind
    wait_until(lambda: frame_height(page, "inbox") == content_height(page, "inbox") < tall,
               15, "frame shrinks", every=0.1)
    page.locator("[data-embed-controls=embed-inbox] [data-setting=showCandidateDetails]").check()
    page.locator("[data-embed-controls=embed-inbox] [data-setting=showCandidateDetailsEdit]").check()
    inbox.locator("[data-conversation-id]").first.click()
    expect(inbox.locator(".rc-details")).to_be_visible()
    wait_until(lambda: frame_height(page, "inbox") == content_height(page, "inbox") > tall - 60,
               15, "frame grows", every=0.1)
    inbox.get_by_role("button", name="Edit details").click()
    inbox.get_by_label("Postal code").fill("5038 AB")
    inbox.get_by_role("button", name="Save", exact=True).click()
    expect(inbox.locator(".rc-details")).to_contain_text("5038 AB")
    wait_until(lambda: frame_height(page, "inbox") == content_height(page, "inbox"),
               15, "frame fits after editing", every=0.1)
    page.locator("[data-embed-controls=embed-inbox] [data-setting='theme.primary']").fill("#7a1fa2")
    expect(inbox.locator("button.rc-button", has_text="Send")).to_have_css("background-color", "rgb(122, 31, 162)")
    shoot(page, "inbox", tmp_path / "inbox-themed-with-details.png")


@pytest.fixture(scope="module")
def short_tokens(tmp_path_factory):
    """A second pair whose sandbox issues embed tokens that live two seconds (SANDBOX_EMBED_TOKEN_SECONDS)."""
    hosting = start_hosting(tmp_path_factory.mktemp("short"), SANDBOX_EMBED_TOKEN_SECONDS="2")
    yield hosting
    hosting.stop()


def test_an_expired_token_is_refreshed_without_a_reload_keeping_the_view(page: Page, short_tokens: Hosting):
    sign_in_page(page, short_tokens.dashboard.url, short_tokens.email)
    page.goto(f"{short_tokens.dashboard.url}/embeds/inbox")
    log = inspector(page, "inbox").locator("li")
    inbox = component(page, "inbox")
    inbox.locator("[data-conversation-id]").first.click()
    selected = inbox.locator("[data-conversation-id]").first.get_attribute("data-conversation-id")
    inbox.locator("textarea[name=message]").fill("A draft that outlives its token")
    page.evaluate("window.notReloaded = true")

    def refreshed_after_expiry() -> bool:
        texts = log.all_inner_texts()
        expired = [i for i, text in enumerate(texts) if '"code":"token_expired"' in text and "accepted" in text]
        fresh = [i for i, text in enumerate(texts) if "fresh token" in text and expired and i > expired[0]]
        return bool(fresh) and any('"event":"initialized"' in text for text in texts[fresh[0]:])
    wait_until(refreshed_after_expiry, 20, "token_expired, then a fresh token, then initialized", every=0.1)
    # Two-second tokens are always within five minutes of expiry: the component warns, the host lets its timer act.
    assert log.filter(has_text='"event":"tokenExpiring"').count() >= 1
    assert page.evaluate("window.notReloaded") is True
    expect(inbox.locator("textarea[name=message]")).to_have_value("A draft that outlives its token")
    expect(inbox.locator(f"[data-conversation-id='{selected}']")).to_have_attribute("aria-current", "true")
    # After each fresh initialize the Inbox catches up at once, whatever its polls met in between.
    expect(inbox.locator("#rc-messages .rc-message").first).to_be_visible(timeout=15000)


def test_dashboard_framed_by_an_allowed_intranet_signs_in_and_sizes_the_frame(
        signed_in: Page, browser, hosting: Hosting, intranet: Intranet, tmp_path):
    admin = signed_in
    admin.goto(f"{hosting.dashboard.url}/settings")
    # A wildcard source, as an admin of several portals would write it; Chromium resolves *.localhost to loopback.
    allowed = intranet.url.replace("//localhost", "//*.localhost")
    admin.fill("#frame-ancestors", f"'self' {allowed}")
    admin.locator("#framing button[type=submit]").click()
    expect(admin.locator("#frame-ancestors")).to_have_value(f"'self' {allowed}")
    portal_url = intranet.url.replace("//localhost", "//portal.localhost") + "/portal.html"

    visitor = browser.new_context()
    portal = visitor.new_page()
    dashboard = portal.frame_locator("#recrubo-dashboard")

    def dashboard_in_frame() -> bool:
        # Each worker re-reads the allowlist within seconds (stored_settings.CACHE_SECONDS).
        portal.goto(portal_url)
        try:
            dashboard.locator("#email").wait_for(timeout=2000)
            return True
        except Exception:
            return False
    wait_until(dashboard_in_frame, 20, "the dashboard's login page inside the portal", every=0.1)
    dashboard.locator("#email").fill(hosting.email)
    dashboard.locator("#password").fill("a long embed password")
    dashboard.locator("#sign-in").click()
    expect(dashboard.locator("#account-email")).to_have_text(hosting.email)
    frame = portal.locator("#recrubo-dashboard")
    inner = frame.element_handle().content_frame()
    wait_until(lambda: frame.evaluate("f => f.style.height") ==
               f"{inner.evaluate('Math.ceil(document.documentElement.getBoundingClientRect().height)')}px",
               15, "the portal sized the frame from the dashboard's height message", every=0.1)
    assert frame.evaluate("f => f.clientHeight") > 200
    portal.screenshot(path=tmp_path / "intranet.png", full_page=True)
    # Live updates reach the framed page: its socket carries the partitioned session cookie.
    dashboard.locator("#nav a", has_text="Runs").click()
    expect(dashboard.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20000)
    run = payload(event="create", status="queued", fields=[])
    delivered = requests.post(f"{hosting.dashboard.url}/webhooks/recrubo", data=json.dumps(run), timeout=10,
                              headers={"Content-Type": "application/vnd.api+json",
                                       "X-Recrubo-Webhook-Secret": hosting.dashboard.env.get(
                                           "RECRUBO_WEBHOOK_SECRET", WEBHOOK_SECRET)})
    assert delivered.status_code == 200, delivered.text
    run_id = run["data"]["attributes"]["resource"]["id"]
    expect(dashboard.locator(f"#flow-run-{run_id}")).to_be_visible(timeout=20000)
    visitor.close()


def test_dashboard_framed_by_an_unlisted_origin_is_blocked_by_the_browser(page: Page, hosting: Hosting, tmp_path):
    (tmp_path / "portal.html").write_text(SNIPPET.format(url=hosting.dashboard.url))
    stranger = Intranet(tmp_path)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    try:
        page.goto(f"{stranger.url}/portal.html")
        wait_until(lambda: any("frame-ancestors" in text and hosting.dashboard.url in text for text in messages),
                   15, "Chromium's CSP frame-ancestors refusal", every=0.1)
        inner = page.locator("#recrubo-dashboard").element_handle().content_frame()
        assert not inner.url.startswith(hosting.dashboard.url)
        assert inner.locator("#email").count() == 0
        assert page.locator("#recrubo-dashboard").evaluate("f => f.style.height") == ""
    finally:
        stranger.close()


def test_embedded_default_serves_working_components_under_its_sandbox_mount(page: Page, live_server):
    page.goto(f"{live_server.url}/login")
    page.fill("#email", page.locator("#demo-email").inner_text())
    page.fill("#password", page.locator("#demo-password").inner_text())
    page.click("#sign-in")
    expect(page.locator("#account-email")).to_be_visible()
    page.goto(f"{live_server.url}/embeds/inbox")
    log = inspector(page, "inbox")
    expect(log.locator("li", has_text='"event":"initialized"')).to_contain_text(f"from {live_server.url} · accepted")
    inbox = component(page, "inbox")
    expect(inbox.locator("[data-conversation-id]").first).to_be_visible()
    frame = page.locator("#embed-inbox iframe").element_handle().content_frame()
    assert frame.url == f"{live_server.url}/sandbox/embeddables/inbox"


def test_token_is_refreshed_when_the_network_comes_back(signed_in: Page, hosting: Hosting):
    page = signed_in
    open_component(page, hosting, "inbox")
    page.context.set_offline(True)
    page.context.set_offline(False)
    log = page.locator("#embed-inbox [data-inspector-log] li")
    expect(log.filter(has_text="fresh token")).to_have_count(1)
    expect(log.filter(has_text='"event":"initialized"')).to_have_count(2)
    expect(page.locator("#embed-inbox [data-embed-status]")).to_have_text("Connected.")


# A bare host page (no dashboard): it frames the component itself and keeps every event it receives.
BARE_HOST = """<!doctype html><meta charset="utf-8"><title>Another host</title>
<iframe id="component" src="{src}" style="width:100%;height:500px"></iframe>
<script>window.received = []; addEventListener("message", e => {{
  if (e.source === document.getElementById("component").contentWindow) window.received.push([e.origin, e.data]); }});
</script>"""


def test_component_refuses_a_token_issued_for_another_origin_and_actions_before_initialize(
        page: Page, hosting: Hosting, intranet: Intranet, tmp_path):
    src = f"{hosting.sandbox_origin}/public/v2/embed/component/inbox"
    (intranet.folder / "bare-host.html").write_text(BARE_HOST.format(src=src))
    page.goto(f"{intranet.url}/bare-host.html")
    frame = page.frame_locator("#component")
    expect(frame.locator("[data-waiting]")).to_be_visible()

    def post(message: dict) -> None:
        page.evaluate("([message, origin]) => document.getElementById('component').contentWindow"
                      ".postMessage(message, origin)", [message, hosting.sandbox_origin])

    def codes() -> list:
        return [data.get("data", {}).get("code") for origin, data in page.evaluate("window.received")
                if origin == hosting.sandbox_origin and data.get("event") == "error"]

    post({"action": "setConversation", "arguments": ["x"]})
    wait_until(lambda: codes() == ["not_initialized"], 15, "not_initialized before initialize", every=0.1)
    post({"action": "initialize", "token": hosting.mint(hosting.dashboard.url), "settings": {}})
    wait_until(lambda: codes()[-1:] == ["origin_mismatch"], 15, "origin_mismatch for the dashboard's token", every=0.1)
    expect(frame.locator("[data-error]")).to_contain_text(f"issued for {hosting.dashboard.url}")
    page.screenshot(path=tmp_path / "origin-mismatch.png")
    expect(frame.locator("[data-conversation-id]")).to_have_count(0)
    post({"action": "initialize", "token": hosting.mint(intranet.url), "settings": {"showTopBar": False}})
    wait_until(lambda: any(d.get("event") == "initialized" for o, d in page.evaluate("window.received")),
               15, "initialized with a token for this page's origin", every=0.1)
    expect(frame.locator("[data-conversation-id]").first).to_be_visible()
    expect(frame.locator(".rc-bar")).to_have_count(0)
    expect(frame.locator("[data-error]")).to_be_hidden()
