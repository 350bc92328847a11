"""The runtime of a flow run: walking its graph one candidate message at a time (§7.2, S27)."""

from __future__ import annotations

import copy
import logging
import random

from sandbox import changes, jobs, messaging, simulator
from sandbox.conditions import ConditionError, holds
from sandbox.store import Tx

log = logging.getLogger(__name__)
START_DELAY = 1.0
SIMULATOR_DELAY = (2.0, 5.0)
MAX_STEPS = 200  # nodes entered without waiting for the candidate before the run counts as looping


def schedule_run(tx: Tx, kind: str, run_id: str, seconds: float = 0.0, payload: dict | None = None) -> None:
    """Queue a job of a run in the run's lane, so its jobs never run side by side."""
    jobs.schedule(tx, kind, run_id, seconds, payload, lane=f"run:{run_id}")


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
        self.rng = random.Random()

    def save(self) -> dict:
        """Store the run's new state, cost, status and position."""
        self.run = changes.update(self.tx, "flowRuns", self.run, {
            "state": self.state, "cost": self.cost, "status": self.status, "_rt": self.rt})
        return self.run

    def later(self, kind: str, delay: float, **payload) -> None:
        """Schedule an engine job of this run."""
        schedule_run(self.tx, kind, self.run["id"], delay, payload)

    def end(self, status: str, reason: str = "") -> dict:
        """End the run with a status, logged with the reason."""
        self.status, self.rt["phase"] = status, "done"
        log.info("flow run %s %s%s", self.run["id"], status, f": {reason}" if reason else "")
        return self.save()

    def say(self, payload: dict) -> None:
        """Send a bot message; each one costs a credit (S22)."""
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

    def proceed_from_start(self) -> dict:
        """Enter the start node, or fail when the flow has none."""
        start = self.start_node()
        if start is None:
            return self.end("exception", "the flow has no start node")
        return self.proceed(start["id"], 0)

    def start_node(self) -> dict | None:
        """The flow's start node, if it has one."""
        return next((n for n in self.tx.all("nodes", flowId=self.flow["id"]) if n.get("isStartFlow")), None)

    def receive(self, text: str) -> dict:
        """The candidate wrote: begin at the start node, or store the answer and go on."""
        self.touch()
        if self.rt["phase"] == "opening":
            return self.proceed_from_start()
        if self.rt["phase"] != "ask":
            return self.save()
        action = self.tx.get("nodeActions", self.rt["action"])
        self.state[self.rt["var"]] = canonical_answer(action, text)
        self.rt["answered"] = True
        return self.proceed(self.rt["node"], self.rt["pos"] + 1)

    def ask(self, node_id: str, pos: int, action: dict) -> dict:
        """Send a question and wait for its answer."""
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
                    return self.proceed_from_start()
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
