"""Candidate names and message texts are data, never markup: in lists, threads, pushes and a real browser."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests
from playwright.sync_api import Page

from dashboard.db import users
from dashboard.db.events import get as get_event
from dashboard.live import render
from dashboard.recrubo.client import RecruboClient
from tests.support.accounts import sign_in
from tests.support.servers import API_KEY, WEBHOOK_SECRET

NAME = '<script>alert("name")</script>'
SURNAME = '<img src=x onerror=alert("surname")>'
TEXT = '"><svg onload=alert("message")><b>bold</b>'
RAW = (NAME, SURNAME, "<svg onload", "<b>bold</b>")


def hostile_thread(api: RecruboClient):
    """A Messenger thread of a candidate whose name and message are attempts at markup."""
    candidate = api.create("candidates", "candidates", {"firstName": NAME, "lastName": SURNAME,
                                                        "phone": f"316{uuid.uuid4().int % 10**8:08d}"})
    thread = api.create("message-threads", "messageThreads", {"channel": "facebook-messenger",
                                                             "identifier": str(uuid.uuid4().int % 10**15),
                                                             "candidateId": candidate.id})
    api.create("messages", "messages", {"sendBy": NAME, "messageThreadId": thread.id,
                                        "payload": {"type": "text", "text": {"value": TEXT}}})
    return candidate, thread


def assert_inert(html: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{raw!r} reached the page as markup"


def test_hostile_names_and_texts_are_escaped_in_lists_and_threads(app, sandbox_server):
    api = RecruboClient(f"{sandbox_server.url}/public/v2", API_KEY)
    _, thread = hostile_thread(api)
    with app.app_context():
        users.create_user("xss@example.com", "a long password")
    client = app.test_client()
    sign_in(client, "xss@example.com", "a long password")
    for path in ("/message-threads", f"/message-threads/{thread.id}", "/message-threads?q=script", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.get_data(as_text=True))
    page = client.get(f"/message-threads/{thread.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in page  # shown, as text


def test_hostile_text_is_escaped_in_the_pushed_partial(app):
    client = app.test_client()
    message_id, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
    document = {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
        "event": "create", "resource": {"id": message_id, "type": "messages", "attributes": {
            "sendBy": NAME, "origin": "inbound", "messageThreadId": thread_id, "deliveryStatus": "delivered",
            "payload": {"type": "text", "text": {"value": TEXT}},
            "createdAt": "2026-11-23T10:00:00+00:00", "updatedAt": "2026-11-23T10:00:00+00:00"}}}}}
    response = client.post("/webhooks/recrubo", data=json.dumps(document),
                           headers={"Content-Type": "application/vnd.api+json",
                                    "X-Recrubo-Webhook-Secret": WEBHOOK_SECRET})
    assert response.status_code == 200
    with app.app_context(), app.test_request_context("/"):
        frames = render.render(get_event(document["data"]["id"]))
    pushed = " ".join(body["content"] for _, body in frames)
    assert f'id="message-{message_id}"' in pushed
    assert_inert(pushed)


@pytest.mark.browser
def test_no_script_runs_from_candidate_data_in_a_real_browser(page: Page, live_server):
    api = RecruboClient(f"{live_server.url}/sandbox/public/v2", API_KEY)
    _, thread = hostile_thread(api)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login = requests.get(f"{live_server.url}/login", timeout=10).text
    page.goto(f"{live_server.url}/login")
    page.fill("#email", re.search(r'id="demo-email">([^<]+)<', login).group(1))
    page.fill("#password", re.search(r'id="demo-password">([^<]+)<', login).group(1))
    page.click("#sign-in")
    page.wait_for_url(f"{live_server.url}/")
    for path in ("/message-threads", f"/message-threads/{thread.id}"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    # A new hostile message arrives live, through the sandbox's webhook and the socket.
    api.create("messages", "messages", {"sendBy": SURNAME, "messageThreadId": thread.id,
                                        "payload": {"type": "text", "text": {"value": TEXT + " (live)"}}})
    page.locator(f"#message-thread-{thread.id}-messages").get_by_text("(live)").wait_for(timeout=60000)
    assert dialogs == []
    assert page.locator(f"#message-thread-{thread.id}-messages b").count() == 0
