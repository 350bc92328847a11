"""Components opened in place on the recruiter's pages: the right conversation, flow or vacancy preset."""

from __future__ import annotations

import html
import json
import re

from dashboard.db import users
from dashboard.recrubo.client import RecruboClient
from tests.support.accounts import sign_in
from tests.support.servers import API_KEY


def settings_of(page: str) -> dict:
    return json.loads(html.unescape(re.search(r'data-settings="([^"]*)"', page).group(1)))


def linked_client(app, api):
    recruiter = api.list("users", sort="createdAt", size=1).items[0]
    with app.app_context():
        users.create_user("inplace@example.com", "a long password", recrubo_user_id=recruiter.id)
    client = app.test_client()
    sign_in(client, "inplace@example.com", "a long password")
    return client


def test_a_threads_inbox_opens_on_its_conversation(app, sandbox_server):
    api = RecruboClient(f"{sandbox_server.url}/public/v2", API_KEY)
    client = linked_client(app, api)
    conversation = api.list("conversations", size=1).items[0]
    page = client.get(f"/embeds/inbox/frame?thread={conversation.messageThreadId}").get_data(as_text=True)
    assert "data-recrubo-embed" in page and "<html" not in page
    assert settings_of(page)["conversationId"] == conversation.id


def test_a_flows_bot_studio_opens_on_that_flow_and_bad_presets_are_dropped(app, sandbox_server):
    api = RecruboClient(f"{sandbox_server.url}/public/v2", API_KEY)
    client = linked_client(app, api)
    flow = api.list("flows", size=1).items[0]
    assert settings_of(client.get(f"/embeds/bot-studio/frame?activeFlowId={flow.id}").get_data(as_text=True))[
        "activeFlowId"] == flow.id
    hostile = client.get('/embeds/bot-studio/frame?activeFlowId="><script>x</script>').get_data(as_text=True)
    assert "activeFlowId" not in settings_of(hostile) and "<script>x" not in hostile


def test_an_unlinked_account_gets_the_notice_in_place(app):
    with app.app_context():
        users.create_user("unlinked@example.com", "a long password")
    client = app.test_client()
    sign_in(client, "unlinked@example.com", "a long password")
    page = client.get("/embeds/generate-flow/frame").get_data(as_text=True)
    assert "not linked to a Recrubo user" in page and "data-recrubo-embed" not in page
