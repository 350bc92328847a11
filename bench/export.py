"""Memory of a CSV export: the runs list of a read model holding 50,000 runs, exported as 50 rows and as 50,000.

    python bench/export.py                  # 50,000 runs in the model; export 50 of them, then all
    python bench/export.py --runs 5000      # any size (--quick: 5,000)

The dashboard runs in this process (`create_app`, SQLite), so Python's own allocations during each download are
traced exactly (`tracemalloc`), beside the process's resident memory (RSS, sampled after every piece of the
response). Its read model is filled as a sync fills it, through `recrubo.rows.store` (the model's one write path),
but without an API: N ended runs spread over 14 days on N / 5 candidates' threads (names with accents, as
bench/fill.py makes them for bench/pages.py), over 8 flows, one of which has exactly 50 runs and one 500; every type
is then marked backfilled, so the lists read the model. A signed-in test client asks for
`/flow-runs?format=csv&flow=<that flow>` (50 rows), the same for a flow of 500 runs (one chunk of the read:
`db.chunks.CHUNK`) and `/flow-runs?format=csv` (all N), reading the streamed response piece by piece and dropping
it, as a browser saving the file does. The memory an export holds is one chunk of rows at most, so from 500 rows on
it stays flat. For comparison, the same N rows read as one page (`listing.runs(size=N)`), as an export that loaded
everything first would.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
from common import print_footer, print_header, temporary_folder
from fill import FIRST, LAST

from dashboard import create_app
from dashboard.db import listing, sync_state, users
from dashboard.db.base import session_scope
from dashboard.db.model import TABLES
from dashboard.db.sync_state import SyncProgress
from dashboard.recrubo.rows import store
from tests.support.accounts import sign_in
from tests.support.servers import remote_api

API = "http://127.0.0.1:9/public/v2"  # never asked: the lists read the filled model
FIFTY, CHUNK, FLOWS, RUNS_PER_THREAD, BATCH = 50, 500, 8, 5, 2000
STATUSES = ("finished",) * 14 + ("timeout", "timeout", "exception", "cancelled")


def iso(moment: datetime) -> str:
    """A time as the API writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def fill(runs: int) -> tuple[str, str]:
    """Fill the model with `runs` runs; return the ids of the flows that have exactly FIFTY and CHUNK of them."""
    rng, now = random.Random(19), datetime.now(timezone.utc)
    flows = [str(uuid.uuid4()) for _ in range(FLOWS)]
    with session_scope() as session:
        for number, flow_id in enumerate(flows):
            store(session, {"type": "flows", "id": flow_id, "name": f"Bench flow {number + 1}",
                            "createdAt": iso(now), "updatedAt": iso(now), "flowGenerationId": None})
    thread_id = ""
    for start in range(0, runs, BATCH):
        with session_scope() as session:
            for index in range(start, min(runs, start + BATCH)):
                at = now - timedelta(days=14 * (1 - index / runs), seconds=rng.random() * 600)
                if index % RUNS_PER_THREAD == 0:
                    person, thread_id = str(uuid.uuid4()), str(uuid.uuid4())
                    number = index // RUNS_PER_THREAD
                    store(session, {"type": "candidates", "id": person, "firstName": FIRST[number % len(FIRST)],
                                    "lastName": LAST[(number * 7) % len(LAST)], "phone": f"316{30000000 + number}",
                                    "createdAt": iso(at), "updatedAt": iso(at)})
                    store(session, {"type": "messageThreads", "id": thread_id, "channel": "whatsapp",
                                    "identifier": f"316{30000000 + number}", "chatbotPaused": False,
                                    "candidateId": person, "createdAt": iso(at), "updatedAt": iso(at)})
                flow = flows[0] if index < FIFTY else flows[1] if index < FIFTY + CHUNK else \
                    flows[2 + index % (FLOWS - 2)]
                store(session, {"type": "flowRuns", "id": str(uuid.uuid4()), "flowId": flow,
                                "messageThreadId": thread_id, "status": rng.choice(STATUSES),
                                "cost": rng.randint(1, 12), "state": {"name": "bench"}, "createdAt": iso(at),
                                "updatedAt": iso(at + timedelta(seconds=rng.randint(60, 7200)))})
    sync_state.start_on(API)
    with session_scope() as session:
        for progress in session.query(SyncProgress).filter(SyncProgress.type.in_(list(TABLES))):
            progress.backfill_done = True
    return flows[0], flows[1]


def measure(client, url: str) -> dict:
    """Stream one export, dropping each piece; the peak of traced allocations and of RSS above the start."""
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    rows = size = pieces = 0
    rss_peak = rss_before
    for piece in response.response:
        rows += piece.count(b"\n")
        size += len(piece)
        pieces += 1
        rss_peak = max(rss_peak, process.memory_info().rss)
    response.close()
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"url": url, "status": response.status_code, "rows": rows - 1, "MB": size / 2**20, "pieces": pieces,
            "seconds": seconds, "traced peak MB": traced_peak / 2**20, "RSS growth MB": (rss_peak - rss_before) / 2**20}


def loaded_at_once(app, runs: int) -> dict:
    """The same rows read as one page of `runs` (everything in memory before a byte is written)."""
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    with app.app_context():
        found = listing.runs(size=runs)
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": len(found.items), "seconds": seconds, "traced peak MB": traced_peak / 2**20}


def main() -> int:
    """Fill, export twice, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50_000, help="runs in the model (default 50,000)")
    parser.add_argument("--quick", action="store_true", help="5,000 runs")
    args = parser.parse_args()
    runs = 5_000 if args.quick else args.runs
    print_header(f"export: the runs list as CSV, {FIFTY} rows vs {runs:,}, in-process dashboard on SQLite")
    with temporary_folder("export") as folder:
        app = create_app({"INSTANCE_PATH": str(Path(folder) / "instance"), **remote_api(API), "SYNC_SECONDS": "86400"})
        with app.app_context():
            started = time.perf_counter()
            fifty, chunk = fill(runs)
            print(f"filled the model with {runs:,} runs in {time.perf_counter() - started:.1f} s", flush=True)
            users.create_user("bench@example.com", "a long benchmark password")
        client = app.test_client()
        sign_in(client, "bench@example.com", "a long benchmark password")
        measure(client, f"/flow-runs?format=csv&flow={fifty}")  # warm-up: templates, statements, first imports
        results = [measure(client, f"/flow-runs?format=csv&flow={fifty}"),
                   measure(client, f"/flow-runs?format=csv&flow={chunk}"), measure(client, "/flow-runs?format=csv")]
        for result in results:
            print(f"{result['url'][:70]:70}  {result['status']}  {result['rows']:>6,} rows  {result['MB']:6.2f} MB "
                  f"in {result['pieces']:>4} pieces, {result['seconds']:6.2f} s; traced peak "
                  f"{result['traced peak MB']:6.2f} MB, RSS growth {result['RSS growth MB']:6.2f} MB", flush=True)
        small, one_chunk, large = results
        print(f"traced peak, {large['rows']:,} rows / {small['rows']:,} rows: "
              f"{large['traced peak MB'] / small['traced peak MB']:.2f}x; "
              f"{large['rows']:,} rows / {one_chunk['rows']:,} rows (one chunk): "
              f"{large['traced peak MB'] / one_chunk['traced peak MB']:.2f}x")
        whole = loaded_at_once(app, runs)
        print(f"for comparison, the {whole['rows']:,} rows read as one page (listing.runs(size={runs})): traced peak "
              f"{whole['traced peak MB']:.1f} MB in {whole['seconds']:.2f} s")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
