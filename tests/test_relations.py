"""Reading a to-one relationship from each shape the API may send: linkage, to-one link, inferred attribute."""

from __future__ import annotations

import pytest

from dashboard.recrubo.client import parse_resource
from dashboard.recrubo.relations import is_silent, related_id

NODE = "3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80"
OTHER = "eb3c92e9-2548-4e4c-95d5-adfb94270c3f"


def transition(relationships: dict | None = None, **attributes: object) -> dict:
    data = {"id": "t1", "type": "nodeTransitions", "attributes": {"condition": None, **attributes}}
    if relationships is not None:
        data["relationships"] = relationships
    return data


@pytest.mark.parametrize("document", [
    transition({"exitNode": {"data": {"type": "nodes", "id": NODE},
                             "links": {"related": f"/public/v2/nodes/{OTHER}"}}}, exitNodeId=OTHER),
    transition({"exitNode": {"links": {"related": f"https://api.recrubo.app/public/v2/nodes/{NODE}"}}},
               exitNodeId=OTHER),
    transition({"exitNode": {"links": {"related": f"/public/v2/nodes/{NODE}"}}}),
    transition(exitNodeId=NODE),
], ids=["linkage first", "to-one link before the attribute", "to-one link alone", "inferred attribute"])
def test_related_id_reads_each_documented_shape_in_order(document):
    assert related_id(parse_resource(document), "exitNode") == NODE


def test_a_to_many_link_is_not_read_as_an_id():
    node = parse_resource({"id": NODE, "type": "nodes", "attributes": {}, "relationships": {
        "nodeActions": {"links": {"related": f"/public/v2/node-actions?filter[nodeId]={NODE}"}}}})
    assert related_id(node, "nodeActions") is None


def test_a_null_linkage_or_link_means_no_related_resource():
    thread = parse_resource({"id": "th", "type": "messageThreads", "attributes": {"candidateId": None},
                             "relationships": {"candidate": {"data": None, "links": {"related": None}}}})
    assert related_id(thread, "candidate") is None
    assert not is_silent(thread, "candidate")


def test_a_resource_that_says_nothing_about_a_relationship_is_silent():
    bare = parse_resource(transition())
    assert related_id(bare, "exitNode") is None and is_silent(bare, "exitNode")


def test_plain_mappings_work_too():
    assert related_id({"relationships": {"node": {"data": {"id": NODE}}}}, "node") == NODE
    assert related_id({"nodeId": NODE}, "node") == NODE
