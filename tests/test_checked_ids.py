"""Ids never flow unchecked (issue 17, item 7): not into an API path, a CSS selector, a live channel or a log line."""

from __future__ import annotations

import json
import logging

import pytest

from dashboard.db import events, users
from dashboard.live import render
from dashboard.recrubo.client import RecruboClient, RecruboError, parse_resource, resource_path
from dashboard.recrubo.relations import related_id
from dashboard.webhooks import parse_payload
from tests.support.accounts import sign_in
from tests.support.payloads import deliver, payload
from tests.support.servers import free_port

HOSTILE_IDS = ["../organizations/x", "x,main,#main", "abc\ndef", "a b", "x?y=1", "%2E%2E", "é", "a" * 65, ""]


@pytest.fixture()
def recruiter(offline_app):
    """A signed-in recruiter on a dashboard whose API cannot be reached: a 503 would mean it tried."""
    with offline_app.app_context():
        users.create_user("recruiter@example.com", "a long password")
    client = offline_app.test_client()
    sign_in(client, "recruiter@example.com", "a long password")
    return client


@pytest.mark.parametrize("query", ["thread=../organizations/x", "thread=x,main,%23main", "flow=abc%0Adef",
                                   "flow=a%20b&thread=3fcc1f88-2b4b-4189-9489-b0c8bd4d6e2e"])
def test_an_id_in_a_list_filter_that_is_no_id_is_a_readable_400(recruiter, query):
    response = recruiter.get(f"/flow-runs?{query}")
    assert response.status_code == 400
    assert "is not a Recrubo id" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/flow-runs/x,main,%23main", "/flows/..", "/message-threads/a%20b",
                                  "/flow-generations/x;y", "/flow-runs/launched?id=..%2Fx",
                                  "/flow-runs/new?flowId=x,main", "/flow-runs/new?messageThreadId=..%2Forganizations",
                                  "/flow-runs/new/threads?messageThreadId=a%0Ab", "/vacancy-analyses/x%3Fy"])
def test_an_id_in_an_address_that_is_no_id_is_never_sent_to_the_api(recruiter, path):
    response = recruiter.get(path)
    assert response.status_code == 400, response.status_code  # not 503: no request went out
    assert "Recrubo id" in response.get_data(as_text=True)


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_the_client_refuses_an_id_of_another_shape_before_any_request(hostile):
    api = RecruboClient(f"http://127.0.0.1:{free_port()}/public/v2", "key", timeout=(0.5, 0.5))
    for call in (lambda: api.get("flow-runs", hostile), lambda: api.find("messageThreads", hostile),
                 lambda: api.update("flow-runs", "flowRuns", hostile, {}), lambda: api.delete("vacancy", hostile)):
        with pytest.raises(RecruboError) as raised:
            call()
        assert raised.value.kind == "bad_id" and raised.value.status == 400


def test_the_client_builds_paths_from_known_collections_and_escaped_ids():
    assert resource_path("flow-runs", "0b9d6c3a-4e5f-4a7b-8c9d-1e2f3a4b5c6d") == \
        "flow-runs/0b9d6c3a-4e5f-4a7b-8c9d-1e2f3a4b5c6d"
    assert resource_path("vacancy") == "vacancy"
    with pytest.raises(ValueError):
        resource_path("organizations/x/../flow-runs")


@pytest.mark.parametrize("hostile", [hostile for hostile in HOSTILE_IDS if hostile])
def test_an_api_reply_with_an_id_of_another_shape_is_not_read(hostile):
    # What the API sends becomes element ids and selectors (`#flow-run-<id>`) in pages, as pushes do.
    linked = {"flow": {"data": {"type": "flows", "id": hostile}}}
    for data in ({"id": hostile, "type": "flowRuns"}, {"id": "a1", "type": "flowRuns", "relationships": linked}):
        with pytest.raises(RecruboError):
            parse_resource(data)


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_a_related_id_of_another_shape_reads_as_none(hostile):
    assert related_id({"messageThreadId": hostile}, "messageThread") is None
    assert related_id({"relationships": {"flow": {"data": {"type": "flows", "id": hostile}}}}, "flow") is None
    if hostile and hostile.isprintable() and "/" not in hostile:  # urlsplit drops tabs and newlines
        assert related_id({"relationships": {"flow": {"links": {"related": f"/public/v2/flows/{hostile}"}}}},
                          "flow") is None


def test_a_pushed_message_never_targets_a_selector_built_from_an_unchecked_thread_id(offline_app):
    document = payload(resource_type="messages", event="create")
    document["data"]["attributes"]["resource"]["attributes"]["messageThreadId"] = "x,main,#main"
    assert deliver(offline_app.test_client(), document).status_code == 200
    with offline_app.app_context(), offline_app.test_request_context("/"):
        bodies = render.render(events.get(document["data"]["id"]))
    assert bodies == []  # no thread to push to, rather than `#message-thread-x,main,#main-messages`


def test_an_event_log_row_targets_only_its_own_row(offline_app):
    document = payload(status="finished")
    with offline_app.app_context():
        events.record(parse_payload(document, json.dumps(document)))
        users.create_user("admin@example.com", "a long password", admin=True)
    client = offline_app.test_client()
    sign_in(client, "admin@example.com", "a long password")
    html = client.get("/settings/events").get_data(as_text=True)
    assert f'hx-target="#event-{document["data"]["id"]}"' in html


def test_a_logged_value_cannot_forge_a_line(offline_app, caplog):
    with caplog.at_level(logging.INFO, logger="dashboard.anything"):
        logging.getLogger("dashboard.anything").info("webhook %s from %s", "x\n2026 INFO forged", "a\r\u2028b")
        logging.getLogger("dashboard.anything").info("%(id)s", {"id": "y\x1b[31m"})
    assert [record.getMessage() for record in caplog.records] == [
        "webhook x\\n2026 INFO forged from a\\r\\u2028b", "y\\x1b[31m"]
