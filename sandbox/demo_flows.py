"""The two hand-built demo flows: a quick screening with an age check and an interview booking."""

from __future__ import annotations

from sandbox import changes
from sandbox.store import Tx, iso


def _builder(tx: Tx, at: float, attributes: dict):
    flow = changes.create(tx, "flows", {**attributes, "flowGenerationId": None, "publishedAt": iso(at + 600),
                                        "unpublishedChanges": False}, at=at)
    counter = {"node": 0}

    def node(name: str, actions: list[dict], start: bool = False, end: str | None = None) -> dict:
        created = changes.create(tx, "nodes", {"name": name, "index": counter["node"], "flowId": flow["id"],
                                               "isStartFlow": start, "isEndFlow": end is not None,
                                               "endFlowType": end}, at=at + 1)
        counter["node"] += 1
        for index, action in enumerate(actions):
            changes.create(tx, "nodeActions", {"nodeId": created["id"], "index": index, "subType": "text",
                                               "variableName": None, "attachmentData": None, **action}, at=at + 2)
        return created

    def link(source: dict, target: dict, condition: str | None, index: int) -> None:
        changes.create(tx, "nodeTransitions", {"nodeId": source["id"], "exitNodeId": target["id"],
                                               "condition": condition, "index": index}, at=at + 3)
    return flow, node, link


def say(text: str) -> dict:
    """A `say` action."""
    return {"actionType": "say", "value": {"text": text}}


def ask(variable: str, text: str, options: list[str] | None = None) -> dict:
    """An `ask` action, a list question when options are given."""
    if options:
        return {"actionType": "ask", "subType": "list", "variableName": variable,
                "value": {"text": text, "options": options}}
    return {"actionType": "ask", "variableName": variable, "value": {"text": text}}


def build_screening_flow(tx: Tx, at: float) -> dict:
    """Quick screening: name, age (under 18 is declined), hours, start date and the kind of work."""
    flow, node, link = _builder(tx, at, {
        "name": "Quick screening", "reminderInterval": 30, "sessionTimeout": 720, "vacancyId": None,
        "reminderMessage": "Hi again! Shall we finish your screening? It takes a minute."})
    welcome = node("Welcome", [say("Hi! I'm the Acme recruiting assistant. A few quick questions and we'll match "
                                   "you with a job."), ask("first_name", "What's your first name?")], start=True)
    age = node("Age", [ask("age", "How old are you?")])
    hours = node("Hours", [ask("hours", "How many hours a week would you like to work?",
                               ["16-24 hours", "24-32 hours", "32-40 hours"])])
    availability = node("Start date", [ask("availability", "When could you start?")])
    work = node("Kind of work", [ask("job_type", "What kind of work are you looking for?",
                                     ["Warehouse", "Driving", "Customer service", "Kitchen"]),
                                 {"actionType": "say", "subType": "set-variable", "variableName": "screened",
                                  "value": {"value": "yes"}}])
    matched = node("Matched", [say("Thanks! A recruiter will send you matching vacancies today.")], end="accepted")
    too_young = node("Too young", [say("Thanks for your interest! Our jobs are for 18 and older, so we cannot "
                                       "continue right now.")], end="declined")
    link(welcome, age, None, 0)
    link(age, too_young, "session.age < 18", 0)
    link(age, hours, None, 1)
    link(hours, availability, None, 0)
    link(availability, work, None, 0)
    link(work, matched, 'session.screened === "yes"', 0)
    return flow


def build_interview_flow(tx: Tx, at: float) -> dict:
    """Interview scheduling: pick a day and a time, confirm, or start over; ends by updating the candidate."""
    flow, node, link = _builder(tx, at, {"name": "Interview scheduling", "reminderInterval": 120,
                                         "reminderMessage": "Just checking: which day suits you for the interview?",
                                         "sessionTimeout": 2880, "vacancyId": None})
    day = node("Day", [say("Good news: the team would like to meet you!"),
                       ask("interview_day", "Which day suits you?", ["Monday", "Wednesday", "Friday"])], start=True)
    slot = node("Time", [ask("interview_time", "And what time?", ["09:00", "11:00", "14:00"])])
    confirm = node("Confirm", [ask("confirmed", "Shall I book that slot for you?", ["yes", "no"])])
    booked = node("Booked", [say("Booked! You will receive a calendar invitation by e-mail.")], end="update")
    link(day, slot, None, 0)
    link(slot, confirm, None, 0)
    link(confirm, day, 'session.confirmed === "no"', 0)
    link(confirm, booked, None, 1)
    return flow
