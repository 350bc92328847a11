"""Real servers on free loopback ports: the dashboard as production runs it (gunicorn + gunicorn.conf.py) and
the standalone sandbox, started, waited for and stopped the same way by the tests and the benchmarks.

Nothing here imports the application: a benchmark imports this module without loading the dashboard.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SETTINGS = ("RECRUBO_", "SANDBOX_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FRAME_ANCESTORS", "PORT",
            "INSTANCE_PATH", "WEB_CONCURRENCY", "BENCH_", "TRUSTED_", "PUBLIC_URL", "HOST")
# The suite's servers run with a key and a secret set as an operator sets them, never the sandbox's public demo
# values (the embedded sandbox refuses those); tests/test_secrets.py checks what an install generates without.
API_KEY = "suite-api-key-4c1f0b7e9a2d"
WEBHOOK_SECRET = "suite-webhook-secret-8d2a6e3f1c5b"
KEYS = {"RECRUBO_API_KEY": API_KEY, "RECRUBO_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SANDBOX_API_KEY": API_KEY, "SANDBOX_WEBHOOK_SECRET": WEBHOOK_SECRET}


def remote_api(url: str) -> dict[str, str]:
    """The settings of a dashboard on a Recrubo API at `url` (a standalone sandbox or nothing at all)."""
    return {"RECRUBO_API_URL": url, "RECRUBO_API_KEY": API_KEY, "RECRUBO_WEBHOOK_SECRET": WEBHOOK_SECRET}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def venv_bin(name: str) -> str:
    """A console script of the Python running the suite (the project's .venv): gunicorn, flask, py-spy."""
    return str(Path(PYTHON).with_name(name))


def server_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without any dashboard, sandbox or benchmark setting, plus the suite's keys
    and `overrides` (an empty value unsets a key: the server then generates or defaults its own)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SETTINGS)}
    env.update(KEYS)
    env.update(overrides)
    return env


@dataclass
class Server:
    """A server started here: its base URL, process, log file, instance folder and environment.

    `group` is set when the process leads its own process group (a benchmark's servers): stopping it then
    stops every process of the group, even one its leader left behind."""

    url: str
    process: subprocess.Popen
    log: Path
    instance: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    name: str = "server"
    group: bool = False

    def stop(self) -> None:
        """Stop it the way a platform does: SIGTERM, then SIGKILL if it lingers."""
        stop(self.process, group=self.group)

    def pids(self) -> list[int]:
        """The server's processes now: the leader and every descendant (gunicorn's workers)."""
        return [self.process.pid, *descendants(self.process.pid)] if self.process.poll() is None else []


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, seconds: float = 60,
                       name: str = "server") -> None:
    """Poll `url` until it answers with any status; raise RuntimeError with the end of the server's log when
    the server exits first or never answers."""
    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            requests.get(url, timeout=2)
        except requests.RequestException:
            return False
        return True

    try:
        wait_until(answers, seconds, f"{name} answers {url}", every=0.1)
    except AssertionError as error:
        raise RuntimeError(f"{error}:\n{log.read_text()[-4000:]}") from None


def launch(command: list[str], *, url: str, probe: str, log: Path, env: dict[str, str], cwd: Path = ROOT,
           instance: Path | None = None, name: str = "server", own_group: bool = False,
           server_type: type[Server] = Server, seconds: float = 60) -> Server:
    """Start `command` and wait until `probe` (a URL) answers with any status; the log is the output.

    A server that exits or never answers is stopped and raises RuntimeError with the end of its log."""
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=own_group)
    server = server_type(url, process, log, instance, env, name, own_group)

    try:
        wait_until_serving(probe, process, log, seconds, name)
    except RuntimeError:
        server.stop()
        raise
    return server


def start_dashboard(tmp: Path, *, time_scale: str | None = "20", own_group: bool = False,
                    server_type: type[Server] = Server, **env: str) -> Server:
    """The dashboard exactly as production runs it (`gunicorn -c gunicorn.conf.py wsgi:app`) on a free port,
    its instance folder in `tmp`; its embedded sandbox runs `time_scale` times faster (None: as configured)."""
    port = free_port()
    instance = tmp / "instance"
    settings = {"SANDBOX_TIME_SCALE": time_scale} if time_scale else {}
    environment = server_environment(PORT=str(port), INSTANCE_PATH=str(instance), **{**settings, **env})
    url = f"http://127.0.0.1:{port}"
    return launch([venv_bin("gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], url=url, probe=f"{url}/healthz",
                  log=tmp / "dashboard.log", env=environment, instance=instance, name="dashboard",
                  own_group=own_group, server_type=server_type)


def start_sandbox(tmp: Path, *, host: str = "127.0.0.1", probe: str = "/public/v2/organizations",
                  own_group: bool = False, server_type: type[Server] = Server, args: tuple[str, ...] = (),
                  **env: str) -> Server:
    """The standalone sandbox (`python -m sandbox`, plus `args` such as `--strict`), as other Recrubo clients
    run it, reached as http://`host`:PORT; its database and log are in `tmp`."""
    port = free_port()
    environment = server_environment(SANDBOX_DATABASE=str(tmp / "sandbox.db"), **env)
    return launch([PYTHON, "-m", "sandbox", "--port", str(port), *args], url=f"http://{host}:{port}",
                  probe=f"http://127.0.0.1:{port}{probe}", log=tmp / "sandbox.log", env=environment, instance=tmp,
                  name="sandbox", own_group=own_group, server_type=server_type)


def run_flask(server: Server, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` with a started dashboard's settings, as an operator would."""
    return subprocess.run([venv_bin("flask"), "--app", "wsgi", *args], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=60)


def stop(process: subprocess.Popen | None, group: bool = False, seconds: float = 15) -> None:
    """Stop a server: SIGTERM, then SIGKILL if it lingers after `seconds`. With `group`, signal its whole
    process group, which may outlive its leader (a worker that ignored SIGTERM)."""
    if process is None:
        return
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
    elif process.poll() is None:
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` now, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid` now (children, their children, ...)."""
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found
