"""Sandbox engine: flow runs advanced per second and webhook deliveries per second.

    python bench/sandbox_engine.py            # 20 s, SANDBOX_TIME_SCALE=1000
    python bench/sandbox_engine.py --quick    # 5 s

The standalone sandbox (`python -m sandbox`, demo seed: ~50 message threads with simulated candidates)
runs with its clock sped up (SANDBOX_TIME_SCALE) so waits are not what is measured, and posts its webhooks
to a receiver in this process that answers 200 at once and counts them. This process keeps a run going on
every thread through the public API (`POST /flow-runs`, as the dashboard's launch form does), launching a
new one whenever a run ends. Printed: run steps per second (flowRuns update webhooks: each is a run that
moved), runs finished per second, webhook deliveries per second by resource, and the sandbox's CPU per
delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from common import machine, print_footer, print_header, temporary_folder
from launcher import RunLauncher
from measure import Profiler, cpu_seconds
from processes import start_sandbox, stop

from tests.support.servers import free_port

TERMINAL = {"finished", "timeout", "exception", "cancelled"}


class Receiver:
    """An asyncio HTTP/1.1 receiver on its own thread: answers every POST 200 and tallies the payloads."""

    def __init__(self) -> None:
        self.port = free_port()
        self.counts: Counter = Counter()
        self.ended: list[str] = []  # threads whose run just ended, to relaunch
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await reader.readline():
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                if request.startswith(b"POST"):
                    self._tally(body)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _tally(self, body: bytes) -> None:
        attributes = json.loads(body)["data"]["attributes"]
        resource = attributes["resource"]
        with self.lock:
            self.counts[f"{resource['type']} {attributes['event']}"] += 1
            self.counts["all"] += 1
            status = resource.get("attributes", {}).get("status")
            if resource["type"] == "flowRuns" and attributes["event"] == "update" and status in TERMINAL:
                self.counts["runs ended"] += 1
                self.ended.append(resource["attributes"]["messageThreadId"])

    def snapshot(self) -> Counter:
        """Webhook deliveries per event so far."""
        with self.lock:
            return Counter(self.counts)

    def take_ended(self) -> list[str]:
        """The run ids whose end was delivered since the last call."""
        with self.lock:
            ended, self.ended = self.ended, []
        return ended

    def close(self) -> None:
        """Stop serving and free the port."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        for task in asyncio.all_tasks(self.loop):  # idle keep-alive connections: nothing left to answer
            task.cancel()


def main() -> int:
    """Parse the arguments, run the engine under load and print its rates."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s")
    parser.add_argument("--seconds", type=float, help="measuring window (default 20)")
    parser.add_argument("--profile", action="store_true", help="py-spy the sandbox while it runs")
    parser.add_argument("--time-scale", type=float, default=1000.0, help="SANDBOX_TIME_SCALE (default 1000)")
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    print_header(f"sandbox engine: {seconds:g} s with a run on every thread, SANDBOX_TIME_SCALE={args.time_scale:g}")
    receiver = Receiver()
    with temporary_folder("sandbox") as folder:
        sandbox = launcher = None
        try:
            sandbox = start_sandbox(Path(folder), SANDBOX_TIME_SCALE=f"{args.time_scale:g}",
                                    SANDBOX_WEBHOOK_URL=f"http://127.0.0.1:{receiver.port}/webhooks")
            launcher = RunLauncher(f"{sandbox.url}/public/v2")
            time.sleep(1.0)  # the engine plays out the seed's live runs first
            launcher.launch_everywhere()
            time.sleep(1.0)
            profiler = Profiler(sandbox.process.pid, Path(folder) / "profile.txt", seconds) if args.profile else None
            before, cpu_start, load_start = receiver.snapshot(), cpu_seconds(sandbox.pids()), machine()["load"]
            started = time.monotonic()
            round_number = 1
            while time.monotonic() - started < seconds:
                for thread_id in receiver.take_ended():  # keep every thread busy
                    launcher.launch(thread_id, round_number)
                    round_number += 1
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            after, cpu = receiver.snapshot(), cpu_seconds(sandbox.pids()) - cpu_start
            threads, launched, refused = len(launcher.thread_ids), launcher.launched, launcher.refused
            if profiler is not None:
                print(profiler.finish())
        finally:
            if launcher is not None:
                launcher.close()
            stop(sandbox)
            receiver.close()
    delta = after - before
    print(f"threads: {threads}; runs launched: {launched} ({refused} refused: thread still busy)")
    print(f"run steps (flowRuns update webhooks): {delta['flowRuns update'] / elapsed:.1f}/s")
    print(f"runs ended (finished, timeout, exception, cancelled): {delta['runs ended'] / elapsed:.1f}/s")
    print(f"webhook deliveries: {delta['all'] / elapsed:.1f}/s in all")
    for name, count in sorted(delta.items()):
        if name not in ("all", "runs ended"):
            print(f"  {name}: {count / elapsed:.1f}/s")
    print(f"sandbox CPU: {cpu / elapsed * 100:.0f}% of a core, "
          f"{cpu / max(1, delta['all']) * 1000:.2f} ms per delivery; "
          f"load {load_start[0]:.1f}→{machine()['load'][0]:.1f}")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
