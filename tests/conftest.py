"""Fixtures shared by the suite: real servers on ephemeral loopback ports, apps in this process, a real browser.
The helpers they use live in tests/support/."""

from __future__ import annotations

import uuid

import pytest

from dashboard import create_app
from tests.support.apps import CHROMIUM_ARGS, chromium, dispose
from tests.support.servers import free_port, remote_api, start_dashboard, start_sandbox, stop
from tests.support.services import RedisServer, redis_executable, start_postgres

SANDBOX_MODES = ("default", "strict")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--sandbox-modes`: which sandboxes the dashboard's tests run against (both unless told otherwise)."""
    parser.addoption("--sandbox-modes", default=",".join(SANDBOX_MODES),
                     help="comma-separated: default (the generous sandbox), strict (only what the reference "
                          "documents, SANDBOX_STRICT=1); default: both")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that reaches a sandbox (through `sandbox_server` or `live_server`) runs once per mode."""
    if "sandbox_mode" in metafunc.fixturenames:
        modes = [mode for mode in metafunc.config.getoption("--sandbox-modes").split(",") if mode]
        unknown = set(modes) - set(SANDBOX_MODES)
        if unknown or not modes:
            raise pytest.UsageError(f"--sandbox-modes takes {', '.join(SANDBOX_MODES)}, not {sorted(unknown)}")
        metafunc.parametrize("sandbox_mode", modes, indirect=True, scope="session")


@pytest.fixture(scope="session")
def sandbox_mode(request: pytest.FixtureRequest) -> str:
    """default: the sandbox as it ships; strict: it answers only what the reference documents."""
    return request.param


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory, sandbox_mode):
    """The sandbox standalone (`python -m sandbox`), as other Recrubo clients would run it, in each mode."""
    server = start_sandbox(tmp_path_factory.mktemp(f"sandbox-{sandbox_mode}"), SANDBOX_TIME_SCALE="20",
                           SANDBOX_STRICT="1" if sandbox_mode == "strict" else "0")
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
                            **remote_api(f"{sandbox_server.url}/public/v2")})
    yield dashboard
    dispose(dashboard)


@pytest.fixture()
def offline_app(tmp_path, database_url):
    """A dashboard in this process whose Recrubo API cannot be reached (nothing listens on its port)."""
    dashboard = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                            **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")})
    yield dashboard
    dispose(dashboard)


@pytest.fixture()
def client(app):
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, shared_redis, sandbox_mode):
    """The dashboard under gunicorn on the embedded default (its own sandbox at /sandbox, in each mode), pushing
    through Redis as a scaled-out deployment does: the browser tests run on Redis, the socket tests on both."""
    strict = sandbox_mode == "strict"
    # Its own Redis database per mode: the channel is named after it, so the two never see each other's pushes.
    server = start_dashboard(tmp_path_factory.mktemp(f"live-{sandbox_mode}"),
                             REDIS_URL=shared_redis.database(4 if strict else 1), SANDBOX_STRICT="1" if strict else "0")
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
                       **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")})


@pytest.fixture()
def receiver(receiver_app):
    """Flask's test client for `receiver_app` (no session: webhooks carry none)."""
    return receiver_app.test_client()
