"""Whatever a client sends, the sandbox answers without a 500 and a refusal stores nothing."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.defaults import DEMO_API_KEY, DEMO_PARTNER_KEY
from sandbox.schema import RESOURCES
from tests.support.sandboxes import serve

EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "100"))
PATHS = sorted({spec.path for spec in RESOURCES.values()})
SCALARS = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                         max_size=4),
                    max_leaves=12)
NAMES = st.sampled_from(sorted({a.name for spec in RESOURCES.values() for a in spec.attrs} | {"id", "x", "payload"}))
ATTRIBUTES = st.dictionaries(NAMES, JSON, max_size=5)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    client, stop = serve(tmp_path_factory.mktemp("fuzz"), SANDBOX_SEED="none")
    yield client
    stop()


def bodies():
    typed = st.builds(lambda rtype, attributes: {"data": {"type": rtype, "attributes": attributes}},
                      st.sampled_from(sorted(RESOURCES)), ATTRIBUTES)
    return typed | JSON.map(lambda value: {"data": value}) | JSON


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["POST", "PATCH"]), path=st.sampled_from(PATHS), body=bodies())
def test_random_writes_never_fail_the_server(fuzzed, method, path, body):
    existing = fuzzed.get(f"/{path}?page[size]=1").json()["data"] if method == "PATCH" else []
    target = f"/{path}" if method == "POST" else f"/{path}/{existing[0]['id'] if existing else 'x'}"
    before = fuzzed.stored()
    response = fuzzed.request(method, target, data=json.dumps(body).encode())
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["errors"][0]["status"] == response.status_code
        assert fuzzed.stored() == before


QUERY_KEYS = st.sampled_from(["filter[firstName]", "filter[createdAt][gt]", "filter[state][eq]", "filter[index][lt]",
                              "filter[x]", "sort", "include", "page[size]", "page[number]", "filter[id][match]",
                              "filter[isStartFlow]", "filter", "page"])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), query=st.dictionaries(QUERY_KEYS, st.text(max_size=15), max_size=4))
def test_random_list_queries_never_fail_the_server(fuzzed, path, query):
    response = fuzzed.get(f"/{path}", params=query)
    assert response.status_code in (200, 400), response.text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/embed/authenticate", "/management/organizations", "/management/refresh-token/x"]),
       body=bodies() | st.fixed_dictionaries({"userId": JSON, "originUrl": JSON}))
def test_random_embed_and_management_posts_never_fail_the_server(fuzzed, path, body):
    key = DEMO_PARTNER_KEY if path.startswith("/management") else DEMO_API_KEY
    response = fuzzed.request("POST", path, data=json.dumps(body).encode(), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code < 500, response.text
