"""Property-based fuzzing of the webhook receiver: any body gets a JSON:API answer and stores nothing bad."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import create_app
from dashboard.db import base, events
from sandbox.defaults import DEMO_WEBHOOK_SECRET
from tests.support.payloads import payload
from tests.support.servers import free_port

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                           | st.text(max_size=30),
                           lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=12), children, max_size=4), max_leaves=20)
PATHS = [("data",), ("data", "type"), ("data", "id"), ("data", "attributes"), ("data", "attributes", "event"),
         ("data", "attributes", "fields"), ("data", "attributes", "resource"),
         ("data", "attributes", "resource", "id"), ("data", "attributes", "resource", "type"),
         ("data", "attributes", "resource", "attributes"),
         ("data", "attributes", "resource", "attributes", "updatedAt"),
         ("data", "attributes", "resource", "attributes", "status")]


@pytest.fixture(scope="module")
def receiver_app(tmp_path_factory):
    app = create_app({"INSTANCE_PATH": str(tmp_path_factory.mktemp("fuzz-webhooks")),
                      "RECRUBO_API_URL": f"http://127.0.0.1:{free_port()}/public/v2"})
    yield app
    with app.app_context():
        base.engine().dispose()


def post(app, body: bytes, secret: str | None = DEMO_WEBHOOK_SECRET):
    headers = {"Content-Type": "application/vnd.api+json"}
    if secret is not None:
        headers["X-Recrubo-Webhook-Secret"] = secret
    return app.test_client().post("/webhooks/recrubo", data=body, headers=headers)


def stored(app) -> int:
    with app.app_context():
        return events.count()


def check_answer(app, response, before: int, sent_id=None) -> None:
    assert response.status_code in (200, 400, 401, 413, 415), response.status_code
    body = response.get_json()
    if response.status_code == 200:
        assert stored(app) - before in (0, 1)  # a duplicate is acknowledged, not stored again
        if sent_id is not None and stored(app) > before:
            assert body["meta"]["event"] == sent_id
    else:
        assert body["errors"] and body["errors"][0]["status"] == str(response.status_code)
        assert stored(app) == before, "a refused delivery stored something"


@FUZZ
@given(body=st.binary(max_size=2000))
def test_any_bytes_are_answered_without_a_server_error(receiver_app, body):
    before = stored(receiver_app)
    check_answer(receiver_app, post(receiver_app, body), before)


@FUZZ
@given(document=json_values)
def test_any_json_document_is_answered_without_a_server_error(receiver_app, document):
    before = stored(receiver_app)
    check_answer(receiver_app, post(receiver_app, json.dumps(document).encode()), before)


@FUZZ
@given(path=st.sampled_from(PATHS), value=json_values, delete=st.booleans())
def test_a_valid_payload_with_one_part_broken_is_answered_without_a_server_error(receiver_app, path, value, delete):
    document = copy.deepcopy(payload())
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    before = stored(receiver_app)
    check_answer(receiver_app, post(receiver_app, json.dumps(document).encode()), before,
                 document["data"].get("id") if isinstance(document.get("data"), dict) else None)


@FUZZ
@given(secret=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60))
def test_a_wrong_secret_is_refused_and_stores_nothing(receiver_app, secret):
    if secret == DEMO_WEBHOOK_SECRET:
        return
    before = stored(receiver_app)
    response = post(receiver_app, json.dumps(payload()).encode(), secret=secret)
    assert response.status_code == 401 and stored(receiver_app) == before
