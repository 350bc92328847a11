"""Faults of real parts: the Recrubo API or the database going away, and the dashboard recovering by itself."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time

import pytest
import requests

from tests.support.accounts import create_account, csrf_token, signed_in_session
from tests.support.payloads import payload
from tests.support.servers import (
    API_KEY,
    PYTHON,
    ROOT,
    WEBHOOK_SECRET,
    free_port,
    run_flask,
    server_environment,
    start_dashboard,
    stop,
    wait_until_serving,
)
from tests.support.services import start_postgres
from tests.support.waiting import wait_until

EMAIL, PASSWORD = "faults@example.com", "a long password"
WEBHOOK_HEADERS = {"Content-Type": "application/vnd.api+json", "X-Recrubo-Webhook-Secret": WEBHOOK_SECRET}


def start_sandbox(tmp_path, port: int) -> subprocess.Popen:
    """The sandbox standalone on a fixed port and database, so a restart comes back the same."""
    log = tmp_path / f"sandbox-{time.monotonic_ns()}.log"
    process = subprocess.Popen([PYTHON, "-m", "sandbox", "--port", str(port)], cwd=ROOT, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT,
                               env=server_environment(SANDBOX_DATABASE=str(tmp_path / "sandbox.db"),
                                                      SANDBOX_TIME_SCALE="20"))
    wait_until_serving(f"http://127.0.0.1:{port}/public/v2/organizations", process, log)
    return process


def launch_form(session, server, flow_id: str, thread_id: str) -> requests.Response:
    token = csrf_token(session.get(f"{server.url}/flow-runs/new", timeout=30).text)
    return session.post(f"{server.url}/flow-runs", timeout=30, headers={"HX-Request": "true",
                        "HX-Request-Type": "partial"},
                        data={"csrf_token": token, "flowId": flow_id, "messageThreadId": thread_id})


def api_get(port: int, path: str) -> dict:
    return requests.get(f"http://127.0.0.1:{port}/public/v2/{path}", timeout=10,
                        headers={"Authorization": f"Bearer {API_KEY}"}).json()


@pytest.mark.slow
def test_api_going_away_gives_readable_pages_and_the_dashboard_recovers_by_itself(tmp_path):
    port = free_port()
    sandbox = start_sandbox(tmp_path, port)
    server = start_dashboard(tmp_path, RECRUBO_API_URL=f"http://127.0.0.1:{port}/public/v2")
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        # A hand-built flow: the review gate holds generated flows back from launching until approved.
        flow = next(item["id"] for item in api_get(port, "flows?page[size]=100")["data"]
                    if not item["attributes"].get("flowGenerationId"))
        # A thread with a queued or running run would refuse the launch (one run at a time): pick a free one.
        busy = {run["attributes"]["messageThreadId"]
                for run in api_get(port, "flow-runs?filter[status]=queued,running&page[size]=200")["data"]}
        thread = next(thread["id"] for thread in api_get(port, "message-threads?page[size]=50&sort=-createdAt")["data"]
                      if thread["id"] not in busy)
        runs_before = api_get(port, "flow-runs?page[size]=1")["meta"]["total"]
        assert session.get(f"{server.url}/flow-runs", timeout=30).status_code == 200
        form_page = session.get(f"{server.url}/flow-runs/new", timeout=30).text

        stop(sandbox)
        down = session.get(f"{server.url}/flow-runs", timeout=60)
        assert down.status_code == 503 and "Recrubo is unreachable" in down.text and "Traceback" not in down.text
        health = requests.get(f"{server.url}/healthz", timeout=60)
        assert health.status_code == 503 and health.json()["recrubo_api"].startswith("failing")
        launched = session.post(f"{server.url}/flow-runs", timeout=60,
                                headers={"HX-Request": "true", "HX-Request-Type": "partial"},
                                data={"csrf_token": csrf_token(form_page), "flowId": flow, "messageThreadId": thread})
        assert launched.status_code == 503 and "Recrubo is unreachable" in launched.text
        assert "<html" not in launched.text  # an htmx swap gets the message, not a whole page

        sandbox = start_sandbox(tmp_path, port)
        assert api_get(port, "flow-runs?page[size]=1")["meta"]["total"] == runs_before, "a launch went through"
        assert session.get(f"{server.url}/flow-runs", timeout=30).status_code == 200
        assert requests.get(f"{server.url}/healthz", timeout=30).json()["recrubo_api"] == "ok"
        assert launch_form(session, server, flow, thread).status_code == 201
        assert api_get(port, "flow-runs?page[size]=1")["meta"]["total"] == runs_before + 1
    finally:
        stop(server.process)
        stop(sandbox)


@pytest.mark.slow
def test_locked_sqlite_refuses_webhooks_with_503_and_keeps_serving_pages(tmp_path):
    server = start_dashboard(tmp_path, RECRUBO_API_URL=f"http://127.0.0.1:{free_port()}/public/v2")
    try:
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        first, second = payload(), payload()
        assert requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(first), headers=WEBHOOK_HEADERS,
                             timeout=10).status_code == 200
        locker = sqlite3.connect(server.instance / "dashboard.db", timeout=1)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock past the busy timeout
        try:
            refused = requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(second),
                                    headers=WEBHOOK_HEADERS, timeout=30)
            assert refused.status_code == 503 and refused.json()["errors"][0]["code"] == "database_unavailable"
            # Readers are not blocked in WAL mode. A new connection: the refusal took the 5 s busy timeout, during
            # which the worker (its loop free, the write waiting in a thread) closed the session's idle keep-alive.
            page = requests.get(f"{server.url}/settings", cookies=session.cookies, timeout=30)
            assert page.status_code == 200
        finally:
            locker.rollback()
            locker.close()
        retried = requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(second), headers=WEBHOOK_HEADERS,
                                timeout=10)
        assert retried.status_code == 200 and retried.json()["meta"]["verdict"] == "applied"
        stored = sqlite3.connect(server.instance / "dashboard.db").execute(
            "SELECT id FROM webhook_events ORDER BY received_at").fetchall()
        assert [row[0] for row in stored] == [first["data"]["id"], second["data"]["id"]]
    finally:
        stop(server.process)


@pytest.mark.slow
def test_postgres_going_away_gives_readable_errors_and_nothing_acknowledged_is_lost(tmp_path):
    database = start_postgres(free_port())
    server = None
    try:
        server = start_dashboard(tmp_path, DATABASE_URL=database.fresh_database("faults"),
                                 RECRUBO_API_URL=f"http://127.0.0.1:{free_port()}/public/v2")
        created = run_flask(server, "users", "create", EMAIL, "--password", PASSWORD)
        assert created.returncode == 0, created.stderr
        session = signed_in_session(server, EMAIL, PASSWORD)
        acknowledged = payload()
        assert requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(acknowledged),
                             headers=WEBHOOK_HEADERS, timeout=10).status_code == 200

        database.pause()
        refused = requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(payload()), headers=WEBHOOK_HEADERS,
                                timeout=60)
        assert refused.status_code == 503 and refused.json()["errors"][0]["code"] == "database_unavailable"
        page = session.get(f"{server.url}/settings", timeout=60)
        assert page.status_code == 503 and "database is busy or unavailable" in page.text
        assert "Content-Security-Policy" in page.headers
        assert requests.get(f"{server.url}/healthz", timeout=60).json()["database"].startswith("failing")

        database.resume()
        wait_until(lambda: session.get(f"{server.url}/settings", timeout=30).status_code == 200, 30,
                   "the dashboard reconnected to Postgres by itself", every=0.5)
        redelivered = requests.post(f"{server.url}/webhooks/recrubo", data=json.dumps(acknowledged),
                                    headers=WEBHOOK_HEADERS, timeout=10)
        assert redelivered.json()["meta"]["redelivery"] is True, "the acknowledged event was lost"
    finally:
        if server is not None:
            stop(server.process)
        database.stop()

