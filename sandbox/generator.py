"""The deterministic flow generator (S29): a vacancy application graph from requirements, no AI."""

from __future__ import annotations

import re

from sandbox import changes
from sandbox.store import Tx, iso

TEXTS = {
    "en": {
        "welcome": "Hi{wave} Thanks for your interest in the {title} position. I have a few quick questions; "
                   "it takes about two minutes.",
        "field": "What is your {label}?",
        "knockout": "Quick check: {value}. Does that apply to you?",
        "preferred": "Nice to have: {value}. Does that apply to you?",
        "accepted": "Thank you{party} You meet our requirements for {title}. A recruiter will contact you "
                    "within two working days.",
        "declined": "Thank you for your time. This requirement is essential for the {title} role, so we cannot "
                    "continue your application. We wish you the best of luck!",
        "reminder": "Are you still there? Just reply to continue your application.",
        "yes": "yes", "no": "no",
    },
    "nl": {
        "welcome": "Hoi{wave} Leuk dat je interesse hebt in de functie {title}. Ik heb een paar korte vragen; "
                   "dat duurt ongeveer twee minuten.",
        "field": "Wat is je {label}?",
        "knockout": "Even checken: {value}. Klopt dat voor jou?",
        "preferred": "Mooi meegenomen: {value}. Klopt dat voor jou?",
        "accepted": "Bedankt{party} Je voldoet aan onze eisen voor {title}. Een recruiter neemt binnen twee "
                    "werkdagen contact met je op.",
        "declined": "Bedankt voor je tijd. Deze eis is onmisbaar voor de functie {title}, dus we kunnen je "
                    "sollicitatie helaas niet voortzetten. Veel succes!",
        "reminder": "Ben je er nog? Stuur een berichtje om verder te gaan met je sollicitatie.",
        "yes": "ja", "no": "nee",
    },
}
FIELD_LABELS = {"name": "full name", "first_name": "first name", "last_name": "last name", "email": "e-mail address",
                "phone": "phone number", "postal_code": "postal code", "city": "place of residence",
                "date_of_birth": "date of birth", "availability": "availability (when can you start?)"}
DEFAULT_FIELDS = ({"value": "name", "sessionField": "name"}, {"value": "email", "sessionField": "email"})


def snake_case(text: str) -> str:
    """A session field name made from free text: `Fluent in Dutch` → `fluent_in_dutch`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "answer"


def build_flow(tx: Tx, vacancy: dict, parameters: dict, generation_id: str | None, at: float | None = None) -> dict:
    """Create a published flow: a welcome, one ask per field and requirement, an accepted and a declined end."""
    language = parameters.get("language") if parameters.get("language") in TEXTS else "en"
    text = TEXTS[language]
    emojis = bool(parameters.get("useEmojis"))
    title = vacancy["title"]
    moment = tx.now if at is None else at
    flow = changes.create(tx, "flows", {
        "name": parameters.get("flowName") or f"{title}: application", "reminderInterval": 60,
        "reminderMessage": text["reminder"], "sessionTimeout": 1440, "vacancyId": vacancy["id"],
        "flowGenerationId": generation_id, "publishedAt": iso(moment), "unpublishedChanges": False}, at=at)
    steps: list[tuple[str, dict]] = [("Welcome", {"actionType": "say", "value": {
        "text": text["welcome"].format(wave="! 👋" if emojis else "!", title=title)}})]
    fields = parameters.get("requiredFields")
    for field in DEFAULT_FIELDS if fields is None else fields:
        label = FIELD_LABELS.get(field["sessionField"], field["value"])
        steps.append((f"Ask {field['value']}", {"actionType": "ask", "variableName": field["sessionField"],
                                                 "value": {"text": text["field"].format(label=label)}}))
    yes_no = {"options": [text["yes"], text["no"]]}
    knockouts = []
    for kind in ("knockout", "preferred"):
        for item in parameters.get(f"{kind}Requirements") or []:
            steps.append((f"{kind.capitalize()}: {item['value']}"[:80], {
                "actionType": "ask", "subType": "list", "variableName": item["sessionField"],
                "value": {"text": text[kind].format(value=item["value"]), **yes_no}}))
            if kind == "knockout":
                knockouts.append(len(steps) - 1)
    nodes = []
    for index, (name, action) in enumerate(steps):
        node = changes.create(tx, "nodes", {"name": name, "index": index, "flowId": flow["id"],
                                            "isStartFlow": index == 0, "isEndFlow": False}, at=at)
        changes.create(tx, "nodeActions", {"nodeId": node["id"], "index": 0, "subType": "text", **action}, at=at)
        nodes.append(node)
    ends = {}
    for offset, outcome in enumerate(("accepted", "declined")):
        words = text[outcome].format(party="! 🎉" if emojis else "!", title=title)
        node = changes.create(tx, "nodes", {"name": outcome.capitalize(), "index": len(steps) + offset,
                                            "flowId": flow["id"], "isStartFlow": False, "isEndFlow": True,
                                            "endFlowType": outcome}, at=at)
        changes.create(tx, "nodeActions", {"nodeId": node["id"], "actionType": "say", "subType": "text",
                                           "index": 0, "value": {"text": words}}, at=at)
        ends[outcome] = node
    for index, node in enumerate(nodes):
        following = nodes[index + 1] if index + 1 < len(nodes) else ends["accepted"]
        links = [(None, following)]
        if index in knockouts:
            field = steps[index][1]["variableName"]
            links.insert(0, (f'session.{field} === "{text["no"]}"', ends["declined"]))
        for order, (condition, target) in enumerate(links):
            changes.create(tx, "nodeTransitions", {"nodeId": node["id"], "exitNodeId": target["id"],
                                                   "condition": condition, "index": order}, at=at)
    return flow
