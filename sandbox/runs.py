"""FlowRuns: API rules (S22) and the runtime that walks a flow's graph (§7.2, S27)."""

from __future__ import annotations

import copy
import logging
import random

from sandbox import changes, jobs, messaging, simulator
from sandbox.conditions import ConditionError, holds
from sandbox.hooks import hook
from sandbox.jsonapi import invalid
from sandbox.schema import ACTIVE_RUN
from sandbox.store import Tx

log = logging.getLogger(__name__)
SETTABLE_STATUSES = ("finished", "timeout", "cancelled", "exception")
START_DELAY = 1.0
SIMULATOR_DELAY = (2.0, 5.0)
MAX_STEPS = 200  # nodes entered without waiting for the candidate before the run counts as looping


@hook("prepare", "flowRuns")
def prepare_run(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A known flow and thread without another active run; status changes only end active runs."""
    if old is None:
        if tx.get("flows", attrs["flowId"]) is None:
            raise invalid("flowId", f"no flows with id {attrs['flowId']}")
        if tx.get("messageThreads", attrs["messageThreadId"]) is None:
            raise invalid("messageThreadId", f"no messageThreads with id {attrs['messageThreadId']}")
        if any(r["status"] in ACTIVE_RUN for r in tx.all("flowRuns", messageThreadId=attrs["messageThreadId"])):
            raise invalid("messageThreadId", "this thread already has a queued or running flow run")
        if attrs.get("initialMessage"):
            attrs["initialMessage"] = messaging.normalize_payload(tx, attrs["initialMessage"], "initialMessage")
        state = attrs.get("state") or {}
        attrs.update(state=state, initialMessage=attrs.get("initialMessage") or {}, status="queued", cost=0,
                     _rt={"phase": "queued", "initial": copy.deepcopy(state), "wait": 0})
        return
    if "status" in attrs and attrs["status"] != old["status"]:
        if old["status"] not in ACTIVE_RUN:
            raise invalid("status", f"a {old['status']} run cannot change its status")
        if attrs["status"] not in SETTABLE_STATUSES:
            raise invalid("status", f"status can be set to {', '.join(SETTABLE_STATUSES)}")
    if "state" in attrs and attrs.get("status", old["status"]) == "running":
        raise invalid("state", "state cannot change while the run is running")


@hook("after", "flowRuns")
def after_run(tx: Tx, old: dict | None, run: dict) -> None:
    """A new run starts after a moment (S22)."""
    if old is None:
        jobs.enqueue(tx, "engine", "run.start", run["id"], tx.context.settings.scaled(START_DELAY),
                     lane=f"run:{run['id']}")


def on_inbound(tx: Tx, message: dict) -> None:
    """Hand a candidate's message to the thread's running run, unless the bot is paused (S27)."""
    thread = tx.get("messageThreads", message["messageThreadId"])
    if thread is None or thread.get("chatbotPaused"):
        return
    for run in tx.all("flowRuns", messageThreadId=thread["id"]):
        if run["status"] == "running":
            jobs.enqueue(tx, "engine", "run.input", run["id"], payload={"messageId": message["id"]},
                         lane=f"run:{run['id']}")


class Walk:
    """One engine step of a run: reads the graph, sends messages, and saves the run once at the end."""

    def __init__(self, tx: Tx, run: dict) -> None:
        self.tx, self.run = tx, run
        self.state = copy.deepcopy(run["state"])
        self.rt = copy.deepcopy(run["_rt"])
        self.cost = run["cost"]
        self.status = run["status"]
        self.thread = tx.get("messageThreads", run["messageThreadId"])
        self.flow = tx.get("flows", run["flowId"])
        self.settings = tx.context.settings
        self.rng = random.Random()

    def save(self) -> dict:
        """Store the run's new state, cost, status and position."""
        self.run = changes.update(self.tx, "flowRuns", self.run, {
            "state": self.state, "cost": self.cost, "status": self.status, "_rt": self.rt})
        return self.run

    def later(self, kind: str, delay: float, **payload) -> None:
        jobs.enqueue(self.tx, "engine", kind, self.run["id"], self.settings.scaled(delay), payload,
                     lane=f"run:{self.run['id']}")

    def end(self, status: str, reason: str = "") -> dict:
        self.status, self.rt["phase"] = status, "done"
        log.info("flow run %s %s%s", self.run["id"], status, f": {reason}" if reason else "")
        return self.save()

    def say(self, payload: dict) -> None:
        messaging.send(self.tx, self.thread, payload)
        self.cost += 1

    def touch(self) -> None:
        """Candidate activity (or the start) restarts the session timeout."""
        self.rt["activity"] = self.tx.now
        timeout = self.flow.get("sessionTimeout") if self.flow else None
        if timeout:
            self.later("run.timeout", timeout * 60, activity=self.tx.now)

    def wait(self, phase: str) -> dict:
        """Wait for the candidate; the simulator and the reminder are scheduled for this wait only."""
        self.rt["phase"] = phase
        self.rt["wait"] += 1
        self.rt["reminded"] = False
        if self.thread.get("simulatedCandidate", True):
            self.later("run.simulate", self.rng.uniform(*SIMULATOR_DELAY), wait=self.rt["wait"])
        interval = self.flow.get("reminderInterval") or 0
        if phase == "ask" and interval > 0 and self.rt.get("answered"):
            self.later("run.remind", interval * 60, wait=self.rt["wait"])
        return self.save()

    def start(self) -> dict:
        """queued → running: send the initial message, then wait for the candidate to write."""
        if self.thread is None or self.flow is None:
            return self.end("exception", "its thread or flow is gone")
        if self.thread.get("chatbotPaused"):
            self.later("run.start", START_DELAY)
            return self.run
        if self.start_node() is None:
            return self.end("exception", "the flow has no start node")
        initial = self.run.get("initialMessage") or {}
        if initial:
            if (self.thread["channel"] == "whatsapp" and initial.get("type") != "template"
                    and not messaging.window_open(self.tx, self.thread)):
                return self.end("exception", "WhatsApp needs a template outside the 24-hour window")
            self.say(initial)
        self.status = "running"
        self.touch()
        return self.wait("opening")

    def start_node(self) -> dict | None:
        return next((n for n in self.tx.all("nodes", flowId=self.flow["id"]) if n.get("isStartFlow")), None)

    def receive(self, text: str) -> dict:
        """The candidate wrote: begin at the start node, or store the answer and go on."""
        self.touch()
        if self.rt["phase"] == "opening":
            return self.proceed(self.start_node()["id"], 0)
        if self.rt["phase"] != "ask":
            return self.save()
        action = self.tx.get("nodeActions", self.rt["action"])
        self.state[self.rt["var"]] = canonical_answer(action, text)
        self.rt["answered"] = True
        return self.proceed(self.rt["node"], self.rt["pos"] + 1)

    def ask(self, node_id: str, pos: int, action: dict) -> dict:
        self.say(messaging.text_payload(action_text(action)))
        self.rt.update(node=node_id, pos=pos, action=action["id"], var=action["variableName"],
                       last_ask=[node_id, pos])
        return self.wait("ask")

    def proceed(self, node_id: str, pos: int) -> dict:
        """Run actions from a position on, then follow transitions, until an ask waits or an end node ends."""
        for _ in range(MAX_STEPS):
            node = self.tx.get("nodes", node_id)
            if node is None:
                return self.end("exception", "a node of its flow is gone")
            for index, action in enumerate(ordered_actions(self.tx, node_id)[pos:], start=pos):
                if action.get("subType") == "set-variable":
                    self.state[action["variableName"]] = (action.get("value") or {}).get("value")
                elif action["actionType"] == "ask":
                    return self.ask(node_id, index, action)
                else:
                    self.say(messaging.text_payload(action_text(action)))
            if node.get("isEndFlow"):
                if node.get("endFlowType") == "reset":
                    self.state = copy.deepcopy(self.rt["initial"])
                    node_id, pos = self.start_node()["id"], 0
                    continue
                return self.end("finished", node.get("endFlowType") or "")
            try:
                chosen = choose_exit(self.tx, node_id, self.state)
            except ConditionError as exc:
                return self.end("exception", f"unreadable condition: {exc}")
            if chosen is None:
                if not self.rt.get("last_ask"):
                    return self.end("exception", "no transition holds and nothing was asked")
                node_id, pos = self.rt["last_ask"]  # ask the last question again (S27)
                actions = ordered_actions(self.tx, node_id)
                if pos >= len(actions):
                    return self.end("exception", "the question to repeat is gone")
                return self.ask(node_id, pos, actions[pos])
            node_id, pos = chosen, 0
        return self.end("exception", "the flow loops without asking anything")


def ordered_actions(tx: Tx, node_id: str) -> list[dict]:
    """A node's actions in `index` order."""
    return sorted(tx.all("nodeActions", nodeId=node_id), key=lambda a: (a.get("index") or 0, a["id"]))


def choose_exit(tx: Tx, node_id: str, state: dict) -> str | None:
    """The exit node of the first transition, in `index` order, whose condition holds (§7.2)."""
    links = sorted(tx.all("nodeTransitions", nodeId=node_id), key=lambda t: (t.get("index") or 0, t["id"]))
    return next((t["exitNodeId"] for t in links if holds(t.get("condition"), state)), None)


def action_text(action: dict) -> str:
    """What the bot writes for an action: its text, list options and media URL."""
    value = action.get("value") or {}
    parts = [value.get("text") or ""]
    options = [simulator.option_label(o) for o in value.get("options") or []]
    if options:
        parts.append("\n".join(f"{i}. {label}" for i, label in enumerate(options, start=1)))
    if value.get("url"):
        parts.append(value["url"])
    return "\n".join(p for p in parts if p) or "…"


def canonical_answer(action: dict | None, text: str) -> str:
    """A list answer as its option's text (matched case-insensitively or by number); other answers as typed."""
    options = [simulator.option_label(o) for o in ((action or {}).get("value") or {}).get("options") or []]
    reply = text.strip()
    for number, label in enumerate(options, start=1):
        if reply.lower() == label.lower() or reply == str(number):
            return label
    return reply


def message_text(message: dict) -> str:
    """The text of a message payload (either documented text shape; templates as their name)."""
    payload = message.get("payload") or {}
    body = payload.get("text") or payload.get("attributes") or {}
    return str(body.get("value") or "")


def handle(tx: Tx, kind: str, run: dict, payload: dict) -> None:
    """Carry out one engine job of a run; stale jobs (an older wait, an ended run) do nothing."""
    rt = run["_rt"]
    if kind == "run.start":
        if run["status"] == "queued":
            Walk(tx, run).start()
        return
    if run["status"] != "running":
        return
    if kind == "run.input":
        message = tx.get("messages", payload["messageId"])
        if message is not None:
            Walk(tx, run).receive(message_text(message))
    elif kind == "run.timeout":
        if rt.get("activity") == payload["activity"]:
            Walk(tx, run).end("timeout", "the candidate went silent")
    elif kind == "run.remind" and rt["wait"] == payload["wait"] and not rt.get("reminded"):
        walk = Walk(tx, run)
        if walk.flow and walk.flow.get("reminderMessage"):
            walk.say(messaging.text_payload(walk.flow["reminderMessage"]))
        walk.rt["reminded"] = True
        walk.save()
    elif kind == "run.simulate" and rt["wait"] == payload["wait"]:
        simulate(tx, run, payload)


def simulate(tx: Tx, run: dict, payload: dict) -> None:
    """Let the simulated candidate reply, through the same path as a real inbound message."""
    thread = tx.get("messageThreads", run["messageThreadId"])
    if thread is None or not thread.get("simulatedCandidate", True):
        return
    if thread.get("chatbotPaused"):
        jobs.enqueue(tx, "engine", "run.simulate", run["id"], tx.context.settings.scaled(SIMULATOR_DELAY[0]),
                     payload, lane=f"run:{run['id']}")
        return
    candidate = tx.get("candidates", thread["candidateId"]) if thread.get("candidateId") else None
    rng = random.Random()
    if run["_rt"]["phase"] == "opening":
        text = simulator.opener(rng)
    else:
        text = simulator.answer(tx.get("nodeActions", run["_rt"]["action"]) or {}, candidate, thread, rng)
    name = " ".join(filter(None, [(candidate or {}).get("firstName"), (candidate or {}).get("lastName")])) or "Candidate"
    messaging.send(tx, thread, messaging.text_payload(text), send_by=name, origin="inbound")
