"""FlowGenerations: validation of the vacancy application parameters (S29) and their lifecycle (S23)."""

from __future__ import annotations

import logging

from sandbox import changes, jobs
from sandbox.generator import build_flow, snake_case
from sandbox.hooks import hook
from sandbox.jsonapi import ApiError, invalid
from sandbox.store import Tx

log = logging.getLogger(__name__)
FLOW_TYPES = ("vacancy_application_flow",)
QUEUED_SECONDS, PROCESSING_SECONDS = 1.0, 5.0
COST = 10
FAIL_MARK = "SANDBOX_FAIL"


def context_text(context: object) -> str:
    """The vacancy text of a generation's `context` (a string, or an object with `text`)."""
    if isinstance(context, dict):
        context = context.get("text")
    return context.strip() if isinstance(context, str) else ""


def requirement_items(parameters: dict, key: str, required: bool) -> list[dict] | None:
    """The `{value, sessionField}` items of one parameter, with blank session fields named (S29)."""
    pointer = f"/data/attributes/parameters/{key}"
    if key not in parameters and not required:
        return None
    items = parameters.get(key)
    if not isinstance(items, list):
        raise ApiError(422, f"parameters.{key} must be an array", pointer=pointer)
    cleaned = []
    for index, item in enumerate(items):
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"parameters.{key}[{index}] needs a value", pointer=f"{pointer}/{index}/value")
        field = item.get("sessionField")
        if field is not None and not isinstance(field, str):
            raise ApiError(422, "sessionField must be a string", pointer=f"{pointer}/{index}/sessionField")
        cleaned.append({**item, "value": value.strip(), "sessionField": snake_case(field or value)})
    return cleaned


@hook("prepare", "flowGenerations")
def prepare_generation(tx: Tx, old: dict | None, attrs: dict) -> None:
    """Refuse a flow type or parameters the generator cannot use; complete the rest with defaults."""
    if attrs["flowType"] not in FLOW_TYPES:
        raise invalid("flowType", f"flowType must be one of {', '.join(FLOW_TYPES)}")
    parameters = dict(attrs["parameters"])
    for key, required in (("knockoutRequirements", True), ("preferredRequirements", True), ("requiredFields", False)):
        items = requirement_items(parameters, key, required)
        if items is not None:
            parameters[key] = items
    vacancy_id = parameters.get("vacancyId")
    if vacancy_id is not None and not changes.visible(tx.get("vacancies", vacancy_id)):
        raise ApiError(422, f"no vacancies with id {vacancy_id}", pointer="/data/attributes/parameters/vacancyId")
    if vacancy_id is None and not context_text(attrs.get("context")):
        raise invalid("context", "give parameters.vacancyId or a non-empty context")
    checks = (("language", str, "en"), ("useEmojis", bool, False), ("flowName", str, None))
    for key, kind, default in checks:
        value = parameters.get(key, default)
        if value is not None and not isinstance(value, kind):
            raise ApiError(422, f"parameters.{key} has the wrong type", pointer=f"/data/attributes/parameters/{key}")
        parameters[key] = value
    attrs.update(parameters=parameters, status="queued", cost=0, flowId=None, error=None)


@hook("after", "flowGenerations")
def queue_generation(tx: Tx, old: dict | None, generation: dict) -> None:
    """A new generation waits about a second before processing (S23)."""
    jobs.schedule(tx, "generation.step", generation["id"], QUEUED_SECONDS)


def begin_processing(tx: Tx, rtype: str, record: dict, kind: str, seconds: float) -> bool:
    """Move a queued generation or analysis to `processing` and schedule its last step; False if not queued."""
    if record["status"] != "queued":
        return False
    changes.update(tx, rtype, record, {"status": "processing"})
    jobs.schedule(tx, kind, record["id"], seconds)
    return True


def step(tx: Tx, generation: dict) -> None:
    """queued → processing, then processing → finished with a new flow, or exception with an error."""
    if begin_processing(tx, "flowGenerations", generation, "generation.step", PROCESSING_SECONDS):
        return
    if generation["status"] != "processing":
        return
    parameters = generation["parameters"]
    text = context_text(generation.get("context"))
    if parameters.get("vacancyId"):
        vacancy = tx.get("vacancies", parameters["vacancyId"])
        if not changes.visible(vacancy):
            return fail(tx, generation, "the vacancy no longer exists")
        text = vacancy["description"]
    if FAIL_MARK in text:
        return fail(tx, generation, "the generator could not make a flow from this vacancy text")
    if not parameters.get("vacancyId"):
        vacancy = changes.create(tx, "vacancies", {
            "title": (parameters.get("flowName") or text.splitlines()[0])[:80].strip() or "Vacancy",
            "description": text, "url": None, "externalId": None, "deletedAt": None})
    flow = build_flow(tx, vacancy, parameters, generation["id"])
    changes.update(tx, "flowGenerations", generation, {"status": "finished", "flowId": flow["id"], "cost": COST})
    log.info("flow generation %s finished: flow %s", generation["id"], flow["id"])


def fail(tx: Tx, generation: dict, error: str) -> None:
    """End a generation in `exception` with a readable error (S23)."""
    changes.update(tx, "flowGenerations", generation,
                   {"status": "exception", "error": error, "flowId": None, "cost": 0})
    log.info("flow generation %s failed: %s", generation["id"], error)
