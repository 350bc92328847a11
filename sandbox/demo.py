"""Demo data: realistic, consistent recruiting activity for a new sandbox (SANDBOX_SEED=demo)."""

from __future__ import annotations

import math
import random
import time

from sandbox import changes
from sandbox.analysis import analyze
from sandbox.demo_flows import build_interview_flow, build_screening_flow
from sandbox.demo_texts import (
    CANDIDATE_LINES,
    DRIVER_PARAMETERS,
    FIRST_NAMES,
    LAST_NAMES,
    POSTAL_CODES,
    RECRUITER_LINES,
    TEMPLATES,
    USERS,
    VACANCIES,
    WAREHOUSE_PARAMETERS,
)
from sandbox.generator import build_flow
from sandbox.messaging import BOT_NAME, text_payload
from sandbox.simulator import answer, opener, signature
from sandbox.store import Tx, epoch, iso
from sandbox.walk import START_DELAY, action_text, canonical_answer, choose_exit, ordered_actions, schedule_run

CANDIDATES = 50
# (flow key, outcome, scripted answers): outcome "silent@N" stops answering after N answers (timeout),
# "cancel@N" is cancelled by a recruiter after N answers, "window" is free text outside WhatsApp's window.
SCENARIOS = (
    ("warehouse", "finished", {}), ("warehouse", "finished", {"dutch_fluency": "no"}),
    ("screening", "finished", {}), ("screening", "finished", {"age": "16"}), ("driver", "finished", {}),
    ("warehouse", "silent@3", {}), ("interview", "finished", {}), (None, "chat", {}),
    ("driver", "finished", {"driving_licence_b": "no"}), ("warehouse", "finished", {"forklift_certificate": "no"}),
    ("screening", "silent@1", {}), ("warehouse", "window", {}), ("warehouse", "cancel@2", {}), (None, "chat", {}),
)
LIVE = 2  # the newest candidates get queued runs that the engine plays out once it starts


def populate(tx: Tx, start: float) -> None:
    """Add users, vacancies, analyses, templates, flows, generations, candidates, threads, messages and runs."""
    rng = random.Random(4)
    users = [changes.create(tx, "users", {
        "firstName": first, "lastName": last, "fullName": f"{first} {last}", "email": email, "phone": phone,
        "timeZone": "Europe/Amsterdam", "externalId": f"acme-{n + 1}", "organizationId": tx.org},
        at=start + n * 3600) for n, (first, last, email, phone) in enumerate(USERS)]
    vacancies = [changes.create(tx, "vacancies", {"title": title, "url": url, "description": text,
                                                  "externalId": f"V-{100 + n}", "deletedAt": None},
                                at=start + 4 * 3600 + n * 600) for n, (title, url, text) in enumerate(VACANCIES)]
    for n, vacancy in enumerate(vacancies[:3:2]):
        analysis = changes.create(tx, "vacancyAnalyses", {"inputText": vacancy["description"], "status": "finished",
                                                          "analyzeResult": analyze(vacancy["description"]),
                                                          "error": None}, at=start + 5 * 3600 + n * 60)
        restamp(tx, "vacancyAnalyses", analysis, start + 5 * 3600 + n * 60 + 4)
    for n, (name, language, category, components) in enumerate(TEMPLATES):
        body = next(c["text"] for c in components if c["type"] == "BODY")
        changes.create(tx, "messageTemplates", {"name": name, "language": language, "category": category,
                                                "status": "APPROVED", "preview": body, "components": components},
                       at=start + 6 * 3600 + n * 60)
    flows = {"warehouse": generated_flow(tx, vacancies[0], WAREHOUSE_PARAMETERS, start + 86400),
             "driver": generated_flow(tx, vacancies[1], DRIVER_PARAMETERS, start + 2 * 86400),
             "screening": build_screening_flow(tx, start + 3 * 86400),
             "interview": build_interview_flow(tx, start + 3 * 86400 + 3600)}
    failed = changes.create(tx, "flowGenerations", {
        "flowType": "vacancy_application_flow", "context": None, "status": "exception", "cost": 0, "flowId": None,
        "parameters": {"vacancyId": vacancies[3]["id"], "knockoutRequirements": [], "preferredRequirements": [],
                       "language": "nl", "useEmojis": False, "flowName": None},
        "error": "the generator could not make a flow from this vacancy text"}, at=start + 4 * 86400)
    restamp(tx, "flowGenerations", failed, start + 4 * 86400 + 6)
    template = tx.all("messageTemplates", name="application_follow_up")[0]
    statuses = {s["name"]: s["id"] for s in tx.all("candidateStatuses")}
    now = time.time()
    for index in range(CANDIDATES):
        at = now - ((CANDIDATES - index) ** 1.6) * 1800  # denser towards today, like real traffic
        person = make_candidate(tx, index, users, statuses, rng, at)
        thread = make_thread(tx, index, person, at + 60)
        if index >= CANDIDATES - LIVE:
            flow = flows["screening" if index % 2 else "warehouse"]
            run = changes.create(tx, "flowRuns", {
                "flowId": flow["id"], "messageThreadId": thread["id"], "state": {}, "initialMessage": {},
                "status": "queued", "cost": 0, "_rt": {"phase": "queued", "initial": {}, "wait": 0}}, at=now)
            schedule_run(tx, "run.start", run["id"], START_DELAY * 5)
            continue
        key, outcome, script = SCENARIOS[index % len(SCENARIOS)]
        if key is None or (outcome == "window" and thread["channel"] != "whatsapp"):
            chat(tx, thread, person, users[index % 3], rng, at + 120)
        else:
            play(tx, flows[key], thread, person, outcome, script, template, rng, at + 300)
        pull_back(tx, person, thread, now)


def pull_back(tx: Tx, person: dict, thread: dict, now: float) -> None:
    """Move a candidate's whole history back when it ends after `now` (a timed-out run ends a session timeout
    after the last answer): nothing seeded may lie ahead of the clock."""
    records = [("candidates", person["id"]), ("messageThreads", thread["id"])]
    records += [(rtype, record["id"]) for rtype in ("conversations", "flowRuns", "messages")
                for record in tx.all(rtype, messageThreadId=thread["id"])]
    stored = [(rtype, tx.get(rtype, rid)) for rtype, rid in records]
    late = max(epoch(record[name]) for _, record in stored for name in ("createdAt", "updatedAt")) - now
    if late <= 0:
        return
    shift = math.ceil(late)  # whole seconds, like the stamps
    for rtype, record in stored:
        tx.replace(rtype, {**record, "createdAt": iso(epoch(record["createdAt"]) - shift),
                           "updatedAt": iso(epoch(record["updatedAt"]) - shift)})


def restamp(tx: Tx, rtype: str, record: dict, at: float) -> dict:
    """Give a seeded record a later `updatedAt`, as if it changed after creation."""
    record = {**record, "updatedAt": iso(at)}
    tx.replace(rtype, record)
    return record


def generated_flow(tx: Tx, vacancy: dict, parameters: dict, at: float) -> dict:
    """A finished FlowGeneration with the flow the generator made for it."""
    generation = changes.create(tx, "flowGenerations", {
        "flowType": "vacancy_application_flow", "context": None, "status": "finished", "cost": 10, "error": None,
        "parameters": {**parameters, "vacancyId": vacancy["id"]}}, at=at)
    flow = build_flow(tx, vacancy, parameters, generation["id"], at=at + 6)
    restamp(tx, "flowGenerations", {**generation, "flowId": flow["id"]}, at + 6)
    return flow


def make_candidate(tx: Tx, index: int, users: list, statuses: dict, rng: random.Random, at: float) -> dict:
    """The index-th demo candidate, new and assigned to a recruiter."""
    first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    mail_name = f"{first}.{last}".lower().replace(" ", "").replace("ë", "e").replace("é", "e").replace("ã", "a")
    return changes.create(tx, "candidates", {
        "firstName": first, "lastName": last, "email": f"{mail_name}@example.com",
        "phone": f"316{20000000 + index * 7919:08d}", "postalCode": rng.choice(POSTAL_CODES),
        "candidateStatusId": statuses["New"], "userId": users[0 if index % 4 else 1]["id"],
        "organizationId": tx.org, "deletedAt": None}, at=at)


def make_thread(tx: Tx, index: int, person: dict, at: float) -> dict:
    """A candidate's thread (WhatsApp, or Messenger for every third-ish one) with its conversation."""
    messenger = index % 10 in (3, 6, 9)
    thread = changes.create(tx, "messageThreads", {
        "channel": "facebook-messenger" if messenger else "whatsapp",
        "identifier": f"{6100000000000000 + index * 104729}" if messenger else person["phone"],
        "chatbotPaused": False, "candidateId": person["id"], "simulatedCandidate": True}, at=at)
    changes.create(tx, "conversations", {"status": "open", "unreadMessages": False, "unreadMessagesCount": 0,
                                         "messageThreadId": thread["id"], "candidateId": person["id"]}, at=at)
    return thread


def post(tx: Tx, thread: dict, origin: str, payload: dict, send_by: str, at: float) -> None:
    """A message of the history, already delivered (and read, for outbound ones)."""
    changes.create(tx, "messages", {"sendBy": send_by, "origin": origin, "messageThreadId": thread["id"],
                                    "payload": payload, "errorMessages": [],
                                    "deliveryStatus": "read" if origin == "outbound" else "delivered"}, at=at)


def chat(tx: Tx, thread: dict, person: dict, user: dict, rng: random.Random, at: float) -> None:
    """A short exchange between a recruiter and the candidate."""
    for turn in range(rng.randint(1, 2)):
        post(tx, thread, "outbound", text_payload(rng.choice(RECRUITER_LINES).format(first=person["firstName"])),
             user["fullName"], at + turn * 900)
        post(tx, thread, "inbound", text_payload(rng.choice(CANDIDATE_LINES)), signature(person), at + turn * 900 + 300)
    settle_conversation(tx, thread, at + 1200, person)


def settle_conversation(tx: Tx, thread: dict, last_at: float, person: dict) -> None:
    """Recent inbound messages leave the conversation unread; older ones are read and closed."""
    conversation = tx.all("conversations", messageThreadId=thread["id"])[0]
    recent = time.time() - last_at < 2 * 86400
    latest = tx.all("messages", messageThreadId=thread["id"])[-2:]
    unread = len([m for m in latest if m["origin"] == "inbound"]) if recent else 0
    restamp(tx, "conversations", {**conversation, "unreadMessages": unread > 0, "unreadMessagesCount": unread,
                                  "status": "open" if recent else "closed"}, last_at)


def play(tx: Tx, flow: dict, thread: dict, person: dict, outcome: str, script: dict, template: dict,
         rng: random.Random, at: float) -> None:
    """A past run of a flow, walked like the engine walks it, with its messages, state, cost and status."""
    whatsapp = thread["channel"] == "whatsapp"
    initial = {"type": "template", "template": {"id": template["id"], "components": [
        {"type": "body", "parameters": [{"type": "text", "text": person["firstName"]},
                                        {"type": "text", "text": "us"}]}]}}
    if outcome == "window":
        initial = text_payload(f"Hi {person['firstName']}, are you still looking for work?")
    elif not whatsapp:
        initial = {}
    run = changes.create(tx, "flowRuns", {"flowId": flow["id"], "messageThreadId": thread["id"], "state": {},
                                          "initialMessage": initial, "status": "queued", "cost": 0,
                                          "_rt": {"phase": "done", "initial": {}, "wait": 0}}, at=at)
    if outcome == "window":
        restamp(tx, "flowRuns", {**run, "status": "exception"}, at + 1)
        return
    limit = int(outcome.split("@")[1]) if "@" in outcome else None
    clock, cost, state = at + 2, 0, {}
    if initial:
        post(tx, thread, "outbound", initial, BOT_NAME, clock)
        cost += 1
    clock += rng.randint(120, 3600)
    post(tx, thread, "inbound", text_payload(opener(rng)), signature(person), clock)
    node_id, answers = next(n for n in tx.all("nodes", flowId=flow["id"]) if n["isStartFlow"])["id"], 0
    status = "finished"
    while node_id:
        node = tx.get("nodes", node_id)
        for action in ordered_actions(tx, node_id):
            if action["subType"] == "set-variable":
                state[action["variableName"]] = action["value"].get("value")
                continue
            clock += rng.randint(2, 6)
            post(tx, thread, "outbound", text_payload(action_text(action)), BOT_NAME, clock)
            cost += 1
            if action["actionType"] != "ask":
                continue
            if limit is not None and answers >= limit:
                status, node_id = ("timeout" if outcome.startswith("silent") else "cancelled"), None
                break
            clock += rng.randint(20, 240)
            reply = script.get(action["variableName"]) or answer(action, person, thread, rng)
            post(tx, thread, "inbound", text_payload(reply), signature(person), clock)
            state[action["variableName"]] = canonical_answer(action, reply)
            answers += 1
        if node_id is None or node["isEndFlow"]:
            break
        node_id = choose_exit(tx, node_id, state)
    if status == "timeout":
        clock += (flow["sessionTimeout"] or 60) * 60
    restamp(tx, "flowRuns", {**run, "status": status, "state": state, "cost": cost}, clock + 1)
    outcome_status = {"accepted": "Screening", "declined": "Rejected", "update": "Interview planned"}
    name = outcome_status.get(node["endFlowType"], "Contacted") if status == "finished" else "Contacted"
    statuses = {s["name"]: s["id"] for s in tx.all("candidateStatuses")}
    restamp(tx, "candidates", {**person, "candidateStatusId": statuses[name]}, clock + 5)
    settle_conversation(tx, thread, clock, person)
