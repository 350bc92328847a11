"""Fan-out: how fast and how cheaply one event reaches N open pages, against what a Flask user would pick.

    python bench/fanout.py            # N = 100, 500, 1000; 10 s at 10 webhooks/s; every server
    python bench/fanout.py --quick    # N = 20, 2 s: a smoke run in seconds

For each N and each server, in one run:
- `dashboard`: production configuration (`gunicorn -c gunicorn.conf.py wsgi:app`, 1 gevent worker) talking to
  the standalone sandbox as its Recrubo API; N signed-in sockets on /live?watch=flowRuns; flowRuns status
  webhooks POSTed through the real receiver (verify, dedupe, store, render, publish).
- `socketio-threading`: minimal Flask-SocketIO app, default threading mode, gunicorn gthread (N + 50 threads).
- `socketio-gevent`: the same app in gevent mode on gevent-websocket's worker (its fastest here).
- `bare`: a bare asyncio `websockets` broadcaster (the practical limit).
The comparison servers broadcast a frame of the dashboard's size; every socket offers permessage-deflate
as Chromium does and the output says what each server negotiated.

Printed per run: p50/p95/p99/max from the start of the POST to receipt, messages lost, server CPU per
delivered message (utime + stime of the server's processes from /proc over the posting window), RSS per
socket (growth of the server's RSS from idle to N sockets after the run), the load generator's CPU, and
then every ratio against the targets of issue 9.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
import uuid
from pathlib import Path

from common import machine, print_footer, print_header, temporary_folder
from httpclient import HttpClient
from loadclient import start_clients
from measure import Profiler, summary_ms, table
from targets import DASHBOARDS, SERVERS, Target

SOCKETS_PER_CLIENT_PROCESS = 500
POST_GRACE_SECONDS = 30.0  # after the last POST is due, the unanswered ones are abandoned (and count as lost)
DRAIN_SECONDS = 30.0  # after the last POST, wait this long at most for every frame: late is not lost
WARM_UP_EVENTS = 3  # first renders compile templates: posted before the window and left out of the figures


async def post_events(target: Target, rate: float, seconds: float, keys: list[str] | None = None) -> dict[str, float]:
    """POST events at a steady rate (on up to 4 keep-alive connections); return each key's POST start time."""
    count = max(1, round(rate * seconds)) if keys is None else len(keys)
    keys = keys or [str(uuid.uuid4()) for _ in range(count)]
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(4):
        pool.put_nowait(HttpClient(target.post_url))
    posted: dict[str, float] = {}
    failures: list[str] = []

    async def one(key: str) -> None:
        body, headers = target.body(key)
        client = await pool.get()
        try:
            posted[key] = time.monotonic()
            status, answer = await client.request("POST", target.post_path, body, headers)
            if status != 200:
                failures.append(f"{status} {answer[:200]!r}")
        except Exception as error:  # reported; the key then counts as lost on every socket
            failures.append(repr(error))
            await client.close()
        finally:
            pool.put_nowait(client)

    start, tasks = time.monotonic(), []
    for index, key in enumerate(keys):
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(key)))
    # Bounded: a server that stops answering must not hold the run for (POSTs / connections) x the timeout.
    done, pending = await asyncio.wait(tasks, timeout=POST_GRACE_SECONDS)
    for task in pending:
        task.cancel()
    if pending:
        failures.append(f"{len(pending)} POSTs still unanswered {POST_GRACE_SECONDS:g} s after the last was sent")
    while not pool.empty():
        await pool.get_nowait().close()
    if failures:
        print(f"  {len(failures)} POSTs failed, first: {failures[0]}", flush=True)
    return posted


def run_one(name: str, sockets: int, rate: float, seconds: float, frame_bytes: int, profile: bool = False) -> dict:
    """Start one server, connect the sockets, post for `seconds`, and measure; the server is always stopped."""
    with temporary_folder(name) as folder:
        target = Target(name, Path(folder), sockets, frame_bytes)
        clients = []
        try:
            # Idle, warm baseline: one event through the whole path before any socket is open.
            asyncio.run(post_events(target, 10, 0.1))
            time.sleep(0.5)
            rss_idle = target.server.rss_bytes()
            spec = {"url": target.ws_url, "origin": target.origin, "cookie": target.cookie,
                    "protocol": target.protocol, "max_seconds": 900}
            clients = start_clients({**spec, "count": sockets}, math.ceil(sockets / SOCKETS_PER_CLIENT_PROCESS))
            ready = [client.expect("ready", 180) for client in clients]
            connected = sum(state["connected"] for state in ready)
            extensions = sorted({ext for state in ready for ext in state["extensions"]})
            for state in ready:
                if state["failed"]:
                    print(f"  {name}: {len(state['failed'])}+ sockets failed, e.g. {state['failed'][0]}", flush=True)
            asyncio.run(post_events(target, 10, WARM_UP_EVENTS / 10))
            time.sleep(1.0)
            client_pids = [client.process.pid for client in clients]
            load_start = machine()["load"]
            profiler = None
            if profile and name in DASHBOARDS:  # py-spy on the gunicorn worker (the master's only child)
                profiler = Profiler(target.server.pids()[-1], Path(folder) / "profile.txt", seconds + 2)
            # Counted from here: a warm-up push can miss a socket whose handshake the server had answered but
            # not yet registered (a real page catches up with `since`), and must not hold up the drain.
            before = frames_received(clients)
            cpu_start, client_cpu_start, started = target.server.cpu_seconds(), _cpu(client_pids), time.monotonic()
            posted = asyncio.run(post_events(target, rate, seconds))
            drain = wait_for_frames(clients, before + connected * len(posted))
            cpu_used, elapsed = target.server.cpu_seconds() - cpu_start, time.monotonic() - started
            client_cpu = _cpu(client_pids) - client_cpu_start
            rss_loaded = target.server.rss_bytes()
            for client in clients:
                client.command("stop")
            results = [client.expect("results", 120) for client in clients]
            if profiler is not None:
                print(profiler.finish(), flush=True)
        finally:
            for client in clients:
                client.close()
            target.stop()
    latencies, delivered, lost = [], 0, 0
    frames = sum(sum(result["counts"]) for result in results)
    for result in results:
        for times in result["times"]:
            seen = {}
            for key, at in times:
                if key in posted and key not in seen:
                    seen[key] = at
            delivered += len(seen)
            lost += len(posted) - len(seen)
            latencies += [at - posted[key] for key, at in seen.items()]
    lost += (sockets - connected) * len(posted)  # a socket that never opened received nothing
    row = {"server": name, "N": sockets, "connected": connected, "deflate": "yes" if any(
        "deflate" in ext for ext in extensions) else "no", "events": len(posted), "delivered": delivered,
        "lost": lost, "frame B": round(sum(result["characters"] for result in results) / max(1, frames)),
        **summary_ms(latencies),
        "CPU µs/msg": cpu_used / delivered * 1e6 if delivered else float("nan"),
        "server CPU %": cpu_used / elapsed * 100, "KB/socket": (rss_loaded - rss_idle) / 1024 / max(1, connected),
        "client CPU %": client_cpu / elapsed * 100, "load": f"{load_start[0]:.1f}→{machine()['load'][0]:.1f}",
        "closed": sum(result["closed"] for result in results), "drain s": drain}
    return row


def frames_received(clients) -> int:
    """Frames the sockets hold so far, over every load process."""
    received = 0
    for client in clients:
        client.command("count")
        received += client.expect("count", 30)
    return received


def wait_for_frames(clients, expected: int) -> float:
    """Wait until the sockets hold `expected` frames (or DRAIN_SECONDS pass); return the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        if frames_received(clients) >= expected:
            break
        time.sleep(0.1)
    return time.monotonic() - started


def _cpu(pids: list[int]) -> float:
    from measure import cpu_seconds
    return cpu_seconds(pids)


def ratios(rows: list[dict]) -> list[str]:
    """Every ratio issue 9 asks for, per N: dashboard against the bare broadcaster and Flask-SocketIO."""
    lines = []
    for sockets in sorted({row["N"] for row in rows}):
        by = {row["server"]: row for row in rows if row["N"] == sockets}
        for dashboard in DASHBOARDS:
            if dashboard in by:
                lines += compare(dashboard, by, sockets)
    return lines


def ratio(mine: float, theirs: float) -> float:
    """mine / theirs, or NaN (printed as nan, never MET) when theirs measured as nothing."""
    return mine / theirs if theirs > 0 else float("nan")


def compare(dashboard: str, by: dict, sockets: int) -> list[str]:
    """One dashboard row against the targets and the other servers."""
    mine, lines = by[dashboard], []
    lines.append(f"{dashboard}, N = {sockets}:")
    lines.append(f"  memory: {mine['KB/socket']:.1f} KB per socket (target ≤ 40) -> "
                 f"{'MET' if mine['KB/socket'] <= 40 else 'MISSED'}")
    lines.append(f"  lost: {mine['lost']} (target 0) -> {'MET' if mine['lost'] == 0 else 'MISSED'}")
    for other in SERVERS[2:]:
        theirs = by.get(other)
        if theirs is None:
            continue
        # A quick run may end before the other server used a measurable slice of CPU (psutil counts in 10 ms).
        cpu = ratio(mine["CPU µs/msg"], theirs["CPU µs/msg"])
        p99 = ratio(mine["p99"], theirs["p99"])
        memory = ratio(mine["KB/socket"], theirs["KB/socket"])
        verdict = ""
        if other == "bare":
            verdict = (f"  [CPU target ≤ 1.5x: {'MET' if cpu <= 1.5 else 'MISSED'}; "
                       f"p99 target ≤ 1.2x: {'MET' if p99 <= 1.2 else 'MISSED'}]")
        elif other == "socketio-gevent":
            better = cpu < 1 and p99 < 1 and memory < 1
            verdict = f"  [better on all three: {'MET' if better else 'MISSED'}]"
        lines.append(f"  {dashboard} / {other}: CPU per message {cpu:.2f}x, p99 {p99:.2f}x, "
                     f"memory per socket {memory:.2f}x{verdict}")
    return lines


def main() -> int:
    """Run the chosen servers at each N and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 20 for 2 s: a smoke run")
    parser.add_argument("--sockets", type=int, nargs="+", help="N values (default 100 500 1000)")
    parser.add_argument("--seconds", type=float, help="posting window per run (default 10)")
    parser.add_argument("--rate", type=float, default=10.0, help="webhooks per second (default 10)")
    parser.add_argument("--profile", action="store_true", help="py-spy the dashboard's worker while it posts")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated subset of {SERVERS}")
    args = parser.parse_args()
    sockets = args.sockets or ([20] if args.quick else [100, 500, 1000])
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    names = [name for name in args.servers.split(",") if name]
    unknown = set(names) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers {sorted(unknown)}")
    print_header(f"fan-out: N = {sockets}, {args.rate:g} webhooks/s for {seconds:g} s, servers {names}")
    rows, frame_bytes, failed = [], 1100, []
    for count in sockets:
        for name in names:
            try:
                row = run_one(name, count, args.rate, seconds, frame_bytes, args.profile)
            except Exception as error:  # one server failing is a finding: the others still run
                print(f"  {name} N={count}: FAILED: {type(error).__name__}: {error}"[:600], flush=True)
                failed.append((name, count))
                continue
            rows.append(row)
            if name in DASHBOARDS:
                frame_bytes = row["frame B"]  # the comparison servers then push frames of the same size
            print(f"  {name} N={count}: lost {row['lost']}, p99 {row['p99']:.1f} ms, "
                  f"{row['CPU µs/msg']:.1f} µs CPU/msg, {row['KB/socket']:.1f} KB/socket, load {row['load']}",
                  flush=True)
    print()
    print(table(rows, ["server", "N", "connected", "deflate", "events", "delivered", "lost", "frame B", "p50", "p95",
                       "p99", "max", "CPU µs/msg", "server CPU %", "KB/socket", "client CPU %", "closed", "drain s",
                       "load"]))
    print("\nlatency in ms from the start of the POST to receipt; CPU µs/msg = server CPU / delivered messages")
    print("\n".join(ratios(rows)))
    total_lost = sum(row["lost"] for row in rows)
    print(f"\nlost messages in total: {total_lost}")
    if failed:
        print(f"runs that failed (see above): {failed}")
    print_footer()
    return 0 if total_lost == 0 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
