"""Issue 7 in a real browser: each of the sandbox's embeddables hosted by the dashboard, across origins."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.embeds import Hosting, event_logged, open_component, shoot

pytestmark = pytest.mark.browser


def test_inbox_initializes_shows_threads_and_the_inspector_shows_the_handshake(signed_in: Page, hosting: Hosting,
                                                                               tmp_path):
    page = signed_in
    inbox = open_component(page, hosting, "inbox")
    origin = re.escape(hosting.sandbox_origin)
    log = page.locator("#embed-inbox [data-inspector-log] li")
    expect(log.nth(0)).to_contain_text(re.compile(rf"→ to {origin} · sent: .*\"action\":\"initialize\""))
    expect(log.filter(has_text='"event":"initialized"')).to_contain_text(re.compile(rf"← from {origin} · accepted"))
    token = page.locator("#embed-inbox").get_attribute("data-token")
    assert token[:6] + "…" in log.nth(0).inner_text()
    assert token not in page.locator("#embed-inbox .inspector").inner_text()
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
