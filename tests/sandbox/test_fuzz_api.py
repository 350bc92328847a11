"""Schema-based fuzzing of the sandbox API: documents and queries drawn from its own resource catalogue.

Every answer must be a documented status with JSON:API `errors` when refused, never a 500, and a refused
write must leave the stored data as it was.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sandbox
from sandbox.defaults import DEMO_API_KEY
from sandbox.schema import RESOURCES

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADERS = {"Authorization": f"Bearer {DEMO_API_KEY}", "Content-Type": "application/vnd.api+json"}
anything = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20),
                        lambda children: st.lists(children, max_size=3)
                        | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=8)
BY_KIND = {"str": st.text(max_size=40), "int": st.integers(-5, 10**4), "bool": st.booleans(),
           "object": st.dictionaries(st.text(max_size=8), anything, max_size=3),
           "array": st.lists(anything, max_size=3), "any": anything,
           "time": st.sampled_from(["2026-11-23T10:00:00+00:00", "yesterday", ""])}
CREATABLE = sorted(name for name, resource in RESOURCES.items() if "C" in resource.methods)
LISTABLE = sorted(name for name, resource in RESOURCES.items() if "L" in resource.methods)
OPERATORS = ["eq", "eql", "prefix", "suffix", "gt", "gte", "lt", "lte", "match", "nope"]


def attributes_for(resource_type: str):
    """Attribute objects as a client might send them: well-typed, ill-typed, missing and unknown keys."""
    resource = RESOURCES[resource_type]
    fields = {attr.name: st.one_of(BY_KIND.get(attr.kind, anything), anything) for attr in resource.attrs}
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda known: st.dictionaries(st.text(max_size=10), anything, max_size=2).map(lambda extra: {**extra, **known}))


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = sandbox.create_app({"SANDBOX_DATABASE": str(tmp_path_factory.mktemp("fuzz") / "sandbox.db"),
                              "SANDBOX_SEED": "none"})
    client = app.test_client()
    client.get("/public/v2/organizations", headers=HEADERS)  # the first request starts the engine...
    sandbox.stop_engine(app)  # ...which is stopped, so counts change only by what the test sends
    yield client


def total(client, resource_type: str) -> int:
    path = RESOURCES[resource_type].path
    return client.get(f"/public/v2/{path}?page[size]=1", headers=HEADERS).get_json()["meta"]["totalUnfiltered"]


def assert_documented(response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        errors = response.get_json()["errors"]
        assert errors and all(error["status"] == response.status_code for error in errors)


@FUZZ
@given(data=st.data())
def test_any_create_is_stored_whole_or_refused_without_a_trace(api, data):
    resource_type = data.draw(st.sampled_from(CREATABLE))
    attributes = data.draw(attributes_for(resource_type))
    before = total(api, resource_type)
    response = api.post(f"/public/v2/{RESOURCES[resource_type].path}", headers=HEADERS,
                        data=json.dumps({"data": {"type": resource_type, "attributes": attributes}}))
    assert_documented(response, {201, 400, 404, 409, 422})
    assert total(api, resource_type) == before + (1 if response.status_code == 201 else 0)


@FUZZ
@given(data=st.data())
def test_any_update_is_applied_or_refused_without_a_trace(api, data):
    resource_type = data.draw(st.sampled_from(sorted(n for n in LISTABLE if "U" in RESOURCES[n].methods)))
    path = RESOURCES[resource_type].path
    existing = api.get(f"/public/v2/{path}?page[size]=1", headers=HEADERS).get_json()["data"]
    if not existing:
        return
    target = f"/public/v2/{path}/{existing[0]['id']}"
    before = api.get(target, headers=HEADERS).get_json()
    attributes = data.draw(attributes_for(resource_type))
    response = api.patch(target, headers=HEADERS, data=json.dumps(
        {"data": {"type": resource_type, "id": existing[0]["id"], "attributes": attributes}}))
    assert_documented(response, {200, 400, 404, 409, 422})
    if response.status_code >= 400:
        assert api.get(target, headers=HEADERS).get_json() == before


@FUZZ
@given(data=st.data())
def test_any_list_query_is_answered_or_refused(api, data):
    resource_type = data.draw(st.sampled_from(LISTABLE))
    names = [attr.name for attr in RESOURCES[resource_type].attrs] + ["id", "bogus"]
    query = {}
    for _ in range(data.draw(st.integers(0, 3))):
        name, operator = data.draw(st.sampled_from(names)), data.draw(st.sampled_from(OPERATORS + [None]))
        key = f"filter[{name}]" + (f"[{operator}]" if operator else "")
        query[key] = data.draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20))
    if data.draw(st.booleans()):
        query["sort"] = ",".join(data.draw(st.lists(st.sampled_from(names + ["-" + n for n in names]),
                                                    min_size=1, max_size=3)))
    if data.draw(st.booleans()):
        query["page[size]"] = data.draw(st.sampled_from(["1", "200", "500", "0", "-1", "x"]))
        query["page[number]"] = data.draw(st.sampled_from(["1", "2", "999", "0", "x"]))
    if data.draw(st.booleans()):
        query["include"] = data.draw(st.sampled_from([rel.name for rel in RESOURCES[resource_type].rels] + ["nope"]))
    response = api.get(f"/public/v2/{RESOURCES[resource_type].path}", query_string=query, headers=HEADERS)
    assert_documented(response, {200, 400})
