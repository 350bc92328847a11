"""Search through the index, over HTTP, on SQLite and on Postgres: the recruiter's spellings find people in the
threads list and the launch form's picker and flows anywhere in their names; what is typed is literal, never an
error; and a renamed or deleted candidate is found by the new name only, after its webhook or after a sync."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest

from dashboard.db.upsert import fold
from dashboard.recrubo.relations import related_id
from dashboard.recrubo.sync import sync_once
from tests.support.model_lists import SPELLINGS, expected_threads, row_ids
from tests.support.pages import make_flow, make_thread, unique
from tests.support.payloads import deliver

# Quotes, FTS5 operators and syntax, LIKE wildcards and its escape: each searched for as the characters it is.
HOSTILE = ['"', '""', '" OR "', "*", "a*", "NEAR", "NEAR(de groot)", "de OR groot", "de AND groot", "-groot",
           "^de", "%", "%%%", "_", "___", "d_ker", "de%groot", "\\", "'", "';--", "(", ")", ":", "{x}",
           "\x00dekker", "dek\x00ker"]


def picked(html: str) -> set[str]:
    """The thread ids the launch form's picker offers."""
    return set(re.findall(r'name="messageThreadId" value="([0-9a-f-]{36})"', html))


def spaced(identifier: str) -> str:
    """A phone number as people type it: a plus and groups of three digits."""
    return "+" + " ".join(identifier[index:index + 3] for index in range(0, len(identifier), 3))


@pytest.mark.parametrize("typed", SPELLINGS)
def test_the_launch_forms_thread_picker_finds_every_spelling(model_app, lister, typed):
    expected = expected_threads(model_app.snapshot, typed)
    html = lister.get("/flow-runs/new/threads", query_string={"threadSearch": typed}).get_data(as_text=True)
    assert expected and picked(html) == expected


def test_the_picker_finds_a_thread_by_its_phone_number_with_spaces_and_plus(model_app, lister):
    thread = next(thread for thread in model_app.snapshot["threads"] if thread.get("channel") == "whatsapp")
    html = lister.get("/flow-runs/new/threads", query_string={"threadSearch": spaced(thread.identifier)})
    assert thread.id in picked(html.get_data(as_text=True))


@pytest.mark.parametrize("typed", ["Tilburg", "tilburg", "TILBURG", "ilbur"])
def test_flow_search_finds_a_name_containing_it_anywhere_in_any_case(lister, api, typed):
    expected = {flow.id for flow in api.iterate("flows") if fold(typed) in fold(flow.name or "")}
    assert expected and not all(fold(api.get("flows", id_).name).startswith(fold(typed)) for id_ in expected)
    html = lister.get("/flows", query_string={"q": typed, "size": 100}).get_data(as_text=True)
    assert set(row_ids(html, "flow")) == expected


def test_flow_search_ignores_accents(model_app, lister, api):
    flow = make_flow(api, unique("Coördinator Hôtel Café"), questions=1)
    assert sync_once(model_app).ran
    for typed in ("coordinator hotel cafe", "COÖRDINATOR", "hôtel café"):
        html = lister.get("/flows", query_string={"q": typed}).get_data(as_text=True)
        assert flow.id in row_ids(html, "flow"), typed


def test_a_search_shorter_than_a_trigram_still_finds_people(model_app, lister):
    expected = expected_threads(model_app.snapshot, "de")
    html = lister.get("/message-threads", query_string={"q": "de", "size": 100}).get_data(as_text=True)
    assert expected and set(row_ids(html, "message-thread")) <= expected
    assert row_ids(html, "message-thread")


@pytest.mark.parametrize("typed", HOSTILE)
def test_what_is_typed_is_searched_literally_never_an_error(model_app, lister, api, typed):
    threads = lister.get("/message-threads", query_string={"q": typed})
    assert threads.status_code == 200
    wanted = " ".join(fold(typed.replace("\x00", "")).split())
    if wanted:
        assert set(row_ids(threads.get_data(as_text=True), "message-thread")) <= expected_threads(
            model_app.snapshot, typed.replace("\x00", ""))
    picker = lister.get("/flow-runs/new/threads", query_string={"threadSearch": typed})
    assert picker.status_code == 200
    flows = lister.get("/flows", query_string={"q": typed})
    assert flows.status_code == 200
    assert all(wanted in fold(api.get("flows", id_).name) for id_ in row_ids(flows.get_data(as_text=True), "flow"))


def test_a_quote_or_wildcard_in_a_name_is_found_as_typed(model_app, lister, api):
    mark = uuid.uuid4().hex[:6]
    thread = make_thread(api, "Zoë", f'O"Brien_%*{mark}')
    assert sync_once(model_app).ran
    for typed in (f'O"Brien_%*{mark}', f'o"brien_%*{mark}', f'"brien_%*{mark[:2]}'):
        html = lister.get("/message-threads", query_string={"q": typed}).get_data(as_text=True)
        assert row_ids(html, "message-thread") == [thread.id], typed
    for typed in (f"o_brien_%*{mark}", f"o%{mark}"):
        html = lister.get("/message-threads", query_string={"q": typed}).get_data(as_text=True)
        assert row_ids(html, "message-thread") == [], typed


def webhook(resource, event: str = "update", updated_at: str | None = None) -> dict:
    """The webhook Recrubo sends after `event` on `resource` (reference §8.2), carrying its state after it."""
    attributes = {name: value for name, value in resource.items()
                  if name not in ("id", "type") and name not in resource.relationships}
    if updated_at:
        attributes["updatedAt"] = updated_at
    return {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
        "webhookId": str(uuid.uuid4()), "event": event, "fields": ["lastName"], "resource": {
            "id": resource.id, "type": resource.type, "attributes": attributes,
            "relationships": resource.relationships}}}}


def found(lister, typed: str) -> list[str]:
    """The threads the threads list shows for `typed`."""
    return row_ids(lister.get("/message-threads", query_string={"q": typed}).get_data(as_text=True),
                   "message-thread")


def test_a_renamed_then_deleted_candidate_is_found_by_the_webhooks_state(model_app, lister, api):
    before, after = unique("Renée").replace(" ", ""), unique("Søren").replace(" ", "")
    thread = make_thread(api, "Anouk", before)
    candidate_id = related_id(thread, "candidate")
    assert sync_once(model_app).ran
    assert found(lister, fold(before)) == [thread.id]
    # No webhook reaches this dashboard by itself: deliver what Recrubo sends after each change.
    renamed = api.update("candidates", "candidates", candidate_id, {"lastName": after}) \
        or api.get("candidates", candidate_id)
    response = deliver(lister, webhook(renamed))
    assert response.status_code == 200 and response.get_json()["meta"]["verdict"] == "applied"
    assert found(lister, fold(after)) == [thread.id] and found(lister, fold(before)) == []
    api.delete("candidates", candidate_id)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    response = deliver(lister, webhook(renamed, "delete", updated_at=now))
    assert response.status_code == 200 and response.get_json()["meta"]["verdict"] == "applied"
    assert found(lister, fold(after)) == [] and found(lister, "anouk " + fold(after)) == []


def test_a_renamed_then_deleted_candidate_is_found_by_the_syncs_state(model_app, lister, api):
    before, after = unique("Jöran").replace(" ", ""), unique("Ülkü").replace(" ", "")
    thread = make_thread(api, "Bram", before)
    candidate_id = related_id(thread, "candidate")
    assert sync_once(model_app).ran
    assert found(lister, before.upper()) == [thread.id]
    api.update("candidates", "candidates", candidate_id, {"lastName": after})
    assert sync_once(model_app).ran
    assert found(lister, fold(after)) == [thread.id] and found(lister, fold(before)) == []
    api.delete("candidates", candidate_id)
    assert sync_once(model_app).ran
    assert found(lister, fold(after)) == []
