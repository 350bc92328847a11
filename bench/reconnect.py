"""Reconnect storm: 1,000 pages lose their socket at once while webhooks keep arriving.

    python bench/reconnect.py            # 1,000 sockets, 10 webhooks/s, drop after 3 s, 20 s after the drop
    python bench/reconnect.py --quick    # 100 sockets, 8 s after the drop

Every socket behaves as `static/js/live-status.js` with hx-ws makes a browser behave: it remembers the
`seq` of the last push, and after the drop it reconnects after hx-ws's delay (0.5 s ± 30 %, doubling on
failure) to /live?watch=flowRuns&since=<seq>, so the server replays what it missed before the live
pushes resume (a `{"reload": true}` frame, sent when too much was missed, would make the page reload;
it is counted). The drop is a network cut: every client aborts its TCP connection at the same moment.

Printed: time from the drop until the last socket is current again (it has every event posted before it
reconnected; target ≤ 10 s), time to reopen, updates missed (target 0), frames received twice, and the
server's CPU during the storm.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from pathlib import Path

import requests
from common import machine, print_footer, print_header, temporary_folder
from fanout import SOCKETS_PER_CLIENT_PROCESS, post_events
from loadclient import start_clients
from measure import Profiler, cpu_seconds, percentile
from processes import create_account, signed_in_cookie, start_dashboard, start_sandbox, stop
from targets import Target

RATE = 10.0
BEFORE_DROP = 3.0


def main() -> int:
    """Parse the arguments, run the storm and print what it found."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 sockets, 8 s after the drop")
    parser.add_argument("--sockets", type=int, help="sockets (default 1000)")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker from the drop on")
    parser.add_argument("--after", type=float, help="seconds of webhooks after the drop (default 20)")
    args = parser.parse_args()
    sockets = args.sockets or (100 if args.quick else 1000)
    after = args.after or (8.0 if args.quick else 20.0)
    print_header(f"reconnect storm: {sockets} sockets dropped at once, {RATE:g} webhooks/s, "
                 f"{after:g} s of webhooks after the drop")
    with temporary_folder("reconnect") as folder:
        tmp = Path(folder)
        api = server = None
        clients = []
        try:
            api = start_sandbox(tmp)
            server = start_dashboard(tmp, RECRUBO_API_URL=f"{api.url}/public/v2")
            create_account(server)
            spec = {"url": server.url.replace("http://", "ws://") + "/live?watch=flowRuns", "origin": server.url,
                    "cookie": signed_in_cookie(server), "protocol": "plain", "since": True,
                    "reconnect_seconds": 120, "max_seconds": 600}
            clients = start_clients({**spec, "count": sockets}, math.ceil(sockets / SOCKETS_PER_CLIENT_PROCESS))
            ready = [client.expect("ready", 180) for client in clients]
            connected = sum(state["connected"] for state in ready)
            target = _poster(server)
            registered(server, connected)  # a socket's 101 comes before its handler registers it in the hub
            posted = asyncio.run(post_events(target, RATE, 1.0))  # warm-up, and every socket gets a seq
            time.sleep(1.0)
            cpu_start, load_start = cpu_seconds(server.pids()), machine()["load"]
            profiler = Profiler(server.pids()[-1], tmp / "profile.txt", BEFORE_DROP + after) if args.profile else None
            posted.update(run_storm(target, clients, after))
            drop_at = target.drop_at
            time.sleep(2.0)  # the last live frames
            cpu = cpu_seconds(server.pids()) - cpu_start
            for client in clients:
                client.command("stop")
            results = [client.expect("results", 120) for client in clients]
            if profiler is not None:
                print(profiler.finish(), flush=True)
        finally:
            for client in clients:
                client.close()
            stop(server)
            stop(api)
    report(results, posted, drop_at, connected, sockets, cpu, load_start)
    print_footer()
    return 0


def registered(server, sockets: int, seconds: float = 60) -> int:
    """Wait (bounded) until the dashboard's hub holds `sockets` sockets, as /healthz counts them; return the count.
    Without it the first events reached only the sockets registered so far (the worker is busy at start: the read
    model's first backfill), which the report counted as missed updates."""
    deadline, count = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        count = requests.get(f"{server.url}/healthz", timeout=10).json().get("sockets", 0)
        if count >= sockets:
            break
        time.sleep(0.2)
    return count


def _poster(server) -> Target:
    """A fan-out Target for an already started dashboard: only its POSTs are used here."""
    target = Target.__new__(Target)
    target.name, target.server, target.api = "dashboard-rows", server, None
    target.post_url, target.post_path = server.url, "/webhooks/recrubo"
    return target


def run_storm(target: Target, clients: list, after: float) -> dict[str, float]:
    """Post steadily; BEFORE_DROP seconds in, cut every socket at once; keep posting `after` seconds more."""
    async def storm() -> dict[str, float]:
        posting = asyncio.create_task(post_events(target, RATE, BEFORE_DROP + after))
        await asyncio.sleep(BEFORE_DROP)
        for client in clients:
            client.command("drop")
        target.drop_at = min(client.expect("dropped", 30) for client in clients)
        return await posting
    return asyncio.run(storm())


def report(results: list[dict], posted: dict[str, float], drop_at: float, connected: int, sockets: int,
           cpu: float, load_start) -> None:
    """Summarize, per socket, how soon it was current again after the drop and what it missed."""
    reopened = [at for result in results for at in result["reopened"]]
    times = [socket_times for result in results for socket_times in result["times"]]
    current, missed, twice, never = [], 0, 0, 0
    for socket_times, reopened_at in zip(times, reopened, strict=False):
        received: dict[str, float] = {}
        for key, at in socket_times:
            if key in received:
                twice += 1
            else:
                received[key] = at
        missed += sum(1 for key in posted if key not in received)
        if reopened_at is None:
            never += 1
            continue
        # Current again once it holds every event posted before it reconnected (the replayed ones).
        due = [received.get(key, float("inf")) for key, at in posted.items() if at < reopened_at]
        current.append(max([reopened_at, *due]) - drop_at)
    reopen = [at - drop_at for at in reopened if at is not None]
    everyone = max(current) if current and not never else float("inf")
    print(f"sockets: {connected} of {sockets} opened; reopened after the drop: {len(reopen)}; never reopened: {never}")
    print(f"events posted: {len(posted)}; updates missed: {missed} (target 0: {'MET' if missed == 0 else 'MISSED'}); "
          f"frames received twice: {twice}; reload frames: {sum(result['reloads'] for result in results)}")
    print(f"reopen after drop: p50 {percentile(reopen, 50):.2f} s, p99 {percentile(reopen, 99):.2f} s, "
          f"max {max(reopen, default=float('nan')):.2f} s")
    print(f"current again after drop: p50 {percentile(current, 50):.2f} s, p99 {percentile(current, 99):.2f} s; "
          f"every socket current after {everyone:.2f} s (target ≤ 10 s: {'MET' if everyone <= 10 else 'MISSED'})")
    print(f"server CPU from 1 s before the storm to 2 s after the last webhook: {cpu:.1f} s; "
          f"load {load_start[0]:.1f}→{machine()['load'][0]:.1f}")
    failures = [failure for result in results for failure in result["failed"]]
    if failures:
        print(f"client errors (first): {failures[0]}")


if __name__ == "__main__":
    sys.exit(main())
