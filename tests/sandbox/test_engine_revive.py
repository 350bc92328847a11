"""A dead engine worker is started again by the next request, so one lost worker never stalls the sandbox."""

from __future__ import annotations

import threading
import time

import pytest

import sandbox
from sandbox.defaults import DEMO_API_KEY
from tests.support.waiting import wait_until

HEADERS = {"Authorization": f"Bearer {DEMO_API_KEY}", "Content-Type": "application/vnd.api+json"}


@pytest.fixture()
def engine_app(tmp_path):
    """A sandbox whose engine has started (on its first request), stopped after the test."""
    app = sandbox.create_app({"SANDBOX_DATABASE": str(tmp_path / "sandbox.db"), "SANDBOX_TIME_SCALE": 200})
    app.test_client().get("/public/v2/organizations", headers=HEADERS)
    yield app
    sandbox.stop_engine(app)


def engine_worker_index(engine) -> int:
    return next(i for i, thread in enumerate(engine.threads) if thread.name == "sandbox-engine-0")


def post_analysis(client) -> str:
    """Queue a vacancy analysis (an engine job); return its path. The request also revives the engine."""
    created = client.post("/public/v2/vacancy-analyses", headers=HEADERS, json={"data": {
        "type": "vacancyAnalyses", "attributes": {"inputText": "Forklift driver, nights, Tilburg."}}})
    assert created.status_code == 201
    return f"/public/v2/vacancy-analyses/{created.get_json()['data']['id']}"


def wait_until_finished(client, analysis: str, who: str) -> None:
    wait_until(lambda: client.get(analysis, headers=HEADERS).get_json()["data"]["attributes"]["status"] == "finished",
               20, f"{who} finished the analysis")


def test_a_dead_engine_worker_is_revived_and_its_jobs_run(engine_app):
    client, engine = engine_app.test_client(), engine_app.extensions["sandbox"].engine
    index = engine_worker_index(engine)
    dead = threading.Thread(target=lambda: None, name="sandbox-engine-0")
    dead.start()
    dead.join()
    engine.threads[index] = dead  # as if the worker had ended
    analysis = post_analysis(client)
    assert engine.threads[index] is not dead and engine.threads[index].is_alive()
    wait_until_finished(client, analysis, "the revived engine")


def test_a_stuck_engine_worker_is_replaced_and_says_where_it_waits(engine_app, caplog):
    client, engine = engine_app.test_client(), engine_app.extensions["sandbox"].engine
    release = threading.Event()
    try:
        index = engine_worker_index(engine)
        stuck = threading.Thread(target=release.wait, name="sandbox-engine-0", daemon=True)
        stuck.start()
        engine.threads[index] = stuck  # alive, but it never comes back for a job
        engine.beats[stuck] = (time.monotonic() - 60, "job 1 step analysis")
        with caplog.at_level("ERROR", logger="sandbox.engine"):
            engine.revive()
        assert engine.threads[index] is not stuck and engine.threads[index].is_alive()
        assert "stuck for 60 s (job 1 step analysis)" in caplog.text
        assert "in wait" in caplog.text  # the stuck thread's own stack: it waits on the event
        wait_until_finished(client, post_analysis(client), "the replacement worker")
    finally:
        release.set()
