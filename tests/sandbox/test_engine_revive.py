"""A dead engine worker is started again by the next request, so one lost worker never stalls the sandbox."""

from __future__ import annotations

import threading
import time

import sandbox
from sandbox.defaults import DEMO_API_KEY

HEADERS = {"Authorization": f"Bearer {DEMO_API_KEY}", "Content-Type": "application/vnd.api+json"}


def test_a_dead_engine_worker_is_revived_and_its_jobs_run(tmp_path):
    app = sandbox.create_app({"SANDBOX_DATABASE": str(tmp_path / "sandbox.db"), "SANDBOX_TIME_SCALE": 200})
    client = app.test_client()
    client.get("/public/v2/organizations", headers=HEADERS)  # starts the engine
    engine = app.extensions["sandbox"].engine
    try:
        index = next(i for i, thread in enumerate(engine.threads) if thread.name == "sandbox-engine-0")
        dead = threading.Thread(target=lambda: None, name="sandbox-engine-0")
        dead.start()
        dead.join()
        engine.threads[index] = dead  # as if the worker had ended
        created = client.post("/public/v2/vacancy-analyses", headers=HEADERS, json={"data": {
            "type": "vacancyAnalyses", "attributes": {"inputText": "Forklift driver, nights, Tilburg."}}})
        assert created.status_code == 201
        assert engine.threads[index] is not dead and engine.threads[index].is_alive()
        analysis = f"/public/v2/vacancy-analyses/{created.get_json()['data']['id']}"
        deadline = time.monotonic() + 20
        while client.get(analysis, headers=HEADERS).get_json()["data"]["attributes"]["status"] != "finished":
            assert time.monotonic() < deadline, "the revived engine never finished the analysis"
            time.sleep(0.05)
    finally:
        sandbox.stop_engine(app)


def test_a_stuck_engine_worker_is_replaced_and_says_where_it_waits(tmp_path, caplog):
    app = sandbox.create_app({"SANDBOX_DATABASE": str(tmp_path / "sandbox.db"), "SANDBOX_TIME_SCALE": 200})
    client = app.test_client()
    client.get("/public/v2/organizations", headers=HEADERS)  # starts the engine
    engine = app.extensions["sandbox"].engine
    release = threading.Event()
    try:
        index = next(i for i, thread in enumerate(engine.threads) if thread.name == "sandbox-engine-0")
        stuck = threading.Thread(target=release.wait, name="sandbox-engine-0", daemon=True)
        stuck.start()
        engine.threads[index] = stuck  # alive, but it never comes back for a job
        engine.beats[stuck] = (time.monotonic() - 60, "job 1 step analysis")
        with caplog.at_level("ERROR", logger="sandbox.engine"):
            engine.revive()
        assert engine.threads[index] is not stuck and engine.threads[index].is_alive()
        assert "stuck for 60 s (job 1 step analysis)" in caplog.text
        assert "in wait" in caplog.text  # the stuck thread's own stack: it waits on the event
        created = client.post("/public/v2/vacancy-analyses", headers=HEADERS, json={"data": {
            "type": "vacancyAnalyses", "attributes": {"inputText": "Forklift driver, nights, Tilburg."}}})
        analysis = f"/public/v2/vacancy-analyses/{created.get_json()['data']['id']}"
        deadline = time.monotonic() + 20
        while client.get(analysis, headers=HEADERS).get_json()["data"]["attributes"]["status"] != "finished":
            assert time.monotonic() < deadline, "the replacement worker never finished the analysis"
            time.sleep(0.05)
    finally:
        release.set()
        sandbox.stop_engine(app)
