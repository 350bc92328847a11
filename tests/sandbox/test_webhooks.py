"""Webhooks reach a real receiver with the secret, are retried with the same id, and are logged."""

from __future__ import annotations

import uuid

from sandbox.defaults import DEMO_WEBHOOK_SECRET
from tests.support.flows import build_licence_flow, new_thread
from tests.support.waiting import wait_until


def subscribe(api, receiver, path: str, resource: str, event: str, fields=None) -> dict:
    return api.create("webhooks", "/webhooks", {"resource": resource, "event": event, "fields": fields,
                                                "webhookUrl": receiver.url + path})


def payloads(receiver, path: str, resource_id: str | None = None) -> list[dict]:
    return [d.body["data"] for d in receiver.received(path)
            if resource_id is None or d.body["data"]["attributes"]["resource"]["id"] == resource_id]


def test_seeded_subscriptions_deliver_run_events_with_the_secret(api, receiver):
    flow, thread = build_licence_flow(api), new_thread(api)
    run = api.create("flowRuns", "/flow-runs", {"flowId": flow["id"], "messageThreadId": thread["id"]})
    wait_until(lambda: any(p["attributes"]["resource"]["attributes"]["status"] == "finished"
                     for p in payloads(receiver, "/hooks", run["id"])), 15, "the run's finished webhook arrived")
    deliveries = [d for d in receiver.received("/hooks") if d.body["data"]["attributes"]["resource"]["id"] == run["id"]]
    # create and update are two subscriptions, so two lanes: their deliveries may arrive in either order (S33)
    first = next(d for d in deliveries if d.body["data"]["attributes"]["event"] == "create")
    assert first.headers["Content-Type"] == "application/vnd.api+json"
    assert first.headers["X-Recrubo-Webhook-Secret"] == DEMO_WEBHOOK_SECRET
    created = first.body["data"]
    assert created["type"] == "webhookPayload" and created["attributes"]["event"] == "create"
    assert "fields" not in created["attributes"] and created["attributes"]["webhookId"]
    assert created["attributes"]["resource"]["type"] == "flowRuns"
    update = next(d.body["data"] for d in deliveries if d.body["data"]["attributes"]["event"] == "update")
    assert update["attributes"]["fields"]
    log = api.attrs(f"/webhook-logs/{update['id']}")
    assert log["status"] == "delivered" and log["resourceId"] == run["id"] and log["attempts"][0]["statusCode"] == 200


def test_failed_delivery_is_retried_with_the_same_id(api, receiver):
    path = f"/flaky-{uuid.uuid4().hex[:6]}"
    subscription = subscribe(api, receiver, path, "vacancies", "create")
    vacancy = api.create("vacancies", "/vacancy", {"title": "Baker", "description": "Early shifts."})
    wait_until(lambda: len(receiver.received(path)) >= 2, 15, "the retried webhook arrived twice")
    first, second = receiver.received(path)[:2]
    assert first.body["data"]["id"] == second.body["data"]["id"]
    log_id = first.body["data"]["id"]
    log = wait_until(lambda: (a := api.attrs(f"/webhook-logs/{log_id}"))["status"] == "delivered" and a,
                     10, "the webhook log says delivered")
    assert [a["statusCode"] for a in log["attempts"]] == [500, 200]
    assert log["attempts"][0]["error"] == "HTTP 500" and log["attempts"][0]["responseBody"] is None
    assert log["webhookId"] == subscription["id"] and log["resourceId"] == vacancy["id"]
    assert log["nextAttemptAt"] is None
    listed = api.all(f"/webhook-logs?filter[webhookId]={subscription['id']}")
    assert [entry["id"] for entry in listed] == [log_id]


def test_update_subscription_with_fields_sends_only_matching_changes(api, receiver):
    path = f"/fields-{uuid.uuid4().hex[:6]}"
    subscribe(api, receiver, path, "candidates", "update", ["postalCode"])
    candidate = api.create("candidates", "/candidates", {"phone": "31655555555", "firstName": "Iris"})
    api.patch("candidates", f"/candidates/{candidate['id']}", {"firstName": "Iris Anne"})
    api.patch("candidates", f"/candidates/{candidate['id']}", {"postalCode": "1011 AB", "lastName": "Kok"})
    delivered = wait_until(lambda: payloads(receiver, path, candidate["id"]), 10, "the candidate's webhooks arrived")
    assert len(delivered) == 1 and delivered[0]["attributes"]["fields"] == ["postalCode"]
    assert delivered[0]["attributes"]["resource"]["attributes"]["postalCode"] == "1011 AB"


def test_one_subscription_delivers_in_order(api, receiver):
    path = f"/ordered-{uuid.uuid4().hex[:6]}"
    subscribe(api, receiver, path, "vacancies", "create")
    titles = [f"Vacancy {n}" for n in range(6)]
    for title in titles:
        api.create("vacancies", "/vacancy", {"title": title, "description": "Details."})
    wait_until(lambda: len(receiver.received(path)) == len(titles), 10, "every title's webhook arrived")
    assert [d.body["data"]["attributes"]["resource"]["attributes"]["title"] for d in receiver.received(path)] == titles


def test_delete_event_carries_the_last_state(api, receiver):
    path = f"/deleted-{uuid.uuid4().hex[:6]}"
    subscribe(api, receiver, path, "candidates", "delete")
    candidate = api.create("candidates", "/candidates", {"phone": "31677777777", "lastName": "Dekker"})
    api.request("DELETE", f"/candidates/{candidate['id']}")
    delivered = wait_until(lambda: payloads(receiver, path, candidate["id"]), 10, "the candidate's webhooks arrived")
    resource = delivered[0]["attributes"]["resource"]
    assert resource["attributes"]["lastName"] == "Dekker" and resource["attributes"]["deletedAt"]


def test_dead_receiver_gets_its_attempt_logged_and_a_retry_scheduled(api):
    subscription = api.create("webhooks", "/webhooks", {"resource": "users", "event": "create",
                                                        "webhookUrl": "http://127.0.0.1:9/gone"})
    api.create("users", "/users", {"firstName": "Dirk", "lastName": "Dood",
                                   "email": f"dirk{uuid.uuid4().hex[:6]}@acme.example"})
    logs = f"/webhook-logs?filter[webhookId]={subscription['id']}"
    entry = wait_until(lambda: [log["attributes"] for log in api.all(logs) if log["attributes"]["attempts"]],
                       10, "the webhook log has an attempt")[0]
    assert entry["status"] == "pending" and entry["nextAttemptAt"]
    assert entry["attempts"][0]["statusCode"] is None and "Connection" in entry["attempts"][0]["error"]
    api.request("DELETE", f"/webhooks/{subscription['id']}")
    log_id = api.all(f"/webhook-logs?filter[webhookId]={subscription['id']}")[0]["id"]
    settled = wait_until(lambda: (a := api.attrs(f"/webhook-logs/{log_id}"))["status"] == "failed" and a,
                         15, "the webhook log says failed")
    assert settled["attempts"][-1]["error"] == "the subscription was deleted" and settled["nextAttemptAt"] is None
