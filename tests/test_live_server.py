"""The dashboard as production runs it: gunicorn, gevent, the embedded sandbox over real HTTP."""

from __future__ import annotations

import re

import requests

from tests.support.accounts import csrf_token
from tests.support.servers import free_port, run_flask, start_dashboard, stop
from tests.support.sockets import poll_health


def test_health_reports_every_dependency(live_server):
    # A worker just started says "degraded" until its Redis subscription is up (on a busy machine, a few seconds).
    response = poll_health(live_server, lambda health: health.get("live_backend") == "redis", 60)
    assert response.status_code == 200, response.text
    health = response.json()
    assert isinstance(health.pop("sockets"), int)  # this worker's open sockets: other tests' pages may hold some
    assert health.pop("read_model")  # its backfill may still run: reported, never a failure (tests/test_sync.py)
    assert health == {"status": "ok", "database": "ok", "recrubo_api": "ok", "live_backend": "redis"}


def test_demo_account_is_printed_and_shown_on_the_sign_in_page(live_server):
    page = requests.get(f"{live_server.url}/login", timeout=10).text
    email = re.search(r'id="demo-email">([^<]+)<', page).group(1)
    password = re.search(r'id="demo-password">([^<]+)<', page).group(1)
    log = live_server.log.read_text()
    assert f"sign in as {email} with password {password}" in log
    assert f"http://127.0.0.1:{live_server.url.rsplit(':', 1)[1]}" in log


def test_embedded_sandbox_answers_under_sandbox(live_server):
    response = requests.get(f"{live_server.url}/sandbox/public/v2/flows", timeout=10)
    assert response.status_code == 401 and response.json()["errors"]


def test_each_request_is_one_log_line_with_its_request_id(live_server):
    response = requests.get(f"{live_server.url}/login", headers={"X-Request-Id": "router-abc123"}, timeout=10)
    assert response.headers["X-Request-Id"] == "router-abc123"
    lines = [line for line in live_server.log.read_text().splitlines() if "[router-abc123]" in line]
    assert any("GET /login 200" in line for line in lines), lines



def test_production_server_runs_on_postgres(tmp_path, postgres):
    server = start_dashboard(tmp_path, DATABASE_URL=postgres.fresh_database("live_postgres"),
                             RECRUBO_API_URL=f"http://127.0.0.1:{free_port()}/public/v2")
    try:
        assert requests.get(f"{server.url}/healthz", timeout=30).json()["database"] == "ok"
        created = run_flask(server, "users", "create", "ops@example.com", "--password", "a long password")
        assert created.returncode == 0, created.stderr
        browser = requests.Session()
        token = csrf_token(browser.get(f"{server.url}/login", timeout=10).text)
        signed_in = browser.post(f"{server.url}/login", allow_redirects=False, timeout=10,
                                 data={"email": "ops@example.com", "password": "a long password", "csrf_token": token})
        assert signed_in.status_code == 302
        settings = browser.get(f"{server.url}/settings", timeout=10)
        assert settings.status_code == 200 and "ops@example.com" in settings.text
    finally:
        stop(server.process)
