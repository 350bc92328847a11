"""Pages: the runs list against the API call it wraps, and time to first byte of every main page.

    python bench/pages.py            # 20 timed requests per page
    python bench/pages.py --quick    # 5

The dashboard runs on the embedded default (its own sandbox at /sandbox, SANDBOX_TIME_SCALE=1000 so
launched runs play out in seconds), as `gunicorn -c gunicorn.conf.py`. Before measuring, runs are
launched through the sandbox's API until at least 200 exist, so the runs list reads a real table (the
page itself shows PAGE_SIZE = 25 rows per page; all 200+ are behind its filters, sort and pages).

The runs' webhooks reach the dashboard too (the embedded sandbox posts them to it), so timing starts
only once the server is idle again (under 10 % of a core for a whole second).

Printed per page: median and p95 of time to first byte (status line and headers received) and of the
whole response, on one keep-alive connection with the session cookie; and the runs list (full page and
the htmx partial) divided by the API call it wraps: GET flow-runs with the same sort, page size and
include (target ≤ 1.5x).
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import time
from pathlib import Path

from common import print_footer, print_header, temporary_folder
from launcher import RunLauncher
from measure import Profiler, percentile, table, wait_idle
from processes import create_account, signed_in_cookie, start_dashboard, stop

from tests.support.servers import API_KEY

MIN_RUNS = 200
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


def measure(conn, path: str, headers: dict, repeats: int) -> dict:
    """Time `repeats` GETs of `path` on one keep-alive connection; return TTFB and total percentiles."""
    for _ in range(2):  # warm-up: templates compiled, the API client's connections open
        timed(conn, path, headers)
    firsts, totals, status, size = [], [], 0, 0
    for _ in range(repeats):
        first, total, status, body = timed(conn, path, headers)
        firsts.append(first * 1000)
        totals.append(total * 1000)
        size = len(body)
    return {"page": path, "status": status, "KB": size / 1024, "TTFB p50 ms": percentile(firsts, 50),
            "TTFB p95 ms": percentile(firsts, 95), "total p50 ms": percentile(totals, 50),
            "total p95 ms": percentile(totals, 95)}


def fill_runs(server_url: str, seconds: float = 180) -> int:
    """Launch runs on every thread, round after round, until MIN_RUNS exist and none is active."""
    launcher = RunLauncher(f"{server_url}/sandbox/public/v2")
    try:
        deadline, round_number = time.monotonic() + seconds, 0
        while launcher.total("flow-runs") < MIN_RUNS and time.monotonic() < deadline:
            launcher.launch_everywhere(round_number)
            round_number += 1
            time.sleep(1.0)
        while launcher.total("flow-runs", status="queued,running") and time.monotonic() < deadline:
            time.sleep(0.5)  # the engine's webhooks into the dashboard would disturb the timings
        return launcher.total("flow-runs")
    finally:
        launcher.close()


def main() -> int:
    """Parse the arguments, run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 timed requests per page")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker while home and the runs list load")
    parser.add_argument("--repeats", type=int, help="timed requests per page (default 20)")
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 20)
    print_header(f"pages: {repeats} timed requests per page, embedded default, ≥ {MIN_RUNS} runs")
    with temporary_folder("pages") as folder:
        server = None
        try:
            server = start_dashboard(Path(folder), SANDBOX_TIME_SCALE="1000")
            create_account(server)
            runs = fill_runs(server.url)
            idle = wait_idle(server)
            print(f"flow runs in the sandbox: {runs}; the worker was idle again after {idle:.1f} s", flush=True)
            cookie = signed_in_cookie(server)
            port = int(server.url.rsplit(":", 1)[1])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            page_headers = {"Cookie": cookie}
            api_headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/vnd.api+json"}
            paths = list(PAGES)
            for list_path, pattern in DETAILS.items():
                match = re.search(pattern, timed(conn, list_path, page_headers)[3].decode())
                if match:
                    paths.append(match.group(1))
            rows = [measure(conn, path, page_headers, repeats) for path in paths]
            if args.profile:  # the two pages that miss by most: where does their time go?
                profiler = Profiler(server.pids()[-1], Path(folder) / "profile.txt", 8)
                deadline = time.monotonic() + 8
                while time.monotonic() < deadline:
                    timed(conn, "/", page_headers)
                    timed(conn, "/flow-runs", page_headers)
                print(profiler.finish(), flush=True)
            api = measure(conn, RUNS_API, api_headers, repeats)
            partial = measure(conn, "/flow-runs", {**page_headers, "HX-Request": "true",
                                                       "HX-Request-Type": "partial"}, repeats)
            conn.close()
        finally:
            stop(server)
    api["page"] = "API: GET flow-runs (25, include flow,messageThread)"
    partial["page"] = "/flow-runs (htmx partial: the list only)"
    full = next(row for row in rows if row["page"] == "/flow-runs")
    print()
    print(table(rows + [partial, api], ["page", "status", "KB", "TTFB p50 ms", "TTFB p95 ms", "total p50 ms",
                                        "total p95 ms"]))
    for name, row in (("full page", full), ("htmx partial", partial)):
        ratio = row["total p50 ms"] / api["total p50 ms"]
        print(f"runs list ({name}) / the API call it wraps: {ratio:.2f}x (target ≤ 1.5x: "
              f"{'MET' if ratio <= 1.5 else 'MISSED'})")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
