"""Fixtures shared by the suite: real servers on ephemeral loopback ports, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from dashboard import create_app
from dashboard.db import base as database
from tests.services import start_postgres

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Poll `url` until it answers; fail with the server's log when it exits or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    pytest.fail(f"server did not answer {url} within {seconds} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop a server the way a platform does: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without any dashboard or sandbox setting, plus `overrides`."""
    prefixes = ("RECRUBO_", "SANDBOX_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FRAME_ANCESTORS",
                "PORT", "INSTANCE_PATH", "WEB_CONCURRENCY")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(overrides)
    return env


@dataclass
class Server:
    """A server started by the suite: its base URL, process, log file and instance folder."""

    url: str
    process: subprocess.Popen
    log: Path
    instance: Path
    env: dict[str, str] | None = None


def start_dashboard(tmp: Path, **env: str) -> Server:
    """Start the dashboard the way production does (gunicorn + gunicorn.conf.py) on a free port."""
    port = free_port()
    instance = tmp / "instance"
    log = tmp / "dashboard.log"
    environment = server_environment(PORT=str(port), INSTANCE_PATH=str(instance), SANDBOX_TIME_SCALE="20",
                                     **env)
    process = subprocess.Popen([str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log, instance, environment)
    wait_until_serving(f"{server.url}/healthz", process, log)
    return server


def run_flask(server: Server, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` with a started dashboard's settings, as an operator would."""
    return subprocess.run([str(Path(PYTHON).with_name("flask")), "--app", "wsgi", *args], cwd=ROOT,
                          env=server.env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """The sandbox standalone (`python -m sandbox`), as other Recrubo clients would run it."""
    tmp = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    log = tmp / "sandbox.log"
    environment = server_environment(SANDBOX_DATABASE=str(tmp / "sandbox.db"), SANDBOX_TIME_SCALE="20")
    process = subprocess.Popen([PYTHON, "-m", "sandbox", "--port", str(port)], cwd=ROOT, env=environment,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log, tmp)
    wait_until_serving(f"{server.url}/public/v2/organizations", process, log)
    yield server
    stop(process)


def dispose(app) -> None:
    """Close an app's pooled database connections (a PostgreSQL server allows only so many)."""
    with app.app_context():
        database.engine().dispose()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (Debian's, started by the suite itself)."""
    server = start_postgres(free_port())
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Each dashboard test runs on SQLite (the default) and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dashboard.db'}"
    return request.getfixturevalue("postgres").fresh_database(f"test_{uuid.uuid4().hex[:16]}")


@pytest.fixture()
def app(tmp_path, sandbox_server, database_url):
    """A dashboard in this process, talking to the standalone sandbox over HTTP."""
    dashboard = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                            "RECRUBO_API_URL": f"{sandbox_server.url}/public/v2"})
    yield dashboard
    dispose(dashboard)


@pytest.fixture()
def offline_app(tmp_path, database_url):
    """A dashboard in this process whose Recrubo API cannot be reached (nothing listens on its port)."""
    dashboard = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                            "RECRUBO_API_URL": f"http://127.0.0.1:{free_port()}/public/v2"})
    yield dashboard
    dispose(dashboard)


@pytest.fixture()
def client(app):
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, shared_redis):
    """The dashboard under gunicorn on the embedded default (its own sandbox at /sandbox), pushing through
    Redis as a scaled-out deployment does: the browser tests run on Redis, the socket tests on both."""
    server = start_dashboard(tmp_path_factory.mktemp("live"), REDIS_URL=shared_redis.database(1))
    yield server
    stop(server.process)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium: Playwright cannot download its own browser on this network."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed; scripts/test installs it")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


def csrf_token(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, email: str, password: str):
    """Sign in through the real form, CSRF token included; return the response."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture()
def redis_server(tmp_path):
    """A real redis-server on a free loopback port, without persistence; stopped after the test."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; scripts/test installs it")
    server = RedisServer(executable, free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory):
    """One redis-server for the session's long-lived dashboards, each on its own database number (which
    also namespaces their pub/sub channel). Tests that stop Redis take their own `redis_server`."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; scripts/test installs it")
    server = RedisServer(executable, free_port(), tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    yield server
    server.stop()


@dataclass
class RedisServer:
    """A redis-server process the test may stop and start again on the same port."""

    executable: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.database(0)

    def database(self, number: int) -> str:
        """The URL of one of its databases."""
        return f"redis://127.0.0.1:{self.port}/{number}"

    def start(self) -> None:
        """Start (or restart) it and wait until it answers PING."""
        import redis

        self.process = subprocess.Popen([self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on {self.port}:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop it (the dashboard sees Redis go away)."""
        if self.process is not None:
            stop(self.process)


def create_account(server: Server, email: str, password: str, admin: bool = False) -> None:
    """Add an account to a started dashboard's own database (the same instance folder it runs on)."""
    from dashboard.db import users

    environment = {"INSTANCE_PATH": str(server.instance),
                   "RECRUBO_API_URL": "http://127.0.0.1:9/public/v2"}  # never called: accounts only
    with create_app(environment).app_context():
        users.create_user(email, password, admin=admin)


def signed_in_session(server: Server, email: str, password: str) -> requests.Session:
    """A requests session signed in to `server` through the real form."""
    session = requests.Session()
    token = csrf_token(session.get(f"{server.url}/login", timeout=10).text)
    response = session.post(f"{server.url}/login", data={"email": email, "password": password,
                                                          "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return session


@pytest.fixture()
def receiver_app(tmp_path):
    """A dashboard whose Recrubo API is unreachable: the webhook receiver and event log must not need it."""
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance"),
                       "RECRUBO_API_URL": f"http://127.0.0.1:{free_port()}/public/v2"})


@pytest.fixture()
def receiver(receiver_app):
    """Flask's test client for `receiver_app` (no session: webhooks carry none)."""
    return receiver_app.test_client()
