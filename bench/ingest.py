"""Ingest: sustained webhooks per second through the real receiver, with 100 pages connected.

    python bench/ingest.py            # 10 s of webhooks on 8 keep-alive connections, 100 sockets
    python bench/ingest.py --quick    # 2 s
    python bench/ingest.py --workers 2   # two gunicorn workers, pushes between them through a redis-server

The dashboard runs as in production (`gunicorn -c gunicorn.conf.py`, 1 gevent worker) against the
standalone sandbox as its API. Every webhook is unique (so it is verified, deduped, stored and published)
except one in ten, which repeats an earlier delivery id as a sender's retry does (acknowledged, not
applied twice). Two rates are printed: *accepted* (2xx answers per second) and *published* (applied
events that reached all 100 sockets, per second, from the first POST to the last frame). The baseline is
a Flask endpoint that only answers 200 (bench/bare_flask.py) on the same stack: gunicorn, 1 gevent worker.

Kinds (`--kind`): `rows` (a run's state changed: its row and detail are pushed; default) and `status`
(a run's status changed: home's counters are pushed too, which re-reads them from the API).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import time
import uuid
from pathlib import Path

from common import BENCH, machine, print_footer, print_header, temporary_folder
from httpclient import WEBHOOK_HEADERS, HttpClient, webhook_payload
from loadclient import start_clients
from measure import Profiler, cpu_seconds, summary_ms, table, wait_idle
from processes import create_account, signed_in_cookie, spawn, start_dashboard, start_sandbox, stop

from tests.support.servers import free_port, server_environment, venv_bin
from tests.support.services import RedisServer, redis_executable

CONNECTIONS = 8  # concurrent senders; Recrubo's webhook workers are a handful of connections too
SOCKETS = 100
REDELIVERY_SHARE = 0.1
DRAIN_SECONDS = 60.0  # the longest wait for the last frame after the last POST


async def blast(url: str, seconds: float, kind: str) -> dict:
    """POST webhooks as fast as the server answers on CONNECTIONS connections for `seconds`."""
    deadline = time.monotonic() + seconds
    fields = ("status",) if kind == "status" else ("state",)
    recent: list[bytes] = []
    stats = {"ok": 0, "failed": 0, "applied": 0, "first_error": "", "posted": {}}

    async def sender() -> None:
        client = HttpClient(url)
        try:
            while time.monotonic() < deadline:
                if recent and random.random() < REDELIVERY_SHARE:
                    body, applied = random.choice(recent), 0  # a retry: same id, same content
                else:
                    key = str(uuid.uuid4())
                    body, applied = webhook_payload(key, fields=fields), 1
                    recent.append(body)
                    del recent[:-50]
                    stats["posted"][key] = time.monotonic()  # webhook-to-screen runs from here
                try:
                    status, answer = await client.request("POST", "/webhooks/recrubo", body, WEBHOOK_HEADERS)
                except Exception as error:  # counted; the connection is opened again
                    status, answer = 0, repr(error).encode()
                    await client.close()
                if status == 200:
                    stats["ok"] += 1
                    stats["applied"] += applied
                else:
                    stats["failed"] += 1
                    stats["first_error"] = stats["first_error"] or f"{status} {answer[:200]!r}"
        finally:
            await client.close()

    started = time.monotonic()
    await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))
    stats["seconds"] = time.monotonic() - started
    return stats


def measure(name: str, server, seconds: float, kind: str, clients: list, profile_path: Path | None,
            warm_up_frames: float = 0.0) -> dict:
    """Blast one server, wait for its sockets (if any) to have every applied event, and measure."""
    pids = server.pids()
    profiler = Profiler(pids[-1], profile_path, seconds + 5) if profile_path else None
    messages_before = sum(_ask(client, "messages") for client in clients)  # pings included: 1 per 25 s
    cpu_start, load_start, started = cpu_seconds(pids), machine()["load"], time.monotonic()
    stats = asyncio.run(blast(server.url, seconds, kind))
    published_seconds = drain_seconds = float("nan")
    frames_per_socket = 0.0
    if clients:
        expected = stats["applied"]
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < DRAIN_SECONDS:
            frames_per_socket = sum(_count(client) for client in clients) / SOCKETS - warm_up_frames
            if frames_per_socket >= expected:
                break
            time.sleep(0.2)
        drain_seconds = time.monotonic() - drain_started
        published_seconds = time.monotonic() - started
    cpu = cpu_seconds(pids) - cpu_start
    messages = (sum(_ask(client, "messages") for client in clients) - messages_before) / SOCKETS
    row = {"server": name, "kind": kind if clients else "-", "POSTs": stats["ok"] + stats["failed"],
           "failed": stats["failed"], "accepted/s": stats["ok"] / stats["seconds"],
           "applied": stats["applied"] if clients else "-",
           "pushed/socket": round(frames_per_socket) if clients else "-",
           "messages/socket": round(messages) if clients else "-",
           "published/s": frames_per_socket / published_seconds if clients else "-",
           "drain s": drain_seconds if clients else "-",
           "CPU ms/webhook": cpu / max(1, stats["ok"]) * 1000,
           "load": f"{load_start[0]:.1f}→{machine()['load'][0]:.1f}"}
    if clients:
        row["_posted"] = stats["posted"]
    if stats["first_error"]:
        print(f"  {name}: first failure {stats['first_error']}", flush=True)
    if profiler is not None:
        print(profiler.finish(), flush=True)
    return row


def screen_latency(posted: dict[str, float], results: list[dict]) -> dict:
    """p50/p99 from the start of each applied webhook's POST to its row arriving, over every socket."""
    latencies = []
    for result in results:
        for times in result["times"]:
            seen: dict[str, float] = {}
            for key, at in times:
                if key in posted and key not in seen:
                    seen[key] = at
            latencies += [at - posted[key] for key, at in seen.items()]
    summary = summary_ms(latencies)
    return {"screen p50 ms": summary["p50"], "screen p99 ms": summary["p99"]}


def _count(client) -> int:
    return _ask(client, "count")


def _ask(client, what: str) -> int:
    client.command(what)
    return client.expect(what, 30)


def warm_up(server, kind: str, clients: list, events: int = 5) -> float:
    """Publish a few events and wait until every socket has them: templates compiled, pools filled."""
    async def post() -> None:
        client = HttpClient(server.url)
        for _ in range(events):
            await client.request("POST", "/webhooks/recrubo", webhook_payload(
                str(uuid.uuid4()), fields=("status",) if kind == "status" else ("state",)), WEBHOOK_HEADERS)
        await client.close()
    asyncio.run(post())
    deadline = time.monotonic() + 30
    while (frames := sum(_count(client) for client in clients) / SOCKETS) < events and time.monotonic() < deadline:
        time.sleep(0.1)
    return frames


def run_dashboard(seconds: float, kind: str, profile: bool, tmpfs: bool = False,
                  profile_out: Path | None = None, workers: int = 1) -> dict:
    """Measure the dashboard's receiver with SOCKETS sockets open: start its servers, post, always stop them."""
    with temporary_folder("ingest") as folder, temporary_folder("ingest-shm", "/dev/shm") as memory:
        tmp = Path(folder)
        api = server = redis = None
        clients = []
        # --tmpfs: the same server with its SQLite file in memory, where a commit's fsync costs nothing:
        # what the receiver could do if commits did not wait for the disk (an experiment, not a setting to ship).
        database = {"DATABASE_URL": f"sqlite:///{memory}/dashboard.db"} if tmpfs else {}
        try:
            if workers > 1:
                # Each worker has its own sockets: a push reaches the other worker's through Redis, as in production.
                redis = RedisServer(redis_executable(), free_port(), tmp / "redis.log")
                redis.start()
                database.update(WEB_CONCURRENCY=str(workers), REDIS_URL=redis.url)
            api = start_sandbox(tmp)
            server = start_dashboard(tmp, RECRUBO_API_URL=f"{api.url}/public/v2", **database)
            create_account(server)
            spec = {"url": server.url.replace("http://", "ws://") + "/live?watch=flowRuns", "origin": server.url,
                    "cookie": signed_in_cookie(server), "protocol": "plain", "count": SOCKETS, "max_seconds": 600,
                    "record": True}  # each row's arrival: webhook-to-screen latency
            clients = start_clients(spec, 1)
            ready = clients[0].expect("ready", 120)
            if ready["connected"] != SOCKETS:
                raise RuntimeError(f"only {ready['connected']} of {SOCKETS} sockets opened: {ready['failed']}")
            warm_up_frames = warm_up(server, kind, clients)
            wait_idle(server)  # the read model's first backfill (issue 18) runs at start: not part of ingest
            name = "dashboard, db on tmpfs" if tmpfs else "dashboard"
            name += f", {workers} workers" if workers > 1 else ""
            row = measure(name, server, seconds, kind, clients, tmp / "profile.txt" if profile else None,
                          warm_up_frames)
            if profile and profile_out and (tmp / "profile.txt").exists():
                shutil.copyfile(tmp / "profile.txt", profile_out.with_suffix(".tmpfs.txt") if tmpfs else profile_out)
            for client in clients:
                client.command("stop")
            results = [client.expect("results", 120) for client in clients]
            return {**row, **screen_latency(row.pop("_posted"), results)}
        finally:
            for client in clients:
                client.close()
            stop(server)
            stop(api)
            if redis is not None:
                redis.stop()


def run_bare(seconds: float) -> dict:
    """Measure the bare Flask endpoint on the same stack, for the ratio."""
    with temporary_folder("ingest-bare") as folder:
        port = free_port()
        server = None
        try:
            server = spawn("bare-flask", [venv_bin("gunicorn"), "-w", "1", "-k", "gevent", "--worker-connections",
                                          "10000", "-b", f"127.0.0.1:{port}", "--no-control-socket", "bare_flask:app"],
                           server_environment(), Path(folder) / "bare-flask.log", f"http://127.0.0.1:{port}",
                           "/healthz", cwd=BENCH)
            asyncio.run(blast(server.url, 0.3, "rows"))
            return measure("bare Flask 200", server, seconds, "rows", [], None)
        finally:
            stop(server)


def main() -> int:
    """Parse the arguments, run the measurements and print them; exit 1 when a run failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s of webhooks")
    parser.add_argument("--seconds", type=float, help="sending window (default 10)")
    parser.add_argument("--kind", choices=("rows", "status"), nargs="+", default=["rows"])
    parser.add_argument("--profile", action="store_true", help="py-spy the dashboard's worker while it ingests")
    parser.add_argument("--profile-out", type=Path, help="with --profile: keep py-spy's collapsed stacks here")
    parser.add_argument("--workers", type=int, default=1,
                        help="gunicorn workers for the dashboard (more than one: a redis-server carries the pushes)")
    parser.add_argument("--tmpfs", action="store_true",
                        help="also run `rows` with the dashboard's SQLite file on /dev/shm (no fsync cost)")
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    print_header(f"ingest: {CONNECTIONS} senders for {seconds:g} s, {SOCKETS} sockets open, kinds {args.kind}")
    rows = [run_bare(seconds)]
    for kind in args.kind:
        rows.append(run_dashboard(seconds, kind, args.profile, profile_out=args.profile_out, workers=args.workers))
    if args.tmpfs:
        rows.append(run_dashboard(seconds, "rows", args.profile, tmpfs=True, profile_out=args.profile_out,
                                  workers=args.workers))
    print()
    print(table(rows, ["server", "kind", "POSTs", "failed", "accepted/s", "applied", "pushed/socket", "messages/socket",
                       "published/s", "drain s", "screen p50 ms", "screen p99 ms", "CPU ms/webhook", "load"]))
    bare = rows[0]
    for row in rows[1:]:
        print(f"{row['server']} ({row['kind']}): published {row['published/s']:.0f}/s (target ≥ 1000: "
              f"{'MET' if row['published/s'] >= 1000 else 'MISSED'}), ratio to bare Flask "
              f"{row['published/s'] / bare['accepted/s']:.2f} (target ≥ 0.3: "
              f"{'MET' if row['published/s'] / bare['accepted/s'] >= 0.3 else 'MISSED'}); webhook-to-screen p99 "
              f"{row['screen p99 ms']:.0f} ms (target ≤ 100: {'MET' if row['screen p99 ms'] <= 100 else 'MISSED'}); "
              f"accepted {row['accepted/s']:.0f}/s ({row['accepted/s'] / bare['accepted/s']:.2f}x bare); CPU per "
              f"webhook {row['CPU ms/webhook'] / bare['CPU ms/webhook']:.1f}x bare")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
