"""The servers a benchmark starts, through the test suite's launcher (tests/support/servers.py): each in its own
process group on 127.0.0.1, killed as a group even when the benchmark fails half-way, so no run leaves a server
behind; the benchmark's account and its signed-in cookie."""

from __future__ import annotations

from pathlib import Path

import psutil
from common import EMAIL, PASSWORD, ROOT
from measure import cpu_seconds, rss_bytes

from tests.support import servers
from tests.support.accounts import signed_in_session
from tests.support.servers import Server, run_flask


class BenchServer(Server):
    """A server this benchmark started, and what it costs: its processes' CPU time and resident memory."""

    def pids(self) -> list[int]:
        """The server's processes now: the leader and every descendant (gunicorn's workers)."""
        try:
            leader = psutil.Process(self.process.pid)
            return [leader.pid] + [child.pid for child in leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time its processes have used so far."""
        return cpu_seconds(self.pids())

    def rss_bytes(self) -> int:
        """Resident memory of its processes now."""
        return rss_bytes(self.pids())


def spawn(name: str, command: list[str], env: dict[str, str], log: Path, url: str, probe: str,
          cwd: Path = ROOT, seconds: float = 60) -> BenchServer:
    """Start `command` in its own process group and wait until `url + probe` answers (any status)."""
    return servers.launch(command, url=url, probe=url + probe, log=log, env=env, cwd=cwd, name=name,
                          own_group=True, server_type=BenchServer, seconds=seconds)


def start_sandbox(tmp: Path, **env: str) -> BenchServer:
    """The standalone sandbox (`python -m sandbox`) as the Recrubo API, in its own process."""
    return servers.start_sandbox(tmp, own_group=True, server_type=BenchServer, **env)


def start_dashboard(tmp: Path, **env: str) -> BenchServer:
    """The dashboard exactly as production runs it: `gunicorn -c gunicorn.conf.py wsgi:app` (1 gevent worker)."""
    return servers.start_dashboard(tmp, time_scale=None, own_group=True, server_type=BenchServer, **env)


def stop(server: Server | None) -> None:
    """SIGTERM the server's whole process group, then SIGKILL whatever is left; nothing when there is none."""
    if server is not None:
        server.stop()


def create_account(server: Server) -> None:
    """Add the benchmark's account with the operator CLI, on the server's own instance folder."""
    result = run_flask(server, "users", "create", EMAIL, "--password", PASSWORD)
    if result.returncode != 0 and "exists" not in (result.stdout + result.stderr):
        raise RuntimeError(f"users create failed: {result.stdout}{result.stderr}")


def signed_in_cookie(server: Server) -> str:
    """Sign in through the real form (CSRF token included); return the Cookie header a browser would send."""
    session = signed_in_session(server, EMAIL, PASSWORD)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    session.close()
    return cookie
