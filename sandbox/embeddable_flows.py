"""The BotStudio and GenerateFlow components' JSON endpoints: flows with their steps, and generations."""

from __future__ import annotations

from flask import Response, jsonify

from sandbox import changes
from sandbox.api import unit
from sandbox.embeddables import EmbedRefused, api_write, bp, current_user, existing, json_body
from sandbox.store import Tx

API = "/embeddables/api"


def flow_summary(tx: Tx, flow: dict) -> dict:
    """A flow as the BotStudio list shows it."""
    return {"id": flow["id"], "name": flow["name"], "generated": bool(flow.get("flowGenerationId")),
            "unpublishedChanges": bool(flow.get("unpublishedChanges")), "updatedAt": flow["updatedAt"],
            "steps": len(tx.all("nodes", flowId=flow["id"]))}


def step_view(tx: Tx, node: dict, names: dict[str, str]) -> dict:
    """A node with its actions and links in their `index` order (reference §7.1)."""
    actions = sorted(tx.all("nodeActions", nodeId=node["id"]), key=lambda a: a.get("index") or 0)
    links = sorted(tx.all("nodeTransitions", nodeId=node["id"]), key=lambda t: t.get("index") or 0)
    return {"id": node["id"], "name": node.get("name") or "Untitled step", "index": node.get("index") or 0,
            "isStartFlow": bool(node.get("isStartFlow")), "isEndFlow": bool(node.get("isEndFlow")),
            "endFlowType": node.get("endFlowType"),
            "actions": [{"id": a["id"], "actionType": a["actionType"], "subType": a.get("subType") or "text",
                         "text": (a.get("value") or {}).get("text") or "", "variableName": a.get("variableName"),
                         "options": (a.get("value") or {}).get("options")} for a in actions],
            "links": [{"id": t["id"], "condition": t.get("condition"), "exitNodeId": t["exitNodeId"],
                       "exitNodeName": names.get(t["exitNodeId"], "?")} for t in links]}


@bp.get(f"{API}/flows")
def flows() -> Response:
    """Every flow, the most recently changed first."""
    with unit(write=False) as tx:
        current_user(tx)
        summaries = [flow_summary(tx, flow) for flow in tx.all("flows")]
    summaries.sort(key=lambda flow: flow["updatedAt"], reverse=True)
    return jsonify(flows=summaries)


@bp.get(f"{API}/flows/<flow_id>")
def flow(flow_id: str) -> Response:
    """A flow's steps, the start step first, then by index."""
    with unit(write=False) as tx:
        current_user(tx)
        record = existing(tx, "flows", flow_id, "flow")
        nodes = tx.all("nodes", flowId=flow_id)
        names = {node["id"]: node.get("name") or "Untitled step" for node in nodes}
        nodes.sort(key=lambda node: (not node.get("isStartFlow"), bool(node.get("isEndFlow")), node.get("index") or 0))
        return jsonify(flow={**flow_summary(tx, record), "reminderMessage": record.get("reminderMessage"),
                             "steps": [step_view(tx, node, names) for node in nodes]})


@bp.post(f"{API}/node-actions/<action_id>")
def edit_action(action_id: str) -> Response:
    """Change what a step says or asks; the flow then has unpublished changes, as after an API edit."""
    text = json_body().get("text")
    if not isinstance(text, str) or not text.strip():
        raise EmbedRefused(400, "bad_request", "A message cannot be empty.")
    with unit() as tx:
        current_user(tx)
        action = tx.get("nodeActions", action_id)
        if action is None:
            raise EmbedRefused(404, "not_found", "This step no longer exists.")
        api_write(tx, "nodeActions", action, {"value": {**(action.get("value") or {}), "text": text.strip()}})
        node = tx.get("nodes", action["nodeId"])
    return jsonify(flowId=node["flowId"] if node else None)


def generation_view(tx: Tx, generation: dict) -> dict:
    """A generation with the name of the flow it made, if any."""
    created = tx.get("flows", generation["flowId"]) if generation.get("flowId") else None
    return {"id": generation["id"], "status": generation["status"], "flowId": generation.get("flowId"),
            "flowName": created["name"] if created else None, "error": generation.get("error"),
            "title": (generation.get("parameters") or {}).get("flowName"), "createdAt": generation["createdAt"]}


@bp.get(f"{API}/vacancies")
def vacancies() -> Response:
    """The vacancies a generation may start from (the `vacancyId` setting)."""
    with unit(write=False) as tx:
        current_user(tx)
        found = [{"id": v["id"], "title": v["title"]} for v in tx.all("vacancies") if changes.visible(v)]
    return jsonify(vacancies=found)


@bp.get(f"{API}/generations")
def generations() -> Response:
    """The eight most recent generations."""
    with unit(write=False) as tx:
        current_user(tx)
        views = [generation_view(tx, g) for g in tx.all("flowGenerations")]
    return jsonify(generations=views[::-1][:8])


@bp.get(f"{API}/generations/<generation_id>")
def generation(generation_id: str) -> Response:
    """One generation, polled by the wizard until it finishes or fails."""
    with unit(write=False) as tx:
        current_user(tx)
        record = tx.get("flowGenerations", generation_id)
        if record is None:
            raise EmbedRefused(404, "not_found", "This generation does not exist.")
        return jsonify(generation=generation_view(tx, record))


def requirements(value: object) -> list[dict]:
    """One requirement per non-blank line of a text area."""
    lines = value.splitlines() if isinstance(value, str) else []
    return [{"value": line.strip()} for line in lines if line.strip()]


@bp.post(f"{API}/generations")
def generate() -> Response:
    """Start a vacancy application flow generation from a vacancy, or from a title and vacancy text (S29, S40)."""
    body = json_body()
    parameters = {"knockoutRequirements": requirements(body.get("knockout")),
                  "preferredRequirements": requirements(body.get("preferred")),
                  "requiredFields": [{"value": "name", "sessionField": "name"},
                                     {"value": "email", "sessionField": "email"}]}
    title = body.get("title").strip() if isinstance(body.get("title"), str) else ""
    if title:
        parameters["flowName"] = title
    if body.get("vacancyId"):
        parameters["vacancyId"] = body["vacancyId"]
    text = body.get("text").strip() if isinstance(body.get("text"), str) else ""
    if not parameters.get("vacancyId") and not (title and text):
        raise EmbedRefused(400, "bad_request", "Give the vacancy a title and paste its text.")
    with unit() as tx:
        current_user(tx)
        record = api_write(tx, "flowGenerations", None, {"flowType": "vacancy_application_flow",
                                                         "parameters": parameters,
                                                         "context": f"{title}\n\n{text}" if text else None})
        return jsonify(generation=generation_view(tx, record)), 201
