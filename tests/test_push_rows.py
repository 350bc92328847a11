"""A pushed row and the same row after a reload are the same bytes: both come from the read model's joined query.

A gunicorn dashboard on the standalone sandbox fills its model by itself; a webhook through the real receiver
changes a thread, a run and a generation; the row each push carries must equal the row a fresh GET renders.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
import requests

from dashboard.recrubo.client import parse_resource
from dashboard.recrubo.relations import related_id
from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import JSONAPI, post_webhook
from tests.support.servers import API_KEY, remote_api, start_dashboard, stop
from tests.support.sockets import EMAIL, PASSWORD, frames, poll_health, socket


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, sandbox_server):
    """One gunicorn dashboard on the standalone sandbox, once its read model is filled."""
    server = start_dashboard(tmp_path_factory.mktemp("push-rows"), **remote_api(f"{sandbox_server.url}/public/v2"))
    try:
        poll_health(server, lambda health: health.get("read_model") == "ok", 120)
        create_account(server, EMAIL, PASSWORD)
        yield server
    finally:
        stop(server.process)


@pytest.fixture()
def session(dashboard):
    session = signed_in_session(dashboard, EMAIL, PASSWORD)
    yield session
    session.close()


def raw_resource(sandbox_server, path: str, id_: str) -> dict:
    """The resource object exactly as the API serves it (what a webhook carries after an event)."""
    response = requests.get(f"{sandbox_server.url}/public/v2/{path}/{id_}", timeout=10,
                            headers={"Authorization": f"Bearer {API_KEY}", "Accept": JSONAPI})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def listed_id(sandbox_server, page: str, prefix: str, path: str) -> str:
    """The first row of the list whose resource names a candidate the API still has, by a name that reads as one
    (other tests share this sandbox: they delete candidates, leaving their threads behind without a name to show,
    and give some a hostile name such as `<script>`)."""
    for id_ in re.findall(rf'<tr id="{prefix}-([0-9a-f-]{{36}})"', page):
        if path != "message-threads":
            return id_
        candidate_id = related_id(parse_resource(raw_resource(sandbox_server, path, id_)), "candidate")
        if not candidate_id:
            continue
        response = requests.get(f"{sandbox_server.url}/public/v2/candidates/{candidate_id}", timeout=10,
                                headers={"Authorization": f"Bearer {API_KEY}"})
        if response.status_code == 200 and re.match(
                r"[A-Z]", response.json()["data"]["attributes"].get("firstName") or ""):
            return id_
    raise AssertionError(f"no {prefix} row with a named candidate on the page")


def table_row(html: str, element_id: str) -> str:
    """The one table row with `element_id`."""
    found = re.search(rf'<tr id="{element_id}">.*?</tr>', html, re.S)
    assert found, f"no row {element_id}"
    return found.group(0)


CASES = [
    ("messageThreads", "message-threads", "/message-threads", "message-thread", lambda a: {
        "chatbotPaused": not a.get("chatbotPaused")}),
    ("flowRuns", "flow-runs", "/flow-runs?sort=updated", "flow-run", lambda a: {"cost": (a.get("cost") or 0) + 7}),
    ("flowGenerations", "flow-generations", "/flow-generations", "flow-generation", lambda a: {
        "cost": (a.get("cost") or 0) + 3}),
]


@pytest.mark.parametrize("channel, path, list_url, prefix, change", CASES, ids=[case[0] for case in CASES])
def test_a_pushed_row_is_byte_for_byte_the_row_after_a_reload(dashboard, session, sandbox_server, channel, path,
                                                              list_url, prefix, change):
    page = session.get(f"{dashboard.url}{list_url}", timeout=10).text
    assert 'id="model-backfilling"' not in page
    id_ = listed_id(sandbox_server, page, prefix, path)
    resource = raw_resource(sandbox_server, path, id_)
    resource["attributes"].update(change(resource["attributes"]))
    resource["attributes"]["updatedAt"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    ws = socket(dashboard, session, channel)
    try:
        post_webhook(dashboard, {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
            "webhookId": str(uuid.uuid4()), "event": "update", "fields": sorted(change({})), "resource": resource}}})
        [frame] = frames(ws, 1)
    finally:
        ws.close()
    pushed = table_row(frame["content"], f"{prefix}-{id_}")
    reloaded = table_row(session.get(f"{dashboard.url}{list_url}", timeout=10).text, f"{prefix}-{id_}")
    assert pushed == reloaded
    assert pushed != table_row(page, f"{prefix}-{id_}")  # the change shows
    if channel != "flowGenerations" or "/flows/" in pushed:
        assert re.search(r'<a href="/(flows|message-threads)/[^"]+">[A-Z][^<]*[a-z][^<]*</a>', pushed), pushed


def test_a_renamed_candidate_renames_the_pushed_thread_row(dashboard, session, sandbox_server):
    page = session.get(f"{dashboard.url}/message-threads", timeout=10).text
    thread_id = listed_id(sandbox_server, page, "message-thread", "message-threads")
    thread = raw_resource(sandbox_server, "message-threads", thread_id)
    candidate_id = related_id(parse_resource(thread), "candidate")
    candidate = raw_resource(sandbox_server, "candidates", candidate_id)
    name = f"Renamed{uuid.uuid4().hex[:6]}"
    candidate["attributes"].update(firstName=name, updatedAt=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    ws = socket(dashboard, session, "messageThreads")
    try:
        post_webhook(dashboard, {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
            "webhookId": str(uuid.uuid4()), "event": "update", "fields": ["firstName"], "resource": candidate}}})
        [frame] = frames(ws, 1)
    finally:
        ws.close()
    pushed = table_row(frame["content"], f"message-thread-{thread_id}")
    assert name in pushed
    assert pushed == table_row(session.get(f"{dashboard.url}/message-threads", timeout=10).text,
                               f"message-thread-{thread_id}")
