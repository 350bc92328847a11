"""Pages at two organization sizes: the server time of every main page with N runs, side by side.

    python bench/pages.py                      # N = 250 and N = 50,000, 20 timed requests per page
    python bench/pages.py --runs 250,5000      # any sizes, smallest first
    python bench/pages.py --quick              # N = 250 and 1,000, 5 requests per page

The dashboard runs on the embedded default (its own sandbox at /sandbox) as `gunicorn -c gunicorn.conf.py`. The
sandbox is filled through its own store, as its seed fills it (bench/fill.py): N flow runs spread over the last 14
days, a candidate with a thread per 5 runs. The sizes are filled one after the other in the same server (each
tops the last up), so a page is measured at N = 250, then at the next N, against the same code and data shape.

Printed per page and size: median and p95 of the whole response (on one keep-alive connection, loopback, with
the session cookie: the server's time plus a loopback round trip), and the ratio of the larger size's median to
the smaller's (issue 18's target: every list and Home ≤ 30 ms p50 at both sizes, ≤ 1.2x). A page stops being
repeated once it has used --page-seconds (after at least 3 requests), so a page that takes minutes at a large N
still finishes. Also the runs list (full page and htmx partial) against the API call it wraps.

The read model's incremental sync is set to run once a day (SYNC_SECONDS) so it never runs during the timings.
The filled history sends no webhooks and is older than the sync's watermark, so after each fill the model is
brought up to date by hand as an operator would (`flask recrubo sync --full`, timed and printed), and the pages are
timed reading it; the sync is not part of a page's time.
"""

from __future__ import annotations

import argparse
import http.client
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
from common import print_footer, print_header, temporary_folder
from fill import add_runs, count_runs
from measure import Profiler, percentile, table, wait_idle
from processes import create_account, signed_in_cookie, start_dashboard, stop

from tests.support.servers import API_KEY, ROOT, venv_bin

REQUEST_SECONDS = 600  # one request's longest wait
SYNC_SECONDS = 3600  # a full sync of the read model at the largest size
PAGES = ["/", "/flows", "/message-threads", "/flow-runs", "/flow-generations", "/flow-runs/new",
         "/flow-generations/new"]
DETAILS = {"/flows": r'href="(/flows/[0-9a-f-]{36})"', "/message-threads": r'href="(/message-threads/[0-9a-f-]{36})"',
           "/flow-runs": r'href="(/flow-runs/[0-9a-f-]{36})"',
           "/flow-generations": r'href="(/flow-generations/[0-9a-f-]{36})"'}
RUNS_API = ("/sandbox/public/v2/flow-runs?sort=-createdAt&page%5Bnumber%5D=1&page%5Bsize%5D=25"
            "&include=flow%2CmessageThread")


def timed(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[float, float, int, bytes]:
    """(time to first byte, total time, status, body) of one GET on a keep-alive connection."""
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first_byte = time.perf_counter() - started
    body = response.read()
    return first_byte, time.perf_counter() - started, response.status, body


def measure(port: int, path: str, headers: dict, repeats: int, budget: float) -> dict:
    """Time up to `repeats` GETs of `path` on one keep-alive connection (fewer once `budget` seconds are used,
    at least 3); return total-time percentiles."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_SECONDS)
    try:
        timed(conn, path, headers)  # warm-up: templates compiled, the API client's connections open
        totals, status, size, started = [], 0, 0, time.monotonic()
        while len(totals) < repeats and (len(totals) < 3 or time.monotonic() - started < budget):
            _, total, status, body = timed(conn, path, headers)
            totals.append(total * 1000)
            size = len(body)
    finally:
        conn.close()
    return {"page": path, "status": status, "KB": size / 1024, "n": len(totals),
            "p50 ms": percentile(totals, 50), "p95 ms": percentile(totals, 95)}


def measure_size(server, runs: int, repeats: int, budget: float, profile: Path | None,
                 only: set[str] | None = None) -> list[dict]:
    """Every main page, the detail pages the lists link to, the runs list as htmx asks for it and the API call
    it wraps, at the sandbox's current size."""
    cookie = signed_in_cookie(server)
    port = int(server.url.rsplit(":", 1)[1])
    page_headers = {"Cookie": cookie}
    api_headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/vnd.api+json"}
    paths = list(PAGES)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_SECONDS)
    for list_path, pattern in DETAILS.items():
        match = re.search(pattern, timed(conn, list_path, page_headers)[3].decode())
        if match:
            paths.append(match.group(1))
    conn.close()
    rows = []
    for path in [path for path in paths if only is None or _label(path) in only]:
        row = measure(port, path, page_headers, repeats, budget)
        print(f"  N = {runs}: {path} p50 {row['p50 ms']:.1f} ms, p95 {row['p95 ms']:.1f} ms ({row['n']} requests)",
              flush=True)
        rows.append({**row, "page": _label(path)})
    if profile is not None:  # where the time of home and the runs list goes at this size
        worker = psutil.Process(server.process.pid).children()[0].pid  # not the sandbox engine's process below it
        profiler = Profiler(worker, profile, 8)
        conn, deadline = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_SECONDS), time.monotonic() + 8
        while time.monotonic() < deadline:
            timed(conn, "/", page_headers)
            timed(conn, "/flow-runs", page_headers)
        conn.close()
        print(profiler.finish(), flush=True)
    partial = measure(port, "/flow-runs", {**page_headers, "HX-Request": "true", "HX-Request-Type": "partial"},
                      repeats, budget)
    api = measure(port, RUNS_API, api_headers, repeats, budget)
    return rows + [{**partial, "page": "/flow-runs (htmx partial: the list only)"},
                   {**api, "page": "API: GET flow-runs (25, include flow,messageThread)"}]


def sync_model(server) -> float:
    """Copy what the fill added into the read model (`flask recrubo sync --full`); return the seconds it took."""
    started = time.monotonic()
    result = subprocess.run([venv_bin("flask"), "--app", "wsgi", "recrubo", "sync", "--full"], cwd=ROOT,
                            env=server.env, capture_output=True, text=True, timeout=SYNC_SECONDS)
    if result.returncode != 0:
        raise RuntimeError(f"recrubo sync failed: {result.stdout}{result.stderr}")
    return time.monotonic() - started


def _label(path: str) -> str:
    # A detail page's id differs between runs: the table names its kind.
    return re.sub(r"/[0-9a-f-]{36}$", "/<id>", path)


def side_by_side(sizes: list[int], measured: dict[int, list[dict]]) -> str:
    """One row per page: p50 and p95 at every size, and the largest size's p50 over the smallest's."""
    first, last = sizes[0], sizes[-1]
    rows = []
    for row in measured[first]:
        out = {"page": row["page"]}
        for size in sizes:
            match = next((other for other in measured[size] if other["page"] == row["page"]), None)
            out[f"N={size:,} p50 ms"] = match["p50 ms"] if match else "-"
            out[f"N={size:,} p95 ms"] = match["p95 ms"] if match else "-"
        large = out[f"N={last:,} p50 ms"]
        out[f"N={last:,} / N={first:,}"] = f"{large / row['p50 ms']:.2f}x" if large != "-" else "-"
        rows.append(out)
    return table(rows, list(rows[0]))


def main() -> int:
    """Parse the arguments, fill, run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 250 and 1,000, 5 timed requests per page")
    parser.add_argument("--runs", help="comma-separated organization sizes in flow runs (default 250,50000)")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker while home and the runs list load")
    parser.add_argument("--repeats", type=int, help="timed requests per page (default 20)")
    parser.add_argument("--pages", help="comma-separated pages to time, as the table names them (default: all)")
    parser.add_argument("--page-seconds", type=float, default=60.0,
                        help="stop repeating a page after this long (at least 3 requests; default 60)")
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 20)
    sizes = sorted(int(size) for size in (args.runs or ("250,1000" if args.quick else "250,50000")).split(","))
    print_header(f"pages: up to {repeats} timed requests per page, embedded default, N = "
                 f"{', '.join(f'{size:,}' for size in sizes)} flow runs")
    measured: dict[int, list[dict]] = {}
    with temporary_folder("pages") as folder:
        server = None
        try:
            server = start_dashboard(Path(folder), SANDBOX_TIME_SCALE="1000", SYNC_SECONDS="86400")
            create_account(server)
            database = Path(folder) / "instance" / "sandbox.db"
            wait_idle(server)  # the demo's live runs play out; the read model's first backfill
            for size in sizes:
                have = count_runs(database)
                took = add_runs(database, size - have) if size > have else 0.0
                idle = wait_idle(server)
                synced = sync_model(server)
                print(f"N = {count_runs(database):,} flow runs ({size - have:,} added in {took:.1f} s); the worker "
                      f"was idle again after {idle:.1f} s; the read model's full sync took {synced:.1f} s", flush=True)
                measured[size] = measure_size(server, size, repeats, args.page_seconds,
                                              Path(folder) / f"profile-{size}.txt" if args.profile else None,
                                              set(args.pages.split(",")) if args.pages else None)
        finally:
            stop(server)
    print()
    print(side_by_side(sizes, measured))
    for size in sizes:
        rows = {row["page"]: row for row in measured[size]}
        api = rows["API: GET flow-runs (25, include flow,messageThread)"]
        for name, page in (("full page", "/flow-runs"), ("htmx partial", "/flow-runs (htmx partial: the list only)")):
            print(f"N = {size:,}: runs list ({name}) / the API call it wraps: "
                  f"{rows[page]['p50 ms'] / api['p50 ms']:.2f}x")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
