"""Builders of small flows and threads through a sandbox's API (tests/support/sandboxes.Api), for the engine's tests."""

from __future__ import annotations

import uuid

from tests.support.sandboxes import Api


def build_licence_flow(api: Api, session_timeout: int = 60, reminder_interval: int = 0) -> dict:
    """A flow asking name, age and a yes/no licence question; `no` leads to the declined end."""
    flow = api.create("flows", "/flows", {"name": f"Licence check {uuid.uuid4().hex[:6]}",
                                          "reminderInterval": reminder_interval,
                                          "reminderMessage": "Still there?", "sessionTimeout": session_timeout})

    def node(**attributes: object) -> dict:
        return api.create("nodes", "/nodes", {"flowId": flow["id"], **attributes})

    def action(node_id: str, **attributes: object) -> None:
        api.create("nodeActions", "/node-actions", {"nodeId": node_id, **attributes})

    def link(source: dict, target: dict, condition: str | None = None) -> None:
        api.create("nodeTransitions", "/node-transitions", {"nodeId": source["id"], "exitNodeId": target["id"],
                                                            "condition": condition})

    start = node(name="Welcome", isStartFlow=True)
    action(start["id"], actionType="say", value={"text": "Hi! A few questions."})
    action(start["id"], actionType="ask", variableName="name", value={"text": "What is your name?"})
    age = node(name="Age")
    action(age["id"], actionType="ask", variableName="age", value={"text": "How old are you?"})
    licence = node(name="Licence")
    action(licence["id"], actionType="ask", subType="list", variableName="licence",
           value={"text": "Do you have a driving licence?", "options": ["yes", "no"]})
    accepted = node(name="Accepted", isEndFlow=True, endFlowType="accepted")
    action(accepted["id"], actionType="say", value={"text": "Great, we will call you."})
    declined = node(name="Declined", isEndFlow=True, endFlowType="declined")
    action(declined["id"], actionType="say", value={"text": "Sorry, a licence is required."})
    link(start, age)
    link(age, licence, "session.age >= 18")
    link(licence, declined, 'session.licence === "no"')
    link(licence, accepted)
    return flow


def new_thread(api: Api, simulated: bool = True, channel: str = "sms") -> dict:
    """A thread linked to a new candidate; `simulated=False` leaves the answering to the test."""
    phone = "316" + str(uuid.uuid4().int)[:8]
    candidate = api.create("candidates", "/candidates", {"firstName": "Noor", "lastName": "Hendriks",
                                                         "phone": phone})
    return api.create("messageThreads", "/message-threads", {"channel": channel, "identifier": phone,
                                                             "candidateId": candidate["id"],
                                                             "simulatedCandidate": simulated})


def thread_texts(api: Api, thread_id: str, origin: str | None = None) -> list[str]:
    """The texts of a thread's messages, oldest first."""
    rows = api.all(f"/messages?filter[messageThreadId]={thread_id}&sort=createdAt")
    return [m["attributes"]["payload"].get("text", {}).get("value") for m in rows
            if origin is None or m["attributes"]["origin"] == origin]


def reply(api: Api, thread_id: str, text: str) -> None:
    """Write to a thread as the candidate."""
    api.create("messages", "/messages", {"sendBy": "Noor Hendriks", "messageThreadId": thread_id,
                                         "origin": "inbound", "payload": {"type": "text", "text": {"value": text}}})
