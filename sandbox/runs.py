"""FlowRuns: API rules (S22), handing candidate messages to runs, and the engine jobs of a run."""

from __future__ import annotations

import copy
import random

from sandbox import changes, messaging, simulator
from sandbox.hooks import hook
from sandbox.jsonapi import invalid
from sandbox.schema import ACTIVE_RUN
from sandbox.store import Tx
from sandbox.walk import SIMULATOR_DELAY, START_DELAY, Walk, schedule_run

SETTABLE_STATUSES = ("finished", "timeout", "cancelled", "exception")


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
    if "state" in attrs and old["status"] == "queued":
        # The state a queued run starts with is also what a `reset` end node restores.
        attrs["_rt"] = {**old["_rt"], "initial": copy.deepcopy(attrs["state"] or {})}
    if "state" in attrs:
        attrs["state"] = attrs["state"] or {}


@hook("after", "flowRuns")
def after_run(tx: Tx, old: dict | None, run: dict) -> None:
    """A new run starts after a moment (S22)."""
    if old is None:
        schedule_run(tx, "run.start", run["id"], START_DELAY)


@hook("after_delete", "messageThreads")
def end_thread_runs(tx: Tx, thread: dict) -> None:
    """A deleted thread takes its conversation along and cancels its active run."""
    for conversation in tx.all("conversations", messageThreadId=thread["id"]):
        changes.delete(tx, "conversations", conversation)
    for run in tx.all("flowRuns", messageThreadId=thread["id"]):
        if run["status"] in ACTIVE_RUN:
            changes.update(tx, "flowRuns", run, {"status": "cancelled", "_rt": {**run["_rt"], "phase": "done"}})


@hook("received", "messages")
def on_inbound(tx: Tx, message: dict) -> None:
    """Hand a candidate's message to the thread's running run, unless the bot is paused (S27)."""
    thread = tx.get("messageThreads", message["messageThreadId"])
    if thread is None or thread.get("chatbotPaused"):
        return
    for run in tx.all("flowRuns", messageThreadId=thread["id"]):
        if run["status"] == "running":
            schedule_run(tx, "run.input", run["id"], payload={"messageId": message["id"]})


def message_text(message: dict) -> str:
    """The text of a message payload (either documented text shape; empty for a template)."""
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
        schedule_run(tx, "run.simulate", run["id"], SIMULATOR_DELAY[0], payload)
        return
    candidate = tx.get("candidates", thread["candidateId"]) if thread.get("candidateId") else None
    rng = random.Random()
    if run["_rt"]["phase"] == "opening":
        text = simulator.opener(rng)
    else:
        text = simulator.answer(tx.get("nodeActions", run["_rt"]["action"]) or {}, candidate, thread, rng)
    messaging.send(tx, thread, messaging.text_payload(text), send_by=simulator.signature(candidate), origin="inbound")
