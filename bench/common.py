"""What every benchmark shares: the machine's description, servers started and stopped cleanly,
CPU and memory read from /proc, percentiles, and a small keep-alive HTTP client.

Every server is started in its own process group on 127.0.0.1 and killed as a group, even when the
benchmark fails half-way, so no run leaves a server behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/x.py` from a clone: the project's packages import as in the app

from sandbox.defaults import DEMO_API_KEY, DEMO_WEBHOOK_SECRET  # noqa: E402  (the defaults both sides use)

BENCH = ROOT / "bench"
PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Chromium's offer: the servers under test see the same Sec-WebSocket-Extensions a browser sends.
BROWSER_EXTENSIONS = "permessage-deflate; client_max_window_bits"
EMAIL, PASSWORD = "bench@example.com", "a long benchmark password"


def venv_bin(name: str) -> str:
    """A console script of the Python running the benchmark (the project's .venv)."""
    return str(Path(PYTHON).with_name(name))


# --- the machine ---------------------------------------------------------------------------------------------

def machine() -> dict:
    """Cores, CPU model and load average now: printed before and after every run."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "load": os.getloadavg(),
            "python": platform.python_version()}


def print_header(title: str) -> dict:
    """Print what runs, where, and the exact command; return the machine as it was before."""
    before = machine()
    print(f"# {title}")
    print(f"command: {' '.join(shlex.quote(arg) for arg in [Path(PYTHON).name, *sys.argv])}  (cwd {ROOT})")
    print(f"machine: {before['cores']} cores, {before['cpu']}, Python {before['python']}")
    print(f"load average before: {fmt_load(before['load'])}")
    print(f"started: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}", flush=True)
    return before


def print_footer() -> None:
    """Print the load average after the run: figures taken on a busy machine say so."""
    print(f"load average after: {fmt_load(machine()['load'])}", flush=True)


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


# --- processes -----------------------------------------------------------------------------------------------

def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A server this benchmark started: its URL, process (leader of its own group) and log."""

    name: str
    url: str
    process: subprocess.Popen
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def pids(self) -> list[int]:
        """The server's processes now: the leader and every descendant (gunicorn's workers)."""
        try:
            leader = psutil.Process(self.process.pid)
            return [leader.pid] + [child.pid for child in leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def rss_bytes(self) -> int:
        return rss_bytes(self.pids())


def clean_environment(**overrides: str) -> dict[str, str]:
    """This environment without any dashboard or sandbox setting, plus `overrides`."""
    prefixes = ("RECRUBO_", "SANDBOX_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FRAME_ANCESTORS",
                "PORT", "INSTANCE_PATH", "WEB_CONCURRENCY", "BENCH_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(overrides)
    return env


def spawn(name: str, command: list[str], env: dict[str, str], log: Path, url: str, probe: str,
          cwd: Path = ROOT, seconds: float = 60) -> Server:
    """Start `command` in its own process group and wait until `url + probe` answers (any status)."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = Server(name, url, process, log, env)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url + probe, timeout=2)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"{name} did not answer {url + probe} within {seconds} s:\n{log.read_text()[-3000:]}")


def stop(server: Server | None) -> None:
    """SIGTERM the server's whole process group, then SIGKILL whatever is left after 10 s."""
    if server is None:
        return
    process = server.process
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    # The group may outlive its leader (a worker that ignored SIGTERM): kill it whole.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


# --- /proc ---------------------------------------------------------------------------------------------------

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


# --- statistics ----------------------------------------------------------------------------------------------

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


# --- the dashboard and its API --------------------------------------------------------------------------------

def start_sandbox(tmp: Path, **env: str) -> Server:
    """The standalone sandbox (`python -m sandbox`) as the Recrubo API, in its own process."""
    port = free_port()
    environment = clean_environment(SANDBOX_DATABASE=str(tmp / "sandbox.db"), **env)
    return spawn("sandbox", [PYTHON, "-m", "sandbox", "--port", str(port)], environment, tmp / "sandbox.log",
                 f"http://127.0.0.1:{port}", "/public/v2/organizations")


def start_dashboard(tmp: Path, **env: str) -> Server:
    """The dashboard exactly as production runs it: `gunicorn -c gunicorn.conf.py wsgi:app` (1 gevent worker)."""
    port = free_port()
    instance = tmp / "instance"
    environment = clean_environment(PORT=str(port), INSTANCE_PATH=str(instance), **env)
    server = spawn("dashboard", [venv_bin("gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], environment,
                   tmp / "dashboard.log", f"http://127.0.0.1:{port}", "/healthz")
    return server


def create_account(server: Server) -> None:
    """Add the benchmark's account with the operator CLI, on the server's own instance folder."""
    result = subprocess.run([venv_bin("flask"), "--app", "wsgi", "users", "create", EMAIL, "--password", PASSWORD],
                            cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and "exists" not in (result.stdout + result.stderr):
        raise RuntimeError(f"users create failed: {result.stdout}{result.stderr}")


def signed_in_cookie(server: Server) -> str:
    """Sign in through the real form (CSRF token included); return the Cookie header a browser would send."""
    import re

    session = requests.Session()
    page = session.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(f"{server.url}/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=10)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed with {response.status_code}: {response.text[:500]}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    session.close()
    return cookie


def webhook_payload(key: str, *, status: str = "running", fields: tuple[str, ...] = ("status",),
                    resource_type: str = "flowRuns", event: str = "update") -> bytes:
    """A webhookPayload (reference §8.2) for resource `key`: unique, so every one is applied and published."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    document = {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
        "webhookId": "5f0c8e2a-91b4-4d3e-a6f7-0b1c2d3e4f50", "event": event, "fields": list(fields),
        "resource": {"id": key, "type": resource_type, "attributes": {
            "flowId": "eb3c92e9-2548-4e4c-95d5-adfb94270c3f", "messageThreadId": "7125853f-26ac-4a65-9044-cab092806249",
            "state": {"name": "Jan"}, "status": status, "cost": 4, "createdAt": now, "updatedAt": now}}}}}
    return json.dumps(document).encode()


WEBHOOK_HEADERS = {"Content-Type": "application/vnd.api+json", "X-Recrubo-Webhook-Secret": DEMO_WEBHOOK_SECRET}


# --- a small keep-alive HTTP/1.1 client (cheap enough not to be the bottleneck) -------------------------------

class HttpClient:
    """One keep-alive HTTP/1.1 connection over asyncio streams; `request` returns (status, body)."""

    def __init__(self, url: str) -> None:
        rest = url.split("://", 1)[1]
        host, _, port = rest.partition(":")
        self.host, self.port = host, int(port.split("/")[0])
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None,
                      timeout: float = 30) -> tuple[int, bytes]:
        return await asyncio.wait_for(self._request(method, path, body, headers or {}), timeout)

    async def _request(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split()[1]), data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()  # at once: an unresponsive server never lets a graceful close finish
        self.reader = self.writer = None


def temporary_folder(prefix: str, parent: str | None = None) -> tempfile.TemporaryDirectory:
    """A scratch folder for one run's databases and logs, removed afterwards."""
    return tempfile.TemporaryDirectory(prefix=f"recrubo-bench-{prefix}-", dir=parent)


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


# --- the sandbox's API: launching runs ------------------------------------------------------------------------

class RunLauncher:
    """Launch flow runs on every message thread of a sandbox through its public API (as the dashboard's
    launch form does), one active run per thread as the API allows, relaunching as runs end."""

    def __init__(self, api_url: str, api_key: str = DEMO_API_KEY) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/vnd.api+json",
                                  "Content-Type": "application/vnd.api+json"})
        flows = self.list("flows", 50)
        threads = self.list("message-threads", 100)
        # A generated or built flow with nodes: the demo's warehouse / screening flows are such.
        self.flow_ids = [flow["id"] for flow in flows] or []
        self.thread_ids = [thread["id"] for thread in threads]
        self.launched = self.refused = 0

    def list(self, path: str, size: int) -> list[dict]:
        response = self.http.get(f"{self.api_url}/{path}", params={"page[size]": size}, timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    def total(self, path: str, **filters: str) -> int:
        params = {"page[size]": 1, **{f"filter[{name}]": value for name, value in filters.items()}}
        response = self.http.get(f"{self.api_url}/{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()["meta"]["total"]

    def launch(self, thread_id: str, number: int = 0) -> bool:
        """Start a run of one of the flows on a thread; False when the API refuses (thread busy)."""
        flow_id = self.flow_ids[number % len(self.flow_ids)]
        body = {"data": {"type": "flowRuns", "attributes": {"flowId": flow_id, "messageThreadId": thread_id}}}
        response = self.http.post(f"{self.api_url}/flow-runs", data=json.dumps(body), timeout=30)
        if response.status_code in (200, 201):
            self.launched += 1
            return True
        self.refused += 1
        return False

    def launch_everywhere(self, round_number: int = 0) -> int:
        """One launch attempt on every thread; return how many started."""
        return sum(self.launch(thread_id, round_number + index) for index, thread_id in enumerate(self.thread_ids))

    def close(self) -> None:
        self.http.close()


def wait_idle(server: Server, seconds: float = 180, threshold: float = 0.10) -> float:
    """Wait until the server used under `threshold` of a core for a whole second (a backlog digested)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        before = server.cpu_seconds()
        time.sleep(1.0)
        if server.cpu_seconds() - before < threshold:
            break
    return time.monotonic() - started
