"""The read model's query plans: every list's count and page query, for every filter and sort the pages offer, and
Home's counts, with SQLite's `EXPLAIN QUERY PLAN` and their time at N runs.

    python bench/plans.py                 # N = 50,000 runs (and a thread and candidate per 5 runs)
    python bench/plans.py --runs 250

A fresh SQLite database is migrated to head and filled with rows shaped as the sync writes them (no API, no server);
the queries are the ones `dashboard.db.listing` and `dashboard.db.counts` run, captured as they execute. A plan line
reading `SCAN <table>` without `COVERING INDEX` reads every row of the table: none should.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from common import print_footer, print_header, temporary_folder
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from dashboard.db import counts, listing
from dashboard.db.base import make_engine, upgrade_schema

REPEATS = 9
STATUSES = ("finished",) * 14 + ("timeout", "timeout", "exception", "cancelled")


def fill(engine, runs: int) -> None:
    """`runs` runs over 14 days on 12 flows, a candidate with a thread per 5 runs, 20 generations."""
    rng, now = random.Random(18), datetime.now(timezone.utc).replace(tzinfo=None)
    columns = "id, type, attributes, relations, created_at, updated_at, deleted, written_at"
    flows = [str(uuid.uuid4()) for _ in range(12)]
    rows: dict[str, list[dict]] = {"flows": [], "candidates": [], "threads": [], "runs": [], "generations": []}
    for index, flow in enumerate(flows):
        rows["flows"].append({"id": flow, "a": json.dumps({"name": f"Flow {index}"}), "t": now, "u": now,
                              "name": f"Flow {index}"})
    for _ in range(20):
        rows["generations"].append({"id": str(uuid.uuid4()), "a": "{}", "t": now, "u": now, "f": rng.choice(flows),
                                    "s": rng.choice(("queued", "processing", "finished", "exception"))})
    thread = ""
    for index in range(runs):
        at = now - timedelta(days=14 * (1 - index / runs), seconds=rng.random() * 600)
        if index % 5 == 0:
            person, thread = str(uuid.uuid4()), str(uuid.uuid4())
            rows["candidates"].append({"id": person, "a": json.dumps({"firstName": "Noor", "lastName": "Dekker"}),
                                       "t": at, "u": at, "s": f"noor dekker 316{index}"})
            rows["threads"].append({"id": thread, "a": json.dumps({"identifier": f"316{index}"}), "t": at,
                                    "u": at + timedelta(hours=1), "c": person, "i": f"316{index}",
                                    "p": rng.random() < 0.1})
        status = rng.choice(STATUSES)
        rows["runs"].append({"id": str(uuid.uuid4()), "a": json.dumps({"status": status, "cost": 3}), "t": at,
                             "u": min(now, at + timedelta(seconds=rng.randint(60, 7200))), "f": rng.choice(flows),
                             "th": thread, "s": status})
    common = ":id, :type, :a, '{}', :t, :u, false, :u"
    statements = {
        "flows": f"INSERT INTO model_flows ({columns}, name) VALUES ({common}, :name)",
        "candidates": f"INSERT INTO model_candidates ({columns}, search_text) VALUES ({common}, :s)",
        "threads": f"INSERT INTO model_message_threads ({columns}, candidate_id, channel, identifier, "
                   f"chatbot_paused) VALUES ({common}, :c, 'whatsapp', :i, :p)",
        "runs": f"INSERT INTO model_flow_runs ({columns}, flow_id, message_thread_id, status) "
                f"VALUES ({common}, :f, :th, :s)",
        "generations": f"INSERT INTO model_flow_generations ({columns}, flow_id, status) VALUES ({common}, :f, :s)",
    }
    types = {"flows": "flows", "candidates": "candidates", "threads": "messageThreads", "runs": "flowRuns",
             "generations": "flowGenerations"}
    with engine.begin() as connection:
        for name, statement in statements.items():
            connection.execute(text(statement), [{**row, "type": types[name]} for row in rows[name]])


def cases(today: datetime) -> dict:
    """Every list query the pages make (each filter, each sort) and Home's, by name."""
    found = {f"runs sort {sort}": (lambda sort=sort: listing.runs(sort=sort))
             for sort in ("-createdAt", "createdAt", "-updatedAt")}
    found.update({f"runs status, sort {sort}": (lambda sort=sort: listing.runs(status="exception", sort=sort))
                  for sort in ("-createdAt", "-updatedAt")})
    found["runs page 200"] = lambda: listing.runs(page=200)
    found.update({f"threads sort {sort}": (lambda sort=sort: listing.threads(sort=sort))
                  for sort in ("-updatedAt", "-createdAt", "createdAt")})
    found["threads channel"] = lambda: listing.threads(channel="whatsapp")
    found["threads paused"] = lambda: listing.threads(paused=True)
    found["flows"] = lambda: listing.flows()
    found["generations status"] = lambda: listing.generations(status="queued")
    found["home: failed today"] = lambda: listing.runs(status="exception,timeout", updated_since=today,
                                                       sort="-updatedAt", size=10)
    found["home: generating"] = lambda: listing.generations(status="queued,processing", size=10)
    found["home: totals"] = counts.totals
    found["home: runs by status (counted)"] = lambda: (_forget(), counts.runs_by_status())
    found["home: runs per day (counted)"] = lambda: (_forget(), counts.runs_per_day(
        tuple(today - timedelta(days=13 - offset) for offset in range(15))))
    found["home: runs by status (kept)"] = counts.runs_by_status
    return found


def _forget() -> None:
    from flask import current_app
    current_app.extensions.pop("home_counts", None)


def main() -> int:
    """Fill, then print each query's plan and median time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50_000)
    args = parser.parse_args()
    print_header(f"read-model query plans at N = {args.runs:,} runs (SQLite)")
    with temporary_folder("plans") as folder:
        engine = make_engine(f"sqlite:///{folder}/model.db")
        upgrade_schema(engine)
        fill(engine, args.runs)
        app = Flask("plans")
        app.extensions["database"] = sessionmaker(engine, expire_on_commit=False)
        captured: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, statement, parameters, _ctx, _many: captured.append((statement, parameters)))
        today = datetime.combine(datetime.now(timezone.utc).date(), datetime.min.time())
        with app.app_context():
            for name, run in cases(today).items():
                run()
                times = []
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    run()
                    times.append((time.perf_counter() - started) * 1000)
                captured.clear()
                run()
                print(f"\n{name}: {statistics.median(times):.2f} ms median")
                for statement, parameters in list(captured):
                    if "max(model_flow_runs.written_at)" in statement or "model_sync" in statement:
                        continue
                    with engine.connect() as connection:
                        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                    print("  " + " ".join(statement.split())[:150])
                    for line in plan:
                        print(f"    {line[-1]}")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
