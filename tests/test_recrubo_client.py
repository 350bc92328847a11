"""The Recrubo client against the sandbox over real HTTP: documents, pages, includes and errors."""

from __future__ import annotations

import uuid

import pytest

from dashboard.recrubo.client import RecruboClient, RecruboError
from dashboard.recrubo.relations import attach, related_id
from tests.support.servers import API_KEY, free_port


@pytest.fixture()
def api(sandbox_server):
    return RecruboClient(f"{sandbox_server.url}/public/v2", API_KEY)


def test_list_returns_plain_resources_and_counts(api):
    page = api.list("flows", size=2)
    assert page.total >= len(page.items) > 0
    flow = page.items[0]
    assert flow.type == "flows" and uuid.UUID(flow.id)
    assert flow["name"] == flow.name and "createdAt" in flow


def test_iterate_follows_every_page(api):
    total = api.list("message-threads", size=1).total
    ids = [thread.id for thread in api.iterate("message-threads", size=2)]
    assert len(ids) == total == len(set(ids))


def test_filters_are_sent_as_json_api_filters(api):
    channel = api.list("message-threads", size=1).items[0].channel
    page = api.list("message-threads", filters={"channel": channel}, size=200)
    assert page.items and all(thread.channel == channel for thread in page.items)


@pytest.mark.parametrize("type_", ["flows", "messageThreads", "flowRuns", "flowGenerations", "vacancies",
                                   "messageTemplates", "candidates"])
def test_find_reads_a_type_by_id_and_answers_none_for_an_unknown_one(api, type_):
    from dashboard.recrubo.client import PATHS

    listed = api.list(PATHS[type_], size=1).items
    if listed:
        found = api.find(type_, listed[0].id)
        assert found is not None and found.id == listed[0].id and found.type == type_
    assert api.find(type_, str(uuid.uuid4())) is None


def test_find_still_raises_what_is_not_a_404():
    with pytest.raises(RecruboError) as raised:
        RecruboClient(f"http://127.0.0.1:{free_port()}/public/v2", API_KEY, timeout=(0.5, 1)).find("flows", "x")
    assert raised.value.kind == "unreachable"


def test_included_relationships_are_resolved(api):
    thread = api.list("message-threads", size=1).items[0]
    shown = api.get("message-threads", thread.id, include="messages")
    assert shown.id == thread.id
    assert isinstance(shown.messages, list)
    assert all(message.type == "messages" and "payload" in message for message in shown.messages)


def test_create_update_and_delete_round_trip(api):
    vacancy = api.create("vacancy", "vacancies", {"title": "Forklift driver", "description": "Nights, Tilburg."})
    assert vacancy.title == "Forklift driver"
    updated = api.update("vacancy", "vacancies", vacancy.id, {"title": "Forklift driver (m/f)"})
    assert updated is None or updated.title == "Forklift driver (m/f)"
    assert api.get("vacancy", vacancy.id).title == "Forklift driver (m/f)"
    api.delete("vacancy", vacancy.id)
    with pytest.raises(RecruboError) as raised:
        api.get("vacancy", vacancy.id)
    assert raised.value.kind == "not_found"


def test_unknown_id_is_a_readable_not_found(api):
    with pytest.raises(RecruboError) as raised:
        api.get("flows", str(uuid.uuid4()))
    assert raised.value.status == 404 and raised.value.kind == "not_found"
    assert "no longer exists" in raised.value.message


def test_rejected_key_is_a_readable_error(sandbox_server):
    api = RecruboClient(f"{sandbox_server.url}/public/v2", "not-the-key")
    with pytest.raises(RecruboError) as raised:
        api.list("flows")
    assert raised.value.status == 401 and raised.value.kind == "rejected"
    assert "RECRUBO_API_KEY" in raised.value.message


def test_validation_errors_carry_their_field(api):
    with pytest.raises(RecruboError) as raised:
        api.create("vacancy", "vacancies", {"description": "no title"})
    assert raised.value.status == 422 and raised.value.kind == "invalid"
    assert "title" in raised.value.field_errors()


def test_unreachable_api_is_a_readable_error():
    api = RecruboClient(f"http://127.0.0.1:{free_port()}/public/v2", API_KEY, timeout=(1, 1))
    with pytest.raises(RecruboError) as raised:
        api.list("flows")
    assert raised.value.kind == "unreachable" and "can't be reached" in raised.value.message


def test_a_refused_include_reads_the_same_resources_without_it(api):
    plain = api.list("flow-runs", sort="createdAt", size=5)
    refused = api.list("flow-runs", sort="createdAt", size=5, include="noSuchRelationship")
    assert [run.id for run in refused.items] == [run.id for run in plain.items]
    assert api.get("flow-runs", plain.items[0].id, include="noSuchRelationship").id == plain.items[0].id


def test_an_undocumented_include_is_probed_once_and_a_refusal_remembered(api):
    api.list("flow-runs", size=2, include="noSuchRelationship")
    api.list("flow-runs", size=2, include="noSuchRelationship")
    assert api.compat.probed() == [{"collection": "flow-runs", "include": "noSuchRelationship", "works": False}]
    [note] = api.compat.surprises()
    assert note.count == 1 and "noSuchRelationship" in note.detail and note.path == "flow-runs"


def test_a_documented_include_is_asked_without_a_probe(api):
    api.list("nodes", size=2, include="nodeActions")
    assert api.compat.probed() == [] and api.compat.surprises() == []


def test_attach_fetches_the_related_resources_of_a_page_in_one_list(api):
    runs = api.list("flow-runs", sort="createdAt", size=10).items
    sent: list[str] = []
    api.http.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.url))
    threads = attach(api, runs, "messageThread", "messageThreads")
    assert len(sent) == 1 and "filter%5Bid%5D=" in sent[0]
    assert threads and all(run.messageThread.type == "messageThreads" for run in runs)
    assert all(run.messageThread.id == related_id(run, "messageThread") for run in runs)
    assert all("identifier" in run.messageThread for run in runs)
