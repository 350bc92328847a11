"""Measuring a server from outside: CPU and memory from /proc, percentiles and tables, waiting for a backlog
to drain, and py-spy profiles of a worker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import ROOT

from tests.support.servers import venv_bin

if TYPE_CHECKING:
    from processes import BenchServer

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far (all their threads), from /proc/PID/stat."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the man page)
    return total / CLOCK_TICKS


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes, from /proc/PID/statm."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values, NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of durations given in seconds, in milliseconds."""
    return {name: percentile(seconds, p) * 1000 for name, p in (("p50", 50), ("p95", 95), ("p99", 99))} | \
        {"max": max(seconds) * 1000 if seconds else float("nan")}


def table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table of rows (dicts) in the given column order."""
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.1f}" if abs(value) >= 10 or value == 0 else f"{value:.2f}"
        return str(value)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(column, "")) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def wait_idle(server: BenchServer, seconds: float = 180, threshold: float = 0.10) -> float:
    """Wait until the server used under `threshold` of a core for a whole second (a backlog digested)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        before = server.cpu_seconds()
        time.sleep(1.0)
        if server.cpu_seconds() - before < threshold:
            break
    return time.monotonic() - started


# --- profiling ---------------------------------------------------------------------------------------------------

class Profiler:
    """py-spy sampling one process (a gunicorn worker) into a collapsed-stack file while a benchmark runs."""

    def __init__(self, pid: int, path: Path, seconds: float) -> None:
        self.path = path
        self.process = subprocess.Popen([venv_bin("py-spy"), "record", "--pid", str(pid), "--rate", "200",
                                         "--duration", str(max(1, int(seconds))), "--format", "raw",
                                         "--output", str(path), "--nonblocking"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def finish(self) -> str:
        """Wait for py-spy (bounded), then return a summary of where the samples were."""
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if not self.path.exists():
            return f"py-spy wrote nothing: {self.process.stderr.read().decode()[-500:]}"
        return summarize_profile(self.path)


def summarize_profile(path: Path, top: int = 12) -> str:
    """Where the worker's samples went, from py-spy's collapsed stacks: the project's own functions by
    inclusive share (what a change in dashboard/ could save), and the leaf functions by self share."""
    inclusive: dict[str, int] = {}
    leaves: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        labels = [_frame_label(frame) for frame in stack.split(";")]
        for label in set(labels):
            if label.startswith(("dashboard/", "sandbox/")):
                inclusive[label] = inclusive.get(label, 0) + samples
        leaves[labels[-1]] = leaves.get(labels[-1], 0) + samples
    if not total:
        return "no samples"
    lines = [f"py-spy: {total} samples of the worker's busy time; project functions, inclusive:"]
    lines += [f"  {count / total * 100:5.1f}%  {label}" for count, label in
              sorted(((c, l) for l, c in inclusive.items()), reverse=True)[:top]]
    lines.append("leaf functions, self:")
    lines += [f"  {count / total * 100:5.1f}%  {label}" for count, label in
              sorted(((c, l) for l, c in leaves.items()), reverse=True)[:top]]
    return "\n".join(lines)


def _frame_label(frame: str) -> str:
    """'function (/abs/path/file.py:12)' -> 'dashboard/file.py:function' or 'library/file.py:function'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    where = where.split("/site-packages/")[-1].split("/lib/python3")[-1].replace(str(ROOT) + "/", "")
    return f"{where}:{name}"
