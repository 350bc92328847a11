"""Property-based fuzzing of the webhook receiver, on SQLite and on Postgres: any body gets a JSON:API answer, never a
5xx, and a refusal stores nothing: deep nesting, other encodings, lone surrogates, NUL, extreme dates, selector
characters in ids and long types included."""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import create_app
from dashboard.db import base, events
from dashboard.recrubo.ids import RESOURCE_TYPES
from tests.support.payloads import payload
from tests.support.servers import WEBHOOK_SECRET, free_port, remote_api

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HOSTILE = settings(FUZZ, max_examples=60)
ID_SHAPE = re.compile(r"[A-Za-z0-9-]{1,64}")
# What a hostile sender puts in an id or a type: selector and quoting characters, controls, non-ASCII, length.
SELECTOR_CHARACTERS = ',#.[]:>~+ "\'\\/\n\r\t\x00'
hostile_names = st.text(st.sampled_from(SELECTOR_CHARACTERS) | st.characters(codec="utf-8", exclude_categories=["Cs"])
                        | st.sampled_from("abcXYZ019-"), min_size=0, max_size=70) \
    | st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzAZ"), min_size=60, max_size=80)
MAX_DEPTH = 32
STRING_PATHS = [("data", "id"), ("data", "attributes", "resource", "id"), ("data", "attributes", "resource", "type"),
                ("data", "attributes", "resource", "attributes", "status"),
                ("data", "attributes", "resource", "attributes", "updatedAt")]
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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def receiver_app(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp("fuzz-webhooks")
    database = f"sqlite:///{instance / 'dashboard.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("postgres").fresh_database(f"fuzz_{uuid.uuid4().hex[:16]}")
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": database,
                      **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")})
    yield app
    with app.app_context():
        base.engine().dispose()


def post(app, body: bytes, secret: str | None = WEBHOOK_SECRET):
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
    if secret == WEBHOOK_SECRET:
        return
    before = stored(receiver_app)
    response = post(receiver_app, json.dumps(payload()).encode(), secret=secret)
    assert response.status_code == 401 and stored(receiver_app) == before


def at(document: dict, path: tuple[str, ...], value: object) -> dict:
    """`document` with the value at `path` replaced."""
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document


def accepted(receiver_app, document: dict | None, body: bytes) -> bool:
    """Deliver `body`; check the answer; True when it was acknowledged."""
    before = stored(receiver_app)
    response = post(receiver_app, body)
    check_answer(receiver_app, response, before, document["data"]["id"] if document else None)
    return response.status_code == 200


@HOSTILE
@given(depth=st.integers(min_value=1, max_value=5000))
def test_nesting_beyond_the_limit_is_refused_however_deep(receiver_app, depth):
    document = payload()
    at(document, ("data", "attributes", "resource", "attributes", "state"), "DEEP")
    # The state object sits 5 levels down (data, attributes, resource, attributes): `depth` lists more below it.
    body = json.dumps(document).replace('"DEEP"', "[" * depth + "]" * depth).encode()
    assert accepted(receiver_app, document, body) is (5 + depth <= MAX_DEPTH)


@HOSTILE
@given(encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "latin-1", "cp1252"]),
       text=st.text(st.characters(min_codepoint=0xA0, max_codepoint=0xFF), min_size=1, max_size=20))
def test_a_body_in_another_encoding_is_refused(receiver_app, encoding, text):
    document = payload(status=text)
    body = json.dumps(document, ensure_ascii=False).encode(encoding, errors="replace")
    ok = accepted(receiver_app, document, body)
    # Latin-1 bytes can happen to be valid UTF-8 (e.g. "Ã©"); read as UTF-8 they are simply other text.
    assert not ok or encoding in ("latin-1", "cp1252")


@HOSTILE
@given(path=st.sampled_from(STRING_PATHS), character=st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]),
       where=st.floats(min_value=0, max_value=1), escaped=st.booleans())
def test_a_nul_or_lone_surrogate_anywhere_is_refused(receiver_app, path, character, where, escaped):
    document = payload()
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    value = parent[path[-1]]
    cut = int(len(value) * where)
    parent[path[-1]] = value[:cut] + character + value[cut:]
    # As a JSON escape (`\ud800`), or as raw bytes (UTF-8 can encode neither a surrogate validly nor NUL in JSON).
    body = json.dumps(document, ensure_ascii=escaped).encode("utf-8", errors="surrogatepass")
    assert not accepted(receiver_app, document, body)


@HOSTILE
@given(year=st.sampled_from([1, 1999, 2000, 2050, 2100, 2101, 9999]), month=st.integers(1, 12), day=st.integers(1, 28),
       hour=st.integers(0, 23), offset=st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
def test_an_extreme_date_is_refused_and_a_plausible_one_applied(receiver_app, year, month, day, hour, offset):
    sign, minutes = ("-" if offset < 0 else "+"), abs(offset)
    stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    document = payload(updated_at=stamp)
    ok = accepted(receiver_app, document, json.dumps(document).encode())
    try:
        utc = datetime.fromisoformat(stamp).astimezone(timezone.utc)
    except OverflowError:
        utc = None
    assert ok is (utc is not None and 2000 <= utc.year <= 2100)


@HOSTILE
@given(path=st.sampled_from(STRING_PATHS[:3]), name=hostile_names)
def test_an_id_or_type_of_another_shape_is_refused(receiver_app, path, name):
    document = at(payload(), path, name)
    ok = accepted(receiver_app, document, json.dumps(document).encode())
    if path[-1] == "type":
        assert ok is (name in RESOURCE_TYPES)
    else:
        assert ok is bool(ID_SHAPE.fullmatch(name))
