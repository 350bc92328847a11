"""The load generator's socket side: one process holding many real websocket clients on one asyncio loop.

A parent (fanout.py, ingest.py, reconnect.py) starts `ClientProcess`es, each of which opens its share of
sockets as a browser would (Origin, the session cookie, Chromium's `permessage-deflate` offer), notes the
monotonic time every push arrives (CLOCK_MONOTONIC is one clock for all processes on Linux, so the
parent's POST times and these receive times compare directly), and hands everything back when told to
stop. Asyncio, not a thread per socket: 1,000 sockets cost this process a few percent of a core at 10
pushes a second, so the server, not the load generator, is what gets measured.

Protocols: `plain` (the dashboard's /live and the bare broadcaster: one text frame per push, or, from the
dashboard, one for several pushes due within a few ms, which lists their `seqs`: each counts) and
`socketio` (Engine.IO 4 over a websocket, as Flask-SocketIO speaks it: open, join, answer pings).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

MARK = "flow-run-"  # every push carries the id of the run it is about: the key the parent posted
KEY_LENGTH = 36
CONNECT_CONCURRENCY = 50  # handshakes in flight at once, like many browsers opening a page at once
RECONNECT_FIRST, RECONNECT_MAX, RECONNECT_JITTER = 0.5, 60.0, 0.3  # htmx 4 hx-ws defaults (stack-notes §1)


@dataclass
class Socket:
    """One simulated browser tab: what it received, and (reconnect benchmark) its catch-up state."""

    number: int
    ws: object = None
    times: list = field(default_factory=list)  # (key, monotonic receive time)
    count: int = 0
    marked: int = 0  # frames that carry a run id (pushes, not pings)
    characters: int = 0
    seq: int = 0
    closed_unexpectedly: int = 0
    reconnect_attempts: int = 0
    reopened_at: float | None = None
    reloads: int = 0


class Load:
    """The sockets of one process and what they do with each frame."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.sockets = [Socket(number) for number in range(spec["count"])]
        self.stopping = False
        self.tasks: list[asyncio.Task] = []
        self.extensions: set[str] = set()
        self.failed: list[str] = []

    def url(self, sock: Socket) -> str:
        """The URL a socket connects to (with `since` once it has seen frames)."""
        url = self.spec["url"]
        if self.spec.get("since") and sock.seq:
            url += f"&since={sock.seq}"
        return url

    async def open(self, sock: Socket) -> None:
        """Open one socket (headers as a browser sends them), recording failures instead of raising."""
        headers = {"Cookie": self.spec["cookie"]} if self.spec.get("cookie") else {}
        sock.ws = await connect(self.url(sock), origin=self.spec["origin"], additional_headers=headers,
                                compression="deflate",  # offers exactly Chromium's extension header
                                ping_interval=None,  # browsers never ping; they answer the server's pings
                                max_size=2 ** 22, open_timeout=60, close_timeout=2)
        self.extensions.add(sock.ws.response.headers.get("Sec-WebSocket-Extensions") or "none")
        if self.spec["protocol"] == "socketio":
            opened = await asyncio.wait_for(sock.ws.recv(), 30)
            assert opened.startswith("0"), opened
            await sock.ws.send("40")
            while not (await asyncio.wait_for(sock.ws.recv(), 30)).startswith("40"):
                pass

    async def open_all(self) -> float:
        """Open every socket, a batch at a time; return the seconds it took."""
        started = time.monotonic()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(sock: Socket) -> None:
            async with gate:
                try:
                    await self.open(sock)
                except Exception as error:  # counted and reported: a refused socket is a finding
                    self.failed.append(f"{type(error).__name__}: {error}"[:200])
                    return
            self.tasks.append(asyncio.create_task(self.listen(sock)))

        await asyncio.gather(*(one(sock) for sock in self.sockets))
        return time.monotonic() - started

    def on_frame(self, sock: Socket, data: str, now: float) -> None:
        """Record a frame a socket received: its key and when."""
        if self.spec["protocol"] == "socketio":
            if data == "2":  # Engine.IO ping: a socket that never answers is closed by the server
                asyncio.ensure_future(sock.ws.send("3"))
                return
        at = data.find(MARK)
        sock.count += 1
        sock.characters += len(data)
        if self.spec.get("since") and data.startswith('{"seq":'):
            sock.seq = max(sock.seq, int(data[7:data.index(",", 7)]))
        elif self.spec.get("since") and '"reload"' in data:
            sock.reloads += 1
        if at < 0:
            return
        seqs = data.find('"seqs":[', 0, 40)  # a message the hub coalesced: several pushes, one key each
        if seqs < 0:
            sock.marked += 1
            if self.spec.get("record", True):
                sock.times.append((data[at + len(MARK):at + len(MARK) + KEY_LENGTH], now))
            return
        sock.marked += data.count(",", seqs, data.index("]", seqs)) + 1
        if self.spec.get("record", True):
            keys: dict[str, None] = {}
            while at >= 0:
                keys[data[at + len(MARK):at + len(MARK) + KEY_LENGTH]] = None
                at = data.find(MARK, at + len(MARK) + KEY_LENGTH)
            sock.times.extend((key, now) for key in keys)

    async def listen(self, sock: Socket) -> None:
        """Read a socket until it closes, reconnecting as hx-ws does when asked to."""
        while not self.stopping:
            try:
                async for data in sock.ws:
                    self.on_frame(sock, data, time.monotonic())
            except ConnectionClosed:
                pass
            if self.stopping:
                return
            sock.closed_unexpectedly += 1
            if not self.spec.get("since"):
                return  # the fan-out benchmark does not reconnect: a closed socket is reported
            await self.reconnect(sock)

    async def reconnect(self, sock: Socket) -> None:
        """What hx-ws does after a drop: wait 0.5 s ± 30 %, doubling up to 60 s, and open again with since=seq."""
        deadline = time.monotonic() + self.spec.get("reconnect_seconds", 120)
        attempt = 0
        while not self.stopping and time.monotonic() < deadline:
            attempt += 1
            delay = min(RECONNECT_FIRST * 2 ** (attempt - 1), RECONNECT_MAX)
            await asyncio.sleep(delay * random.uniform(1 - RECONNECT_JITTER, 1 + RECONNECT_JITTER))
            sock.reconnect_attempts += 1
            try:
                await self.open(sock)
                sock.reopened_at = time.monotonic()
                return
            except Exception as error:
                if attempt == 1:
                    self.failed.append(f"reconnect {type(error).__name__}: {error}"[:200])

    def drop_all(self) -> float:
        """Cut every socket at once, as a network blip does (no close frame: the server sees a reset)."""
        for sock in self.sockets:
            if sock.ws is not None:
                sock.reopened_at = None
                sock.ws.transport.abort()
        return time.monotonic()

    async def close_all(self) -> None:
        """Close every socket."""
        self.stopping = True
        for task in self.tasks:
            task.cancel()
        for sock in self.sockets:
            if sock.ws is not None:
                sock.ws.transport.abort()
        await asyncio.sleep(0)

    def results(self) -> dict:
        """What the sockets received, for the parent to measure."""
        return {"times": [sock.times for sock in self.sockets], "counts": [sock.count for sock in self.sockets],
                "characters": sum(sock.characters for sock in self.sockets),
                "closed": sum(sock.closed_unexpectedly for sock in self.sockets),
                "reopened": [sock.reopened_at for sock in self.sockets],
                "reloads": sum(sock.reloads for sock in self.sockets),
                "failed": self.failed[:5], "failed_count": len(self.failed),
                "cpu": time.process_time()}


async def serve(conn, spec: dict) -> None:
    """Open the sockets, report ready, then obey the parent's commands ('drop', 'stop') until stopped."""
    load = Load(spec)
    seconds = await load.open_all()
    conn.send(("ready", {"seconds": seconds, "connected": len(load.tasks), "failed": load.failed[:5],
                         "extensions": sorted(load.extensions)}))
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    deadline = time.monotonic() + spec.get("max_seconds", 600)  # never outlives a crashed parent for long
    while time.monotonic() < deadline:
        try:
            command = await asyncio.wait_for(commands.get(), timeout=max(0.1, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if command == "count":
            conn.send(("count", sum(sock.marked for sock in load.sockets)))
        elif command == "messages":  # websocket messages received (a coalesced one carries several pushes)
            conn.send(("messages", sum(sock.count for sock in load.sockets)))
        elif command == "drop":
            conn.send(("dropped", load.drop_all()))
        elif command == "stop":
            break
    loop.remove_reader(conn.fileno())
    await load.close_all()
    conn.send(("results", load.results()))


def _run(conn, spec: dict) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(conn, spec))


class ClientProcess:
    """A child process holding `spec['count']` sockets; the parent talks to it through a pipe."""

    def __init__(self, spec: dict) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_run, args=(child, spec), daemon=True)
        self.process.start()

    def expect(self, kind: str, seconds: float) -> Any:
        """Wait at most `seconds` for the child's message of `kind` and return its value."""
        if not self.conn.poll(seconds):
            raise TimeoutError(f"load client sent no {kind!r} within {seconds:.0f} s")
        got, value = self.conn.recv()
        if got != kind:
            raise RuntimeError(f"load client sent {got!r}, expected {kind!r}")
        return value

    def command(self, command: str) -> None:
        """Send the child a command (count, drop, stop)."""
        self.conn.send(command)

    def close(self) -> None:
        """Make sure the child is gone (it is a daemon too, so it never outlives the parent)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


def start_clients(spec: dict, processes: int) -> list[ClientProcess]:
    """Split `spec['count']` sockets over `processes` client processes."""
    total = spec["count"]
    shares = [total // processes + (1 if index < total % processes else 0) for index in range(processes)]
    return [ClientProcess({**spec, "count": share}) for share in shares if share]
