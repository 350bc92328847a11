"""Data survives a restart; two engines on one database never do the same job twice."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import sandbox
from sandbox import jobs
from sandbox.store import initialize, transaction
from tests.support.flows import build_licence_flow, new_thread, thread_texts
from tests.support.sandboxes import serve, start_receiver
from tests.support.waiting import wait_until


def test_data_survives_a_restart(tmp_path):
    first, stop = serve(tmp_path, SANDBOX_SEED="none")
    vacancy = first.create("vacancies", "/vacancy", {"title": "Cook", "description": "Hot kitchen."})
    stop()
    second, stop = serve(tmp_path, SANDBOX_SEED="none")
    try:
        assert second.attrs(f"/vacancy/{vacancy['id']}")["title"] == "Cook"
        assert len(second.all("/organizations")) == 1
    finally:
        stop()


def test_two_engines_on_one_database_never_do_a_job_twice(tmp_path):
    receiver, server = start_receiver()
    # Either engine may deliver: both may post to the loopback receiver.
    one, stop_one = serve(tmp_path, SANDBOX_SEED="none", SANDBOX_WEBHOOK_URL=receiver.url + "/both",
                          SANDBOX_WEBHOOK_ALLOW=receiver.url)
    two, stop_two = serve(tmp_path, SANDBOX_SEED="none", SANDBOX_WEBHOOK_ALLOW=receiver.url)
    try:
        one.create("webhooks", "/webhooks", {"resource": "flowRuns", "event": "update"})
        flow = build_licence_flow(one)
        runs = []
        for index in range(6):
            api = one if index % 2 else two
            thread = new_thread(api)
            runs.append((thread, api.create("flowRuns", "/flow-runs", {"flowId": flow["id"],
                                                                       "messageThreadId": thread["id"]})))
        wait_until(lambda: all(one.attrs(f"/flow-runs/{run['id']}")["status"] == "finished" for _, run in runs),
                   30, "every run finished")
        for thread, run in runs:
            bot = thread_texts(one, thread["id"], "outbound")
            assert bot == ["Hi! A few questions.", "What is your name?", "How old are you?",
                           "Do you have a driving licence?\n1. yes\n2. no", "Great, we will call you."]
            assert len(thread_texts(one, thread["id"], "inbound")) == 4
            assert one.attrs(f"/flow-runs/{run['id']}")["cost"] == len(bot)
        wait_until(lambda: one.pending_jobs() == 0 or all(
            log["attributes"]["status"] != "pending" for log in one.all("/webhook-logs")), 15, "no webhook is pending")
        ids = Counter(d.body["data"]["id"] for d in receiver.received("/both"))
        logs = one.all("/webhook-logs")
        assert logs and set(ids) == {log["id"] for log in logs} and max(ids.values()) == 1
    finally:
        stop_one()
        stop_two()
        server.shutdown()
        server.server_close()


def test_reset_wipes_the_data_and_seeds_again(tmp_path):
    config = {"SANDBOX_DATABASE": str(tmp_path / "reset.db"), "SANDBOX_SEED": "none"}
    app = sandbox.create_app(config)
    client = app.test_client()
    headers = {"Authorization": "Bearer sandbox-demo-key"}
    created = client.post("/public/v2/vacancy", headers=headers, json={"data": {"type": "vacancies", "attributes": {
        "title": "Gardener", "description": "Outdoors."}}})
    assert created.status_code == 201
    sandbox.stop_engine(app)
    sandbox.reset_database(config)
    body = client.get("/public/v2/vacancy", headers=headers).get_json(force=True)
    organizations = client.get("/public/v2/organizations", headers=headers).get_json(force=True)["data"]
    assert body["data"] == [] and len(organizations) == 1


def test_concurrent_claims_lease_each_job_to_one_worker(tmp_path):
    database = tmp_path / "jobs.db"
    initialize(database)
    with transaction(database) as tx:
        for number in range(120):
            jobs.enqueue(tx, "engine", "test.job", str(number))
    def drain(owner: str) -> list[str]:
        taken = []
        while (job := jobs.claim(database, "engine", owner, lease=60)) is not None:
            taken.append(job.ref)
        return taken
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(drain, ["a", "b", "c", "d"]))
    claimed = [ref for taken in results for ref in taken]
    assert sorted(claimed, key=int) == [str(n) for n in range(120)]


def test_restart_with_a_new_key_and_secret_applies_them(tmp_path):
    config = {"SANDBOX_DATABASE": str(tmp_path / "keys.db"), "SANDBOX_SEED": "none"}
    sandbox.create_app(config)
    app = sandbox.create_app({**config, "SANDBOX_API_KEY": "operator-key", "SANDBOX_WEBHOOK_SECRET": "operator-secret"})
    client = app.test_client()
    demo_key = {"Authorization": "Bearer sandbox-demo-key"}
    assert client.get("/public/v2/organizations", headers=demo_key).status_code == 401
    response = client.get("/public/v2/organizations", headers={"Authorization": "Bearer operator-key"})
    assert response.get_json(force=True)["data"][0]["attributes"]["webhookSecret"] == "operator-secret"
    sandbox.stop_engine(app)
