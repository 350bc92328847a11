"""Strict mode (SANDBOX_STRICT=1, `python -m sandbox --strict`): answer only what the reference documents.

The tables below are the switch: each entry is something the default sandbox renders though the reference
(`../shared/recrubo-api.md`) marks it inferred or does not document it, with the section that says so.
Strict mode changes rendering and `include` only; filters, sorting and writes read the stored records as in
the default mode, so `GET /node-transitions?filter[nodeId]=a,b` still works (§3.3).
"""

from __future__ import annotations

from typing import Any

from sandbox.jsonapi import ApiError
from sandbox.schema import Resource

ATTRIBUTE, RELATIONSHIP = "attribute", "relationship"

# (kind, type, name) -> the reference section that leaves it out. Attributes are foreign keys the reference
# documents only as relationships (§3.2 lists `node`, `exitNode`, `candidate` as relationship-only keys);
# relationships are the §4 catalogue's inferred (\*) ones, the S17 ones, and those §4 does not list at all.
INFERRED: dict[tuple[str, str, str], str] = {
    (ATTRIBUTE, "messageThreads", "candidateId"): "§5.4 (inferred attribute; relationship `candidate`), §3.2",
    (ATTRIBUTE, "nodeActions", "nodeId"): "§5.10 (relationship `node` only), §3.2",
    (ATTRIBUTE, "nodeTransitions", "nodeId"): "§5.11 (relationship `node` only), §3.2",
    (ATTRIBUTE, "nodeTransitions", "exitNodeId"): "§5.11 (relationship `exitNode` only), §3.2",
    (RELATIONSHIP, "conversations", "messageThread"): "§4 (`messageThread`\\* inferred)",
    (RELATIONSHIP, "conversations", "candidate"): "§4 (`candidate`\\* inferred)",
    (RELATIONSHIP, "flows", "nodes"): "§4 (`nodes`\\* inferred), S17",
    (RELATIONSHIP, "flows", "vacancy"): "§4 (`vacancy`\\* inferred), S17",
    (RELATIONSHIP, "flows", "flowGeneration"): "§4 (`flowGeneration`\\* inferred), S17",
    (RELATIONSHIP, "flowRuns", "messageThread"): "§4 (`messageThread`\\* inferred)",
    (RELATIONSHIP, "flowGenerations", "flow"): "§4 (`flow`\\* inferred)",
    (RELATIONSHIP, "users", "organization"): "§4, §5.2 (users: only `candidates`)",
    (RELATIONSHIP, "candidates", "user"): "§4, §5.3 (not listed)",
    (RELATIONSHIP, "candidates", "messageThreads"): "§4, §5.3 (not listed)",
    (RELATIONSHIP, "messageThreads", "flowRuns"): "§4, §5.4 (not listed)",
    (RELATIONSHIP, "flows", "flowRuns"): "§4, §5.8 (not listed)",
    (RELATIONSHIP, "vacancies", "flows"): "§4, §5.14 (only `locations`)",
    (RELATIONSHIP, "locations", "vacancy"): "§4, S20 (`locations` are the sandbox's, always empty)",
    (RELATIONSHIP, "webhooks", "webhookLogs"): "§4 (webhooks: no relationships), S32",
    (RELATIONSHIP, "webhookLogs", "webhook"): "§4 (webhookLogs: no relationships), S32",
}

# Kept though §4 stars it: §8.2's documented webhook sample shows a flowRuns resource with `flow`.
KEPT = {(RELATIONSHIP, "flowRuns", "flow"): "§8.2 sample (§4 marks `flow`\\* inferred)"}

# The includes §3.6 documents (`/nodes?filter[flowId]=…&include=nodeActions` also in §7.4); S8 allows any.
DOCUMENTED_INCLUDES: dict[tuple[str, str], str] = {
    ("candidates", "candidateStatus"): "§3.6, §5.3",
    ("vacancies", "locations"): "§3.6, §5.14",
    ("messageThreads", "messages"): "§3.6",
    ("nodes", "nodeActions"): "§3.6, §7.4",
}


def hidden(kind: str, rtype: str) -> frozenset[str]:
    """The attributes or relationships of a type that strict mode leaves out."""
    return _HIDDEN.get((kind, rtype), frozenset())


def _index() -> dict[tuple[str, str], frozenset[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for kind, rtype, name in INFERRED:
        found.setdefault((kind, rtype), set()).add(name)
    return {key: frozenset(names) for key, names in found.items()}


_HIDDEN = _index()


def is_strict(context: Any) -> bool:
    """Whether the sandbox state a transaction works for (`tx.context`) runs in strict mode."""
    return bool(getattr(getattr(context, "settings", None), "strict", False))


def prune(resource: dict) -> dict:
    """Drop, in place, what strict mode leaves out of a rendered resource object; return it."""
    for name in hidden(ATTRIBUTE, resource["type"]):
        resource["attributes"].pop(name, None)
    for name in hidden(RELATIONSHIP, resource["type"]):
        resource["relationships"].pop(name, None)
    return resource


def check_include(spec: Resource, include: list[str]) -> None:
    """Refuse an include §3.6 does not document with a 400 in the §3.7 shape (no `source`)."""
    for name in include:
        if (spec.type, name) not in DOCUMENTED_INCLUDES:
            raise ApiError(400, f"'{name}' cannot be included with {spec.type}: the API documents "
                                f"include only for {documented_includes_text()}")


def documented_includes_text() -> str:
    """The documented includes as `type.relationship` names, for error details."""
    return ", ".join(f"{rtype}.{name}" for rtype, name in DOCUMENTED_INCLUDES)
