"""Rules of flows and their graphs: nodes, actions and transitions (S17–S19, S28)."""

from __future__ import annotations

from sandbox import changes
from sandbox.conditions import ConditionError, parse
from sandbox.hooks import hook
from sandbox.jsonapi import ApiError, invalid
from sandbox.schema import ACTIVE_RUN
from sandbox.store import Tx

END_TYPES = ("accepted", "declined", "update", "reset")
ACTION_TYPES = ("ask", "say")
SUB_TYPES = ("text", "contact", "location", "list", "appointment", "image", "video", "audio", "document",
             "set-variable")


def next_index(records: list[dict]) -> int:
    """The index after the highest one in use."""
    return max((r.get("index") or 0 for r in records), default=-1) + 1


def mark_changed(tx: Tx, flow_id: str | None) -> None:
    """A graph edit leaves the flow with unpublished changes (S17)."""
    flow = tx.get("flows", flow_id) if flow_id else None
    if flow is not None:
        changes.update(tx, "flows", flow, {"unpublishedChanges": True})


def flow_of_node(tx: Tx, node_id: str | None) -> str | None:
    """The flow id a node belongs to."""
    node = tx.get("nodes", node_id) if node_id else None
    return node["flowId"] if node else None


@hook("prepare", "flows")
def prepare_flow(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A name, non-negative timers and a known vacancy."""
    if "name" in attrs and not attrs["name"].strip():
        raise invalid("name", "name cannot be blank")
    for name in ("reminderInterval", "sessionTimeout"):
        if attrs.get(name) is not None and attrs[name] < 0:
            raise invalid(name, f"{name} cannot be negative")
    if attrs.get("vacancyId") is not None and not changes.visible(tx.get("vacancies", attrs["vacancyId"])):
        raise invalid("vacancyId", f"no vacancies with id {attrs['vacancyId']}")
    if old is None:
        attrs.update(unpublishedChanges=False, publishedAt=None, flowGenerationId=None)


@hook("before_delete", "flows")
def refuse_busy_flow(tx: Tx, flow: dict) -> None:
    """A flow with a queued or running run stays (S17)."""
    if any(run["status"] in ACTIVE_RUN for run in tx.all("flowRuns", flowId=flow["id"])):
        raise ApiError(422, "this flow has a queued or running flow run; cancel it first")


@hook("after_delete", "flows")
def delete_graph(tx: Tx, flow: dict) -> None:
    """Deleting a flow deletes its nodes, actions and transitions."""
    for node in tx.all("nodes", flowId=flow["id"]):
        changes.delete(tx, "nodes", node)
        delete_node_parts(tx, node, mark=False)


@hook("prepare", "nodes")
def prepare_node(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A known flow, an index, and an end type wherever the node ends the flow (S18)."""
    if old is None:
        if tx.get("flows", attrs["flowId"]) is None:
            raise invalid("flowId", f"no flows with id {attrs['flowId']}")
        siblings = tx.all("nodes", flowId=attrs["flowId"])
        attrs.setdefault("index", None)
        if attrs["index"] is None:
            attrs["index"] = next_index(siblings)
        if not attrs.get("name"):
            attrs["name"] = f"Step {len(siblings) + 1}"
    merged = {**(old or {}), **attrs}
    if merged.get("endFlowType") is not None and merged["endFlowType"] not in END_TYPES:
        raise invalid("endFlowType", f"endFlowType must be one of {', '.join(END_TYPES)}")
    if merged.get("isEndFlow") and merged.get("endFlowType") is None:
        raise invalid("endFlowType", "an end node needs an endFlowType")


@hook("after", "nodes")
def single_start(tx: Tx, old: dict | None, node: dict) -> None:
    """A new start node takes over from the old one (S18)."""
    if node.get("isStartFlow") and not (old or {}).get("isStartFlow"):
        for other in tx.all("nodes", flowId=node["flowId"]):
            if other["id"] != node["id"] and other.get("isStartFlow"):
                changes.update(tx, "nodes", other, {"isStartFlow": False})
    mark_changed(tx, node["flowId"])


@hook("after_delete", "nodes")
def delete_node_parts(tx: Tx, node: dict, mark: bool = True) -> None:
    """A deleted node takes its actions and every transition from or to it along (S18)."""
    for action in tx.all("nodeActions", nodeId=node["id"]):
        changes.delete(tx, "nodeActions", action)
    links = tx.all("nodeTransitions", nodeId=node["id"]) + tx.all("nodeTransitions", exitNodeId=node["id"])
    for link in {link["id"]: link for link in links}.values():
        changes.delete(tx, "nodeTransitions", link)
    if mark:
        mark_changed(tx, node["flowId"])


@hook("prepare", "nodeActions")
def prepare_action(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A known node, a known type and subtype, a variable for `ask` (S19)."""
    if old is None:
        if tx.get("nodes", attrs["nodeId"]) is None:
            raise invalid("nodeId", f"no nodes with id {attrs['nodeId']}")
        if attrs.get("index") is None:
            attrs["index"] = next_index(tx.all("nodeActions", nodeId=attrs["nodeId"]))
    merged = {"subType": "text", "value": {}, **(old or {}), **attrs}
    if merged["actionType"] not in ACTION_TYPES:
        raise invalid("actionType", "actionType must be ask or say")
    if (merged["subType"] or "text") not in SUB_TYPES:
        raise invalid("subType", f"subType must be one of {', '.join(SUB_TYPES)}")
    needs_variable = merged["actionType"] == "ask" or merged["subType"] == "set-variable"
    if needs_variable and not (merged.get("variableName") or "").strip():
        raise invalid("variableName", "an ask or set-variable action needs a variableName")
    value = merged["value"] or {}
    if "text" in value and not isinstance(value["text"], str):
        raise ApiError(422, "value.text must be a string", pointer="/data/attributes/value/text")
    if merged["subType"] == "list" and not isinstance(value.get("options"), list):
        raise ApiError(422, "a list action needs value.options", pointer="/data/attributes/value/options")


@hook("after", "nodeActions", "nodeTransitions")
def action_changed(tx: Tx, old: dict | None, record: dict) -> None:
    """Any edit of an action or transition is a graph edit."""
    mark_changed(tx, flow_of_node(tx, record["nodeId"]))


@hook("after_delete", "nodeActions", "nodeTransitions")
def part_deleted(tx: Tx, record: dict) -> None:
    """Deleting an action or transition is a graph edit."""
    mark_changed(tx, flow_of_node(tx, record["nodeId"]))


@hook("prepare", "nodeTransitions")
def prepare_transition(tx: Tx, old: dict | None, attrs: dict) -> None:
    """Both ends in one flow and a readable condition (S28)."""
    merged = {**(old or {}), **attrs}
    source = tx.get("nodes", merged["nodeId"])
    if source is None:
        raise invalid("nodeId", f"no nodes with id {merged['nodeId']}")
    target = tx.get("nodes", merged["exitNodeId"])
    if target is None or target["flowId"] != source["flowId"]:
        raise invalid("exitNodeId", "exitNodeId must name a node of the same flow")
    if merged.get("condition") is not None and merged["condition"].strip():
        try:
            parse(merged["condition"])
        except ConditionError as exc:
            raise invalid("condition", f"condition cannot be parsed: {exc}") from None
    if old is None and attrs.get("index") is None:
        attrs["index"] = next_index(tx.all("nodeTransitions", nodeId=merged["nodeId"]))
