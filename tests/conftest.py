"""Fixtures shared by the suite: real servers on ephemeral loopback ports, apps in this process, a real browser.
The helpers they use live in tests/support/."""

from __future__ import annotations

import uuid

import pytest

from dashboard import create_app
from tests.support.apps import CHROMIUM_ARGS, chromium, dispose
from tests.support.servers import free_port, start_dashboard, start_sandbox, stop
from tests.support.services import RedisServer, redis_executable, start_postgres


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """The sandbox standalone (`python -m sandbox`), as other Recrubo clients would run it."""
    server = start_sandbox(tmp_path_factory.mktemp("sandbox"), SANDBOX_TIME_SCALE="20")
    yield server
    stop(server.process)


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
    return {**browser_type_launch_args, "executable_path": chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture()
def redis_server(tmp_path):
    """A real redis-server on a free loopback port, without persistence; stopped after the test."""
    server = RedisServer(redis_executable(), free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory):
    """One redis-server for the session's long-lived dashboards, each on its own database number (which
    also namespaces their pub/sub channel). Tests that stop Redis take their own `redis_server`."""
    server = RedisServer(redis_executable(), free_port(), tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def receiver_app(tmp_path):
    """A dashboard whose Recrubo API is unreachable: the webhook receiver and event log must not need it."""
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance"),
                       "RECRUBO_API_URL": f"http://127.0.0.1:{free_port()}/public/v2"})


@pytest.fixture()
def receiver(receiver_app):
    """Flask's test client for `receiver_app` (no session: webhooks carry none)."""
    return receiver_app.test_client()
