"""Strict mode (SANDBOX_STRICT=1, `python -m sandbox --strict`) against the default sandbox, over HTTP: every
entry of `sandbox.strict.INFERRED` is off in strict mode and on by default; includes, filters, writes and
webhook payloads follow the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from sandbox.schema import RESOURCES
from sandbox.settings import from_environment, load_settings
from sandbox.strict import ATTRIBUTE, DOCUMENTED_INCLUDES, INFERRED, KEPT
from tests.support.sandboxes import serve, store_directly
from tests.support.servers import API_KEY, start_sandbox
from tests.support.waiting import wait_until

ERROR_KEYS = {"code", "status", "title", "detail"}  # the §3.7 shape
UNDOCUMENTED_INCLUDES = sorted((spec.type, name) for spec in RESOURCES.values() if "L" in spec.methods
                               for name in spec.rel_map if (spec.type, name) not in DOCUMENTED_INCLUDES)


def started(tmp_path_factory, receiver, name: str, **config):
    """A demo sandbox delivering webhooks to the receiver's /`name`, holding a location (none is seeded)."""
    client, stop = serve(tmp_path_factory.mktemp(name), SANDBOX_WEBHOOK_URL=f"{receiver.url}/{name}", **config)
    vacancy = client.all("/vacancy")[0]
    store_directly(client, "locations", {"name": "Tilburg", "vacancyId": vacancy["id"]})
    return client, stop


@pytest.fixture(scope="module")
def default(tmp_path_factory, receiver):
    client, stop = started(tmp_path_factory, receiver, "default")
    yield client
    stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory, receiver):
    client, stop = started(tmp_path_factory, receiver, "strict", SANDBOX_STRICT="1")
    yield client
    stop()


def first(api, rtype: str) -> dict:
    """One resource of a type, waiting for the engine to make one (webhook logs come from the queued runs)."""
    def found() -> list:
        response = api.get(f"/{RESOURCES[rtype].path}?page[size]=1")
        assert response.status_code == 200, response.text
        return response.json()["data"]
    return wait_until(found, 30, f"a sandbox holds {rtype}")[0]


def test_the_table_names_real_fields_with_their_sections():
    for kind, rtype, name in [*INFERRED, *KEPT]:
        spec = RESOURCES[rtype]
        assert name in (spec.attr_map if kind == ATTRIBUTE else spec.rel_map), (kind, rtype, name)
    assert all(section.startswith("§") for section in [*INFERRED.values(), *DOCUMENTED_INCLUDES.values()])
    assert not set(INFERRED) & set(KEPT)


def test_strict_is_read_from_the_environment_and_checked():
    assert load_settings(from_environment({"SANDBOX_STRICT": "1"})).strict
    assert not load_settings(from_environment({"SANDBOX_STRICT": "0"})).strict
    assert not load_settings({}).strict
    with pytest.raises(ValueError, match="SANDBOX_STRICT"):
        load_settings({"SANDBOX_STRICT": "sometimes"})


@pytest.mark.parametrize("entry", sorted(INFERRED), ids=lambda entry: ".".join(entry[1:]) + f" ({entry[0]})")
def test_each_inferred_item_is_off_in_strict_mode_and_on_by_default(default, strict, entry):
    kind, rtype, name = entry
    part = "attributes" if kind == ATTRIBUTE else "relationships"
    assert name in first(default, rtype)[part]
    shown = first(strict, rtype)
    assert name not in shown[part]
    assert shown["attributes"]["createdAt"]  # the rest is still there


def test_kept_relationships_and_documented_ones_stay_in_strict_mode(strict):
    assert "flow" in first(strict, "flowRuns")["relationships"]  # KEPT: §8.2's sample
    transition = first(strict, "nodeTransitions")
    assert set(transition["relationships"]) == {"node", "exitNode"}
    assert set(transition["attributes"]) == {"condition", "index", "createdAt", "updatedAt"}
    for relationship in transition["relationships"].values():
        assert set(relationship) == {"links"}  # no linkage without include (§3.1)
    assert re.fullmatch(r"/public/v2/nodes/[0-9a-f-]{36}", transition["relationships"]["node"]["links"]["related"])
    node = first(strict, "nodes")["relationships"]["nodeActions"]["links"]["related"]
    assert node == f"/public/v2/node-actions?filter[nodeId]={first(strict, 'nodes')['id']}"


@pytest.mark.parametrize("rtype, name", UNDOCUMENTED_INCLUDES, ids=lambda value: value)
def test_undocumented_includes_are_refused_in_strict_mode_only(default, strict, rtype, name):
    path = f"/{RESOURCES[rtype].path}?include={name}"
    assert default.get(path).status_code == 200
    response = strict.get(path)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert set(error) == ERROR_KEYS
    assert (error["code"], error["status"], error["title"]) == ("bad_request", 400, "Bad Request")
    shown = strict.get(f"/{RESOURCES[rtype].path}/{first(strict, rtype)['id']}?include={name}")
    assert shown.status_code == 400 and set(shown.json()["errors"][0]) == ERROR_KEYS


def test_documented_includes_work_in_strict_mode(strict):
    candidate = first(strict, "candidates")
    vacancy, thread = first(strict, "vacancies"), first(strict, "messageThreads")
    flow = first(strict, "flows")
    for path, name, target in [(f"/candidates/{candidate['id']}?include=candidateStatus", "candidateStatus",
                                "candidateStatuses"),
                               (f"/vacancy/{vacancy['id']}?include=locations", "locations", "locations"),
                               (f"/message-threads/{thread['id']}?include=messages", "messages", "messages"),
                               (f"/nodes?filter[flowId]={flow['id']}&include=nodeActions", "nodeActions",
                                "nodeActions")]:
        response = strict.get(path)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        primary = body["data"] if isinstance(body["data"], list) else [body["data"]]
        assert primary and all("data" in item["relationships"][name] for item in primary), path
        assert all(item["type"] == target for item in body["included"]), path
        if target == "nodeActions":
            assert body["included"] and all("nodeId" not in item["attributes"] for item in body["included"])


def test_filters_by_hidden_foreign_keys_work_in_strict_mode(strict):
    nodes = [n["id"] for n in strict.all("/nodes")[:2]]
    response = strict.get(f"/node-transitions?filter[nodeId]={nodes[0]},{nodes[1]}&page[size]=200")
    assert response.status_code == 200, response.text
    found = response.json()["data"]
    expected = [t for t in strict.all("/node-transitions")
                if t["relationships"]["node"]["links"]["related"].rsplit("/", 1)[-1] in nodes]
    assert found and sorted(t["id"] for t in found) == sorted(t["id"] for t in expected)
    thread = first(strict, "messageThreads")
    assert strict.get(f"/messages?filter[messageThreadId]={thread['id']}").status_code == 200
    exit_node = found[0]["relationships"]["exitNode"]["links"]["related"].rsplit("/", 1)[-1]
    assert strict.get(f"/node-transitions?filter[exitNodeId][eq]={exit_node}").json()["meta"]["total"] >= 1


def test_documented_writes_work_and_answer_the_strict_way(strict):
    flow = next(f for f in strict.all("/flows") if f["attributes"]["name"] == "Quick screening")
    thread = strict.create("messageThreads", "/message-threads", {"channel": "sms", "identifier": "31699900001",
                                                                  "simulatedCandidate": False})
    document = {"data": {"type": "flowRuns", "attributes": {"state": {}, "initialMessage": {}}, "relationships": {
        "flow": {"data": {"type": "flows", "id": flow["id"]}},
        "messageThread": {"data": {"type": "messageThreads", "id": thread["id"]}}}}}
    response = strict.request("POST", "/flow-runs", json=document)
    assert response.status_code == 201, response.text
    run = response.json()["data"]
    assert run["attributes"]["flowId"] == flow["id"] and run["attributes"]["messageThreadId"] == thread["id"]
    assert set(run["relationships"]) == {"flow"}
    nodes = strict.all(f"/nodes?filter[flowId]={flow['id']}")
    link = {"data": {"type": "nodeTransitions", "attributes": {"condition": None, "index": 9}, "relationships": {
        "node": {"data": {"type": "nodes", "id": nodes[0]["id"]}},
        "exitNode": {"data": {"type": "nodes", "id": nodes[-1]["id"]}}}}}
    response = strict.request("POST", "/node-transitions", json=link)
    assert response.status_code == 201, response.text
    assert "nodeId" not in response.json()["data"]["attributes"]
    listed = strict.get(f"/node-transitions?filter[nodeId]={nodes[0]['id']}&filter[index]=9").json()["data"]
    assert [t["id"] for t in listed] == [response.json()["data"]["id"]]


@pytest.mark.parametrize("name", ["default", "strict"])
def test_webhook_payloads_carry_the_resource_as_the_api_renders_it(request, receiver, name):
    api = request.getfixturevalue(name)
    thread = first(api, "messageThreads")
    paused = not thread["attributes"]["chatbotPaused"]
    response = api.patch("messageThreads", f"/message-threads/{thread['id']}", {"chatbotPaused": paused})
    assert response.status_code == 200, response.text

    def delivered() -> list:
        resources = [d.body["data"]["attributes"]["resource"] for d in receiver.received(f"/{name}")]
        return [r for r in resources if r["id"] == thread["id"] and r["attributes"]["chatbotPaused"] is paused]
    resource = wait_until(delivered, 30, f"the {name} sandbox's thread update was delivered")[0]
    answered = response.json()["data"]
    assert set(resource["attributes"]) == set(answered["attributes"])
    assert resource["relationships"] == answered["relationships"]
    assert ("candidateId" in resource["attributes"]) is (name == "default")
    assert ("flowRuns" in resource["relationships"]) is (name == "default")
    assert "candidate" in resource["relationships"]


def test_the_strict_flag_of_the_standalone_sandbox(tmp_path):
    server = start_sandbox(tmp_path, args=("--strict",), SANDBOX_TIME_SCALE="50")
    try:
        headers = {"Authorization": f"Bearer {API_KEY}"}  # the suite's key (servers.KEYS)
        base = server.url + "/public/v2"
        transition = requests.get(base + "/node-transitions?page[size]=1", headers=headers, timeout=10)
        assert "nodeId" not in transition.json()["data"][0]["attributes"]
        refused = requests.get(base + "/flows?include=nodes", headers=headers, timeout=10)
        assert refused.status_code == 400 and set(refused.json()["errors"][0]) == ERROR_KEYS
        assert "Strict mode" in server.log.read_text()
    finally:
        server.stop()


def test_the_readme_lists_every_difference():
    readme = (Path(__file__).resolve().parents[2] / "sandbox" / "README.md").read_text()
    section = readme.split("## Strict mode", 1)[1].split("\n## ", 1)[0]
    for kind, rtype, name in INFERRED:
        assert f"{kind} `{rtype}.{name}` left out" in section, (rtype, name)
    for rtype, name in DOCUMENTED_INCLUDES:
        assert f"`{rtype}.{name}`" in section
