"""How many flow runs per second the sandbox engine plays from start to finish on this machine.

Run from the repository root: `.venv/bin/python bench/sandbox_runs.py [--runs 200]`.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sandbox  # noqa: E402

HEADERS = {"Authorization": "Bearer sandbox-demo-key"}


def main() -> None:
    """Queue N runs of the demo's five-question screening flow with simulated candidates; time them to the end."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    database = Path(tempfile.mkdtemp()) / "bench.db"
    # At this scale the simulator answers within 5 ms while the flow's 12-hour timeout stays 43 s away,
    # so the time measured is the engine's own work.
    # No engine while the runs are queued: it starts below, explicitly.
    app = sandbox.create_app({"SANDBOX_DATABASE": str(database), "SANDBOX_TIME_SCALE": 1000,
                              "SANDBOX_ENGINE": "external"})
    client = app.test_client()
    flow = client.get("/public/v2/flows?filter[name]=Quick screening", headers=HEADERS).get_json(force=True)["data"][0]
    run_ids = []
    for number in range(args.runs):
        phone = f"3169{number:07d}"
        candidate = post(client, "candidates", "/candidates", {"phone": phone, "firstName": "Bench"})
        thread = post(client, "messageThreads", "/message-threads", {"channel": "sms", "identifier": phone,
                                                                     "candidateId": candidate["id"]})
        run_ids.append(post(client, "flowRuns", "/flow-runs", {"flowId": flow["id"],
                                                               "messageThreadId": thread["id"]})["id"])
    conn = sqlite3.connect(str(database))
    jobs_before = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
    started = time.monotonic()
    sandbox.start_engine(app)
    while unfinished(conn, run_ids) > 0:
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    sandbox.stop_engine(app)
    statuses = dict(conn.execute(f"SELECT json_extract(data, '$.status'), count(*) FROM resources "
                                 f"WHERE type = 'flowRuns' AND id IN ({','.join('?' * len(run_ids))}) GROUP BY 1",
                                 run_ids).fetchall())
    messages = conn.execute("SELECT count(*) FROM resources WHERE type = 'messages' "
                            "AND json_extract(data, '$.sendBy') IN ('Recrubo Bot', 'Bench')").fetchone()[0]
    print(f"{args.runs} runs of a 5-question flow ended in {elapsed:.1f} s ({statuses}): "
          f"{args.runs / elapsed:.1f} runs/s, {messages / elapsed:.0f} chat messages/s; "
          f"{jobs_before} jobs queued at start, {pending(conn)} delivery-status steps still pending")


def post(client, rtype: str, path: str, attributes: dict) -> dict:
    """POST a resource through the sandbox's API; return its data."""
    document = {"data": {"type": rtype, "attributes": attributes}}
    response = client.post("/public/v2" + path, headers=HEADERS, json=document)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json(force=True)["data"]


def unfinished(conn: sqlite3.Connection, run_ids: list[str]) -> int:
    """How many of the runs have not ended, read from the database file."""
    return conn.execute(f"SELECT count(*) FROM resources WHERE type = 'flowRuns' AND id IN "
                        f"({','.join('?' * len(run_ids))}) AND json_extract(data, '$.status') IN ('queued', 'running')",
                        run_ids).fetchone()[0]


def pending(conn: sqlite3.Connection) -> int:
    """How many engine jobs are waiting, read from the database file."""
    return conn.execute("SELECT count(*) FROM jobs").fetchone()[0]


if __name__ == "__main__":
    main()
