"""On the embedded sandbox, gunicorn's master runs the sandbox's engine in a process of its own (under a small
supervisor that restarts it), so the gevent worker only serves HTTP."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
import requests

from tests.support.servers import API_KEY, children, start_dashboard, stop
from tests.support.waiting import wait_until

HEADERS = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/vnd.api+json"}


def command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def engine_processes(master: int) -> tuple[int, int]:
    """The master's engine supervisor and the engine process it runs."""
    supervisor = next(pid for pid in children(master) if "sandbox.engine_process --supervise" in command(pid))
    engines = wait_until(lambda: [pid for pid in children(supervisor) if alive(pid)], 60, "an engine process")
    assert len(engines) == 1
    assert command(engines[0]).strip().endswith("-m sandbox.engine_process")
    return supervisor, engines[0]


def analysis_finishes(server) -> None:
    """A vacancy analysis (engine jobs) queued through the embedded sandbox's API runs to its end."""
    created = requests.post(f"{server.url}/sandbox/public/v2/vacancy-analyses", headers=HEADERS, timeout=10, json={
        "data": {"type": "vacancyAnalyses", "attributes": {"inputText": "Forklift driver, nights, Tilburg."}}})
    assert created.status_code == 201, created.text
    url = f"{server.url}/sandbox/public/v2/vacancy-analyses/{created.json()['data']['id']}"
    wait_until(lambda: requests.get(url, headers=HEADERS, timeout=10).json()["data"]["attributes"]["status"]
               == "finished", 60, "the analysis")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """The dashboard under gunicorn on the embedded default, with its own instance folder."""
    server = start_dashboard(tmp_path_factory.mktemp("engine-process"))
    yield server
    stop(server.process)


def test_queued_jobs_run_in_the_engine_process_not_in_the_worker(dashboard):
    supervisor, engine = engine_processes(dashboard.process.pid)
    workers = [pid for pid in children(dashboard.process.pid) if pid != supervisor]
    assert workers and engine not in workers
    analysis_finishes(dashboard)
    log = dashboard.log.read_text()
    # Engines log their owner id, which starts with their process id: only the engine process ran one.
    assert set(re.findall(r"sandbox engine (\d+)-\w+ started", log)) == {str(engine)}


def test_a_killed_engine_process_is_started_again_and_jobs_still_run(dashboard):
    _, engine = engine_processes(dashboard.process.pid)
    os.kill(engine, signal.SIGKILL)
    wait_until(lambda: f"sandbox engine process {engine} was killed by SIGKILL" in dashboard.log.read_text(),
               60, "the supervisor's log line")
    _, restarted = wait_until(lambda: engine_processes(dashboard.process.pid)[1] != engine and
                              engine_processes(dashboard.process.pid), 60, "a new engine process")
    assert restarted != engine
    analysis_finishes(dashboard)


def test_stopping_the_dashboard_stops_the_engine_process(dashboard):
    supervisor, engine = engine_processes(dashboard.process.pid)
    stop(dashboard.process)
    assert dashboard.process.returncode == 0
    wait_until(lambda: not alive(supervisor) and not alive(engine), 30, "the engine and its supervisor stopping")
    assert "Traceback" not in dashboard.log.read_text()


def test_flask_sandbox_engine_runs_the_engine_in_the_foreground_until_stopped(tmp_path):
    # For a dashboard served by `flask run`, which starts no engine of its own.
    import subprocess
    import sys

    from tests.support.servers import server_environment

    environment = server_environment(INSTANCE_PATH=str(tmp_path))
    log = tmp_path / "engine.log"
    with open(log, "w") as output:
        process = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "sandbox", "engine"],
                                   cwd=Path(__file__).resolve().parent.parent, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: re.search(r"sandbox engine \S+ started on", log.read_text()), 60, "the engine start")
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
    assert re.search(r"sandbox engine \S+ stopped", log.read_text())
