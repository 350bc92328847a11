"""A webhook storm into two gunicorn workers, one killed midway: every event stored once, every page current, and the
read model holding each run exactly as its newest delivery left it.

The storm's runs are synthetic (the dashboard's API is a port nobody serves, so the socket path is all that runs):
no API holds them. The API's state of a run is what its newest webhook carries (reference §8.2: the resource after
the event), so the model is compared, row for row, with the newest delivered state of every run the storm touched:
its attributes, its relationships (read from the `<name>Id` attributes these payloads carry) and the event that
wrote it."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import simple_websocket

from tests.support.accounts import create_account, signed_in_session
from tests.support.payloads import payload
from tests.support.servers import WEBHOOK_SECRET, start_dashboard, stop
from tests.support.servers import children as _children
from tests.support.sockets import DEAD_API, EMAIL, PASSWORD, socket

RUNS = 300
UPDATES_PER_RUN = 30  # 9,000 distinct deliveries
DUPLICATE_SHARE = 0.10  # plus 10% redeliveries of the same payload id: 10,000 POSTs in all
SOCKETS = 4


def storm_documents(seed: int) -> tuple[list[dict], dict[str, int], dict[str, dict]]:
    """Shuffled deliveries: each run's updates carry their order as `cost` and a later `updatedAt`; also each run's
    newest delivery."""
    documents, final, newest = [], {}, {}
    for _ in range(RUNS):
        run = str(uuid.uuid4())
        for step in range(1, UPDATES_PER_RUN + 1):
            status = "finished" if step == UPDATES_PER_RUN else "running"
            document = payload(run, status=status, updated_at=f"2026-11-23T10:{step // 60:02d}:{step % 60:02d}+00:00")
            document["data"]["attributes"]["resource"]["attributes"]["cost"] = step
            documents.append(document)
        final[run], newest[run] = UPDATES_PER_RUN, documents[-1]
    duplicates = random.Random(seed).sample(documents, int(len(documents) * DUPLICATE_SHARE))
    deliveries = documents + [json.loads(json.dumps(document)) for document in duplicates]
    random.Random(seed + 1).shuffle(deliveries)
    return deliveries, final, newest


def model_differences(database: sqlite3.Connection, newest: dict[str, dict]) -> list[str]:
    """How the read model's flow runs differ from the newest delivered state of each run (empty when equal)."""
    stored = {row[0]: row[1:] for row in database.execute(
        "SELECT id, attributes, relations, status, updated_at, deleted, event_id FROM model_flow_runs")}
    problems = [f"{run}: not in the model" for run in newest.keys() - stored.keys()]
    problems += [f"{run}: in the model, never delivered" for run in stored.keys() - newest.keys()]
    for run, document in newest.items():
        if run not in stored:
            continue
        attributes = document["data"]["attributes"]["resource"]["attributes"]
        expected = (attributes, {"flow": attributes["flowId"], "messageThread": attributes["messageThreadId"]},
                    attributes["status"], attributes["updatedAt"][:19].replace("T", " "), 0, document["data"]["id"])
        found, relations, status, updated_at, deleted, event_id = stored[run]
        found = (json.loads(found), json.loads(relations), status, updated_at[:19], deleted, event_id)
        if found != expected:
            problems.append(f"{run}: the model has {found}, the newest delivery {expected}")
    return problems


_senders = threading.local()


def send_until_acknowledged(url: str, document: dict, tries: int = 200) -> int:
    """POST like Recrubo's retries do (condensed): again after any refusal or broken connection."""
    if not hasattr(_senders, "session"):
        _senders.session = requests.Session()  # keep-alive per sender thread, as a real sender pools
    body = json.dumps(document)
    headers = {"Content-Type": "application/vnd.api+json", "X-Recrubo-Webhook-Secret": WEBHOOK_SECRET}
    for attempt in range(1, tries + 1):
        try:
            if _senders.session.post(url, data=body, headers=headers, timeout=10).status_code == 200:
                return attempt
        except requests.RequestException:
            _senders.session = requests.Session()
        time.sleep(min(0.05 * attempt, 0.5))
    raise AssertionError(f"delivery {document['data']['id']} never acknowledged")


class Watcher:
    """A page's socket that, like hx-ws, reconnects after a drop and catches up with `since`."""

    def __init__(self, server, session) -> None:
        self.server, self.session = server, session
        self.latest: dict[str, tuple[int, str]] = {}  # run id -> (seq, row html)
        self.seq, self.reconnects, self.stopped = 0, 0, threading.Event()
        self.problems: list[str] = []  # asserted by the test: an assert in this thread would go unseen
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                ws = socket(self.server, self.session, "flowRuns", since=self.seq or None)
            except (simple_websocket.ConnectionError, OSError):
                time.sleep(0.2)
                continue
            try:
                while not self.stopped.is_set():
                    data = ws.receive(timeout=0.2)
                    if data is not None:
                        self.take(json.loads(data))
            except simple_websocket.ConnectionClosed:
                self.reconnects += 1
            finally:
                try:
                    ws.close()
                except simple_websocket.ConnectionClosed:
                    pass  # already dropped by the server

    def take(self, frame: dict) -> None:
        if "reload" in frame:
            self.problems.append("told to reload: the replay window was too short for this storm")
            return
        self.seq = max(self.seq, frame["seq"])
        content = frame["content"]
        for run_id in {part.split('"', 1)[0] for part in content.split('id="flow-run-')[1:]}:
            if self.latest.get(run_id, (0, ""))[0] < frame["seq"]:
                self.latest[run_id] = (frame["seq"], content)

    def shows(self, run_id: str, step: int) -> bool:
        return f'<td class="wide-only" data-label="Cost">{step}</td>' in self.latest.get(run_id, (0, ""))[1]

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)


@pytest.mark.slow
def test_storm_with_a_killed_worker_stores_every_event_once_and_leaves_pages_current(tmp_path, redis_server):
    server = start_dashboard(tmp_path, RECRUBO_API_URL=DEAD_API, REDIS_URL=redis_server.url, WEB_CONCURRENCY="2")
    watchers: list[Watcher] = []
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        watchers = [Watcher(server, session) for _ in range(SOCKETS)]
        deliveries, final, newest_documents = storm_documents(seed=7)
        url = f"{server.url}/webhooks/recrubo"
        killed = threading.Event()

        def deliver(index_and_document):
            index, document = index_and_document
            if index == len(deliveries) // 3 and not killed.is_set():
                killed.set()
                os.kill(_children(server.process.pid)[0], signal.SIGKILL)  # gunicorn forks a new one
            return send_until_acknowledged(url, document)

        with ThreadPoolExecutor(max_workers=12) as pool:
            attempts = list(pool.map(deliver, enumerate(deliveries)))
        assert killed.is_set() and len(_children(server.process.pid)) == 2

        database = sqlite3.connect(server.instance / "dashboard.db")
        stored = dict(database.execute("SELECT id, COUNT(*) FROM webhook_events GROUP BY id").fetchall())
        sent_ids = {document["data"]["id"] for document in deliveries}
        assert set(stored) == sent_ids and set(stored.values()) == {1}, "an event was lost or stored twice"
        applied = database.execute(
            "SELECT resource_id, MAX(updated_at) FROM webhook_events WHERE verdict = 'applied' GROUP BY resource_id")
        newest = {run_id: value for run_id, value in applied.fetchall()}
        assert set(newest) == set(final)
        assert all(value.startswith("2026-11-23 10:00:30") for value in newest.values()), "a stale update won"
        differences = model_differences(database, newest_documents)
        assert not differences, f"{len(differences)} runs differ, e.g. {differences[:3]}"

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
                watcher.shows(run, step) for watcher in watchers for run, step in final.items()):
            time.sleep(0.2)
        for watcher in watchers:
            assert not watcher.problems, watcher.problems
            behind = [run for run, step in final.items() if not watcher.shows(run, step)]
            assert not behind, f"a socket ({watcher.reconnects} reconnects) shows {len(behind)} runs in an old state"
        assert sum(attempts) > len(deliveries), "the killed worker refused nothing: the test proved nothing"
    finally:
        for watcher in watchers:
            watcher.stop()
        stop(server.process)
