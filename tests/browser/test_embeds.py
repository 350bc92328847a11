"""Issue 7 in a real browser: the dashboard hosting the sandbox's embeddables across origins."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from playwright.sync_api import FrameLocator, Page, expect

from sandbox.defaults import DEMO_WEBHOOK_SECRET
from tests.browser.embed_hosts import (
    SNIPPET,
    Hosting,
    Intranet,
    sign_in_page,
    start_hosting,
)
from tests.support.payloads import payload

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hosting(tmp_path_factory):
    """One sandbox and one dashboard on different sites, shared by this module's tests."""
    hosting = start_hosting(tmp_path_factory.mktemp("embeds"))
    yield hosting
    hosting.stop()


@pytest.fixture(scope="module")
def intranet(tmp_path_factory, hosting: Hosting):
    """The README's snippet on a page of a third origin (http://localhost:R), plus a forging page."""
    folder = tmp_path_factory.mktemp("intranet")
    (folder / "portal.html").write_text(SNIPPET.format(url=hosting.dashboard.url))
    (folder / "elsewhere.html").write_text("<!doctype html><title>Somewhere else</title><p>Not the component.</p>")
    site = Intranet(folder)
    yield site
    site.close()


@pytest.fixture()
def signed_in(page: Page, hosting: Hosting) -> Page:
    sign_in_page(page, hosting.dashboard.url, hosting.email)
    return page


def component(page: Page, slug: str) -> FrameLocator:
    return page.frame_locator(f"#embed-{slug} iframe")


def inspector(page: Page, slug: str):
    """The embed's inspector log, opened."""
    page.locator(f"#embed-{slug} .inspector summary").click()
    return page.locator(f"#embed-{slug} [data-inspector-log]")


def wait_for(check, seconds: float = 15.0, what: str = "condition"):
    """Poll `check` until it returns something truthy, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not met within {seconds} s"
        time.sleep(0.1)


def shoot(page: Page, slug: str, path) -> None:
    """A screenshot of the hosted component and its inspector, in a viewport tall enough to paint the frame."""
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.locator(f"#embed-{slug}").screenshot(path=path)
    page.set_viewport_size({"width": 1280, "height": 720})


def open_component(page: Page, hosting: Hosting, slug: str) -> FrameLocator:
    """Go to the component's embed page and wait until the component reported `initialized`."""
    page.goto(f"{hosting.dashboard.url}/embeds/{slug}")
    log = inspector(page, slug)
    expect(log.locator("li", has_text='"event":"initialized"')).to_have_count(1)
    return component(page, slug)


def test_inbox_initializes_shows_threads_and_the_inspector_shows_the_handshake(signed_in: Page, hosting: Hosting,
                                                                               tmp_path):
    page = signed_in
    inbox = open_component(page, hosting, "inbox")
    origin = re.escape(hosting.sandbox_origin)
    log = page.locator("#embed-inbox [data-inspector-log] li")
    expect(log.nth(0)).to_contain_text(re.compile(rf"→ to {origin} · sent: .*\"action\":\"initialize\""))
    expect(log.filter(has_text='"event":"initialized"')).to_contain_text(re.compile(rf"← from {origin} · accepted"))
    token = page.locator("#embed-inbox").get_attribute("data-token")
    assert token[:6] + "…" in log.nth(0).inner_text() and token not in page.locator("#embed-inbox .inspector").inner_text()
    conversations = inbox.locator("[data-conversation-id]")
    expect(conversations.first).to_be_visible()
    assert conversations.count() >= 5
    expect(page.locator("#embed-inbox [data-embed-status]")).to_have_text("Connected.")

    conversations.first.click()
    expect(log.filter(has_text='"event":"conversationSelected"')).to_have_count(1)
    inbox.locator("textarea[name=message]").fill("Could you come by on Thursday at ten?")
    inbox.get_by_role("button", name="Send", exact=True).click()
    sent = inbox.locator(".rc-message.rc-outbound", has_text="Could you come by on Thursday at ten?")
    expect(sent).to_be_visible()
    conversation_id = conversations.first.get_attribute("data-conversation-id")
    thread_id = hosting.api(f"/conversations/{conversation_id}")["data"]["attributes"]["messageThreadId"]
    stored = hosting.api(f"/messages?filter[messageThreadId]={thread_id}&sort=-createdAt&page[size]=1")["data"][0]
    assert stored["attributes"]["payload"]["text"]["value"] == "Could you come by on Thursday at ten?"
    assert stored["attributes"]["origin"] == "outbound" and stored["attributes"]["sendBy"] == "Sanne de Vries"
    shoot(page, "inbox", tmp_path / "inbox.png")


def event_logged(page: Page, slug: str, name: str):
    return page.locator(f"#embed-{slug} [data-inspector-log] li.inspector-accepted", has_text=f'"event":"{name}"')


def test_bot_studio_shows_a_flows_steps_and_saves_an_edit(signed_in: Page, hosting: Hosting, tmp_path):
    page = signed_in
    studio = open_component(page, hosting, "bot-studio")
    expect(studio.locator("[data-step-id]").first).to_be_visible()
    assert studio.locator("[data-step-id]").count() >= 3
    last = studio.locator("[data-flow-id]").last
    page.fill("#embed-action-bot-studio", last.get_attribute("data-flow-id"))
    page.locator("[data-embed-controls=embed-bot-studio] [data-action=setFlow]").click()
    expect(last).to_have_attribute("aria-current", "true")
    studio.locator("[data-flow-id]").nth(1).click()
    expect(event_logged(page, "bot-studio", "flowSelected")).to_have_count(2)
    first_action = studio.locator("[data-action-id]").first
    first_action.get_by_role("button", name="Edit").click()
    studio.get_by_label("Step text").fill("Hi! Thanks for applying at Acme.")
    studio.get_by_role("button", name="Save").click()
    expect(event_logged(page, "bot-studio", "flowChanged")).to_have_count(1)
    expect(studio.locator("[data-action-id]").first).to_contain_text("Hi! Thanks for applying at Acme.")
    page.locator("[data-embed-controls=embed-bot-studio] [data-setting=readOnlyMode]").check()
    expect(studio.get_by_text("read only")).to_be_visible()
    expect(studio.get_by_role("button", name="Edit")).to_have_count(0)
    page.locator("[data-embed-controls=embed-bot-studio] [data-setting=readOnlyMode]").uncheck()
    shoot(page, "bot-studio", tmp_path / "bot-studio.png")


def test_generate_flow_starts_a_generation_and_watches_it_finish(signed_in: Page, hosting: Hosting, tmp_path):
    page = signed_in
    wizard = open_component(page, hosting, "generate-flow")
    wizard.get_by_label("Vacancy title").fill("Order picker, night shift")
    wizard.get_by_label("Vacancy text").fill("Pick orders in our Tilburg warehouse, 22:00 to 06:00, from €16 an hour.")
    wizard.get_by_label("Must have (one per line)").fill("Available for night shifts\nWork permit for the Netherlands")
    wizard.get_by_label("Nice to have (one per line)").fill("Reach truck certificate")
    shoot(page, "generate-flow", tmp_path / "generate-flow-form.png")
    wizard.get_by_role("button", name="Generate flow").click()
    expect(event_logged(page, "generate-flow", "flowGenerationCreated")).to_have_count(1)
    expect(event_logged(page, "generate-flow", "flowGenerated")).to_have_count(1, timeout=20000)
    flow_id = wizard.locator("[data-generated-flow]").get_attribute("data-generated-flow")
    assert hosting.api(f"/flows/{flow_id}")["data"]["attributes"]["name"] == "Order picker, night shift"
    shoot(page, "generate-flow", tmp_path / "generate-flow.png")


def test_whatsapp_connect_signs_up_and_cancels(signed_in: Page, hosting: Hosting, tmp_path):
    page = signed_in
    button = open_component(page, hosting, "whatsapp-connect")
    button.get_by_role("button", name="Connect WhatsApp").click()
    shoot(page, "whatsapp-connect", tmp_path / "whatsapp-connect-dialog.png")
    button.get_by_role("button", name="Cancel").click()
    expect(event_logged(page, "whatsapp-connect", "whatsappConnectCancelled")).to_have_count(1)
    button.get_by_role("button", name="Connect WhatsApp").click()
    button.get_by_role("button", name="Finish").click()
    expect(event_logged(page, "whatsapp-connect", "whatsappConnected")).to_contain_text('"phoneNumber":"31205550142"')
    expect(button.get_by_text("Connected: +31205550142")).to_be_visible()
    shoot(page, "whatsapp-connect", tmp_path / "whatsapp-connect.png")


def test_schedule_form_creates_an_appointment_the_table_lists(signed_in: Page, hosting: Hosting, tmp_path):
    page = signed_in
    form = open_component(page, hosting, "schedule-form")
    form.get_by_label("What").fill("Intake call with the night shift lead")
    form.get_by_label("Candidate").select_option(index=2)
    form.get_by_label("Starts").fill("2031-05-06T10:00")
    form.get_by_label("Ends").fill("2031-05-06T10:30")
    form.get_by_role("button", name="Schedule").click()
    expect(event_logged(page, "schedule-form", "scheduleCreated")).to_have_count(1)
    expect(form.get_by_text("Scheduled.")).to_be_visible()
    shoot(page, "schedule-form", tmp_path / "schedule-form.png")

    table = open_component(page, hosting, "schedule-table")
    row = table.locator("tr", has_text="Intake call with the night shift lead")
    expect(row).to_contain_text("10:00–10:30")  # entered and shown in the user's time zone
    row.click()
    expect(event_logged(page, "schedule-table", "scheduleSelected")).to_have_count(1)
    shoot(page, "schedule-table", tmp_path / "schedule-table.png")


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


def content_height(page: Page, slug: str) -> int:
    return component(page, slug).locator("#component").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")


def frame_height(page: Page, slug: str) -> int:
    return page.locator(f"#embed-{slug} iframe").evaluate("f => f.clientHeight")


def test_frame_height_follows_the_content_and_settings_apply_live(signed_in: Page, hosting: Hosting, tmp_path):
    page = signed_in
    inbox = open_component(page, hosting, "inbox")
    expect(inbox.locator("[data-conversation-id]").first).to_be_visible()
    wait_for(lambda: frame_height(page, "inbox") == content_height(page, "inbox"), what="frame fits the inbox")
    tall = frame_height(page, "inbox")
    page.locator("[data-embed-controls=embed-inbox] [data-setting=showTopBar]").uncheck()
    expect(inbox.locator(".rc-bar")).to_have_count(0)
    assert inbox.locator("[data-view]").inner_text().startswith("Open")  # the switched-off bar leaves nothing behind
    wait_for(lambda: frame_height(page, "inbox") == content_height(page, "inbox") < tall, what="frame shrinks")
    page.locator("[data-embed-controls=embed-inbox] [data-setting=showCandidateDetails]").check()
    page.locator("[data-embed-controls=embed-inbox] [data-setting=showCandidateDetailsEdit]").check()
    inbox.locator("[data-conversation-id]").first.click()
    expect(inbox.locator(".rc-details")).to_be_visible()
    wait_for(lambda: frame_height(page, "inbox") == content_height(page, "inbox") > tall - 60, what="frame grows")
    inbox.get_by_role("button", name="Edit details").click()
    inbox.get_by_label("Postal code").fill("5038 AB")
    inbox.get_by_role("button", name="Save", exact=True).click()
    expect(inbox.locator(".rc-details")).to_contain_text("5038 AB")
    wait_for(lambda: frame_height(page, "inbox") == content_height(page, "inbox"), what="frame fits after editing")
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
    wait_for(refreshed_after_expiry, seconds=20, what="token_expired, then a fresh token, then initialized")
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
    wait_for(dashboard_in_frame, seconds=20, what="the dashboard's login page inside the portal")
    dashboard.locator("#email").fill(hosting.email)
    dashboard.locator("#password").fill("a long embed password")
    dashboard.locator("#sign-in").click()
    expect(dashboard.locator("#account-email")).to_have_text(hosting.email)
    frame = portal.locator("#recrubo-dashboard")
    inner = frame.element_handle().content_frame()
    wait_for(lambda: frame.evaluate("f => f.style.height") ==
             f"{inner.evaluate('Math.ceil(document.documentElement.getBoundingClientRect().height)')}px",
             what="the portal sized the frame from the dashboard's height message")
    assert frame.evaluate("f => f.clientHeight") > 200
    portal.screenshot(path=tmp_path / "intranet.png", full_page=True)
    # Live updates reach the framed page: its socket carries the partitioned session cookie.
    dashboard.locator("#nav a", has_text="Runs").click()
    expect(dashboard.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20000)
    run = payload(event="create", status="queued", fields=[])
    delivered = requests.post(f"{hosting.dashboard.url}/webhooks/recrubo", data=json.dumps(run), timeout=10,
                              headers={"Content-Type": "application/vnd.api+json",
                                       "X-Recrubo-Webhook-Secret": hosting.dashboard.env.get(
                                           "RECRUBO_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET)})
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
        wait_for(lambda: any("frame-ancestors" in text and hosting.dashboard.url in text for text in messages),
                 what="Chromium's CSP frame-ancestors refusal")
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


def test_host_actions_and_protocol_errors_show_in_words(signed_in: Page, hosting: Hosting):
    page = signed_in
    inbox = open_component(page, hosting, "inbox")
    target = inbox.locator("[data-conversation-id]").nth(2)
    conversation_id = target.get_attribute("data-conversation-id")
    page.fill("#embed-action-inbox", conversation_id)
    page.locator("[data-embed-controls=embed-inbox] [data-action=setConversation]").click()
    expect(target).to_have_attribute("aria-current", "true")
    page.evaluate("origin => document.querySelector('#embed-inbox iframe').contentWindow"
                  ".postMessage({action: 'archiveEverything'}, origin)", hosting.sandbox_origin)
    expect(page.locator("#embed-inbox [data-embed-status]")).to_have_text("The component does not know that action.")
    expect(page.locator("#embed-inbox [data-inspector-log] li.inspector-accepted",
                        has_text='"code":"unknown_action"')).to_have_count(1)


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>'


def test_hostile_text_in_messages_shows_as_text_in_the_status_and_inspector(signed_in: Page, hosting: Hosting):
    page = signed_in
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_component(page, hosting, "inbox")
    frame = page.frame(url=lambda url: "/embeddables/inbox" in url)
    # From the component's own frame (accepted: an error in words, an unknown event) and from the host
    # page itself (rejected): all three are listed, none may become markup.
    frame.evaluate("""text => {
        parent.postMessage({event: 'error', data: {code: 'not_a_known_code', message: text}}, '*');
        parent.postMessage({event: text, data: {name: text}}, '*');
    }""", HOSTILE)
    page.evaluate("text => window.postMessage({event: 'resize', data: {height: text}}, '*')", HOSTILE)
    status = page.locator("#embed-inbox [data-embed-status]")
    expect(status).to_have_text(HOSTILE)
    log = page.locator("#embed-inbox [data-inspector-log]")
    expect(log.locator("li.inspector-accepted", has_text="onerror")).to_have_count(2)
    expect(log.locator("li.inspector-rejected", has_text="onerror")).to_have_count(1)
    for region in (status, log):
        assert region.locator("img, script, b").count() == 0
    assert dialogs == []


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
    wait_for(lambda: codes() == ["not_initialized"], what="not_initialized before initialize")
    post({"action": "initialize", "token": hosting.mint(hosting.dashboard.url), "settings": {}})
    wait_for(lambda: codes()[-1:] == ["origin_mismatch"], what="origin_mismatch for the dashboard's token")
    expect(frame.locator("[data-error]")).to_contain_text(f"issued for {hosting.dashboard.url}")
    page.screenshot(path=tmp_path / "origin-mismatch.png")
    expect(frame.locator("[data-conversation-id]")).to_have_count(0)
    post({"action": "initialize", "token": hosting.mint(intranet.url), "settings": {"showTopBar": False}})
    wait_for(lambda: any(d.get("event") == "initialized" for o, d in page.evaluate("window.received")),
             what="initialized with a token for this page's origin")
    expect(frame.locator("[data-conversation-id]").first).to_be_visible()
    expect(frame.locator(".rc-bar")).to_have_count(0)
    expect(frame.locator("[data-error]")).to_be_hidden()
