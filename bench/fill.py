"""Filling a sandbox's database with an organization's history: N flow runs spread over the last 14 days, on
threads of candidates (one thread per RUNS_PER_THREAD runs), written through the sandbox's own store as its seed
writes its demo data, since launching 50,000 runs through the API would take the engine hours here.

The records are history, as the seed's are: no webhooks are sent for them (`tx.announce = False`), and none is
left queued or running, so the engine has nothing to do with them.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from common import ROOT  # noqa: F401  (first: it puts the checkout on sys.path)

from sandbox import changes, store

DAYS = 14
RUNS_PER_THREAD = 5  # a candidate's thread gets a few runs over a fortnight; threads and candidates grow with N
BATCH = 2000  # runs per transaction: the running engine's own writes wait at most one batch
STATUSES = ("finished",) * 14 + ("timeout", "timeout", "exception", "cancelled")
FIRST = ("Noor", "Chloé", "Stijn", "João", "Emre", "Sanne", "Daan", "Fatima", "Lars", "Yara", "Mehmet", "Eva")
LAST = ("de Groot", "Dekker", "van Dijk", "Öztürk", "Jansen", "Bakker", "Visser", "Smit", "Mulder", "Bos")


def count_runs(database: Path) -> int:
    """How many flow runs the sandbox holds."""
    with store.transaction(database, write=False) as tx:
        return tx.count("flowRuns")


def add_runs(database: Path, runs: int, seed: int = 18) -> float:
    """Add `runs` ended flow runs (and a candidate with a thread per RUNS_PER_THREAD of them) spread over the last
    DAYS days, newest today; return the seconds it took."""
    started, rng, now = time.monotonic(), random.Random(seed + runs), time.time()
    with store.transaction(database, write=False) as tx:
        [organization] = tx.all("organizations")
        tx.org = organization["id"]
        flows = [flow["id"] for flow in tx.all("flows")]
        status_ids = [status["id"] for status in tx.all("candidateStatuses")]
        offset = tx.count("candidates")
    threads: list[str] = []
    done = 0
    while done < runs:
        batch = min(BATCH, runs - done)
        with store.transaction(database) as tx:
            tx.announce, tx.org = False, organization["id"]
            for index in range(done, done + batch):
                at = now - DAYS * 86400 * (1 - index / runs) - rng.random() * 600
                if index % RUNS_PER_THREAD == 0 or not threads:
                    threads.append(_thread(tx, offset + len(threads), status_ids, rng, at - 3600))
                run = changes.create(tx, "flowRuns", {
                    "flowId": rng.choice(flows), "messageThreadId": threads[-1], "state": {"name": "bench"},
                    "initialMessage": {}, "status": "queued", "cost": 0,
                    "_rt": {"phase": "done", "initial": {}, "wait": 0}}, at=at)
                tx.replace("flowRuns", {**run, "status": rng.choice(STATUSES), "cost": rng.randint(1, 12),
                                        "updatedAt": store.iso(min(now, at + rng.randint(60, 7200)))})
        done += batch
    return time.monotonic() - started


def _thread(tx: store.Tx, number: int, status_ids: list[str], rng: random.Random, at: float) -> str:
    first, last = FIRST[number % len(FIRST)], LAST[(number * 7) % len(LAST)]
    person = changes.create(tx, "candidates", {
        "firstName": first, "lastName": last, "email": f"bench{number}@example.com",
        "phone": f"316{30000000 + number:08d}", "postalCode": "1011 AB", "candidateStatusId": rng.choice(status_ids),
        "userId": None, "organizationId": tx.org, "deletedAt": None}, at=at)
    thread = changes.create(tx, "messageThreads", {
        "channel": "whatsapp", "identifier": person["phone"], "chatbotPaused": False, "candidateId": person["id"],
        "simulatedCandidate": True}, at=at)
    changes.create(tx, "conversations", {"status": "closed", "unreadMessages": False, "unreadMessagesCount": 0,
                                         "messageThreadId": thread["id"], "candidateId": person["id"]}, at=at)
    return thread["id"]
