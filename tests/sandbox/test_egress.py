"""Where webhooks may go (issue 17, item 2): private, loopback and other internal targets are refused when a URL is
stored (422) and again when a webhook is sent (logged as failed, never posted); redirects are not followed; the
receiver's reply is never stored; SANDBOX_WEBHOOK_ALLOW is the one opt-in."""

from __future__ import annotations

import uuid

import pytest

from tests.support.sandboxes import REPLY_MARKER, serve, store_directly
from tests.support.waiting import wait_until

REFUSED = ["http://127.0.0.1:{port}/hooks", "http://169.254.169.254/latest/meta-data/", "http://[::1]/hooks",
           "http://10.0.0.1/", "http://localhost:{port}/hooks", "http://[::ffff:127.0.0.1]/hooks",
           "http://0.0.0.0:{port}/", "https://192.168.1.10/hooks", "http://[fe80::1]/", "http://224.0.0.1/",
           "http://2130706433/", "http://[fd00::2]/", "http://100.64.0.1/", "http://240.0.0.1/"]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, receiver):
    """A sandbox without any opt-in: only public addresses and its configured receiver may get webhooks."""
    api, stop = serve(tmp_path_factory.mktemp("guarded"), SANDBOX_SEED="none",
                      SANDBOX_WEBHOOK_URL=receiver.url + "/configured")
    yield api
    stop()


@pytest.fixture(scope="module")
def opted_in(tmp_path_factory, receiver):
    """A sandbox whose receiver's loopback origin is allowed (SANDBOX_WEBHOOK_ALLOW), as the tests' sandboxes are."""
    api, stop = serve(tmp_path_factory.mktemp("opted-in"), SANDBOX_SEED="none", SANDBOX_WEBHOOK_ALLOW=receiver.url)
    yield api
    stop()


def subscription(url: str, resource: str = "vacancies") -> dict:
    return {"data": {"type": "webhooks", "attributes": {"resource": resource, "event": "create", "webhookUrl": url}}}


def targets(api) -> list[tuple]:
    """The stored subscriptions and organizations (what a refused write must leave as it was)."""
    return [row for row in api.stored() if row[0] in ("webhooks", "organizations")]


def logs_of(api, subscription_id: str) -> list[dict]:
    return [log["attributes"] for log in api.all(f"/webhook-logs?filter[webhookId]={subscription_id}")]


def settled(api, subscription_id: str) -> dict:
    return wait_until(lambda: [log for log in logs_of(api, subscription_id) if log["status"] != "pending"], 15,
                      "the delivery settled")[0]


@pytest.mark.parametrize("url", REFUSED)
def test_a_subscription_to_an_internal_address_is_refused_and_nothing_stored(guarded, receiver, url):
    url = url.format(port=receiver.url.rsplit(":", 1)[1])
    before = targets(guarded)
    response = guarded.request("POST", "/webhooks", json=subscription(url))
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "validation_error" and error["source"] == {"pointer": "/data/attributes/webhookUrl"}
    assert "address" in error["detail"] and "SANDBOX_WEBHOOK_ALLOW" in error["detail"]
    assert targets(guarded) == before


def test_moving_a_subscription_or_the_organization_to_an_internal_address_is_refused(guarded):
    # A name that does not resolve (yet) is stored: every delivery checks it again.
    created = guarded.create("webhooks", "/webhooks", subscription("https://hooks.example.com/recrubo")["data"][
        "attributes"])
    before = targets(guarded)
    moved = guarded.patch("webhooks", f"/webhooks/{created['id']}", {"webhookUrl": "http://169.254.169.254/"})
    assert moved.status_code == 422 and moved.json()["errors"][0]["source"]["pointer"] == "/data/attributes/webhookUrl"
    organization = guarded.patch("organizations", "/organizations",
                                 {"webhookUrl": "http://10.1.2.3/hooks", "webhookSecret": "another secret"})
    assert organization.status_code == 422, organization.text
    assert organization.json()["errors"][0]["source"]["pointer"] == "/data/attributes/webhookUrl"
    assert targets(guarded) == before
    guarded.request("DELETE", f"/webhooks/{created['id']}")


def test_the_configured_receiver_gets_webhooks_but_not_its_neighbours(guarded, receiver):
    other = guarded.request("POST", "/webhooks", json=subscription(receiver.url + "/neighbour"))
    assert other.status_code == 422  # the same loopback origin, but not the configured URL
    hook = guarded.create("webhooks", "/webhooks", {"resource": "users", "event": "create"})  # the organization's
    user = guarded.create("users", "/users", {"firstName": "Cas", "lastName": "Koster",
                                              "email": f"cas{uuid.uuid4().hex[:6]}@acme.example"})
    wait_until(lambda: [d for d in receiver.received("/configured")
                        if d.body["data"]["attributes"]["resource"]["id"] == user["id"]], 15, "the webhook arrived")
    assert settled(guarded, hook["id"])["status"] == "delivered"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_stored_internal_target_is_refused_at_delivery_and_never_posted(guarded, receiver, host):
    # Stored the way the engine stores records, past the API's check: as if the name moved after the check.
    path = f"/sneaked-{uuid.uuid4().hex[:6]}"
    url = receiver.url.replace("127.0.0.1", host) + path
    hook = store_directly(guarded, "webhooks", {"resource": "vacancies", "event": "create", "webhookUrl": url})
    guarded.create("vacancies", "/vacancy", {"title": "Picker", "description": "Nights."})
    log = settled(guarded, hook["id"])
    assert log["status"] == "failed" and log["nextAttemptAt"] is None and len(log["attempts"]) == 1
    attempt = log["attempts"][0]
    assert attempt["statusCode"] is None and attempt["error"].startswith("refused: ")
    assert "loopback" in attempt["error"] and (host == "127.0.0.1" or "localhost resolves to" in attempt["error"])
    assert receiver.received(path) == []


def test_a_redirect_is_a_failure_and_not_followed(opted_in, receiver):
    path = f"/redirect-{uuid.uuid4().hex[:6]}"
    hook = opted_in.create("webhooks", "/webhooks", subscription(receiver.url + path)["data"]["attributes"])
    opted_in.create("vacancies", "/vacancy", {"title": "Driver", "description": "Days."})
    log = wait_until(lambda: [entry for entry in logs_of(opted_in, hook["id"]) if entry["attempts"]], 15,
                     "the first attempt")[0]
    assert log["status"] != "delivered"  # a failure (S32), retried later
    assert all(a["statusCode"] == 307 and a["error"] == "HTTP 307" for a in log["attempts"])
    assert receiver.received(path) and receiver.received("/landing") == []
    opted_in.request("DELETE", f"/webhooks/{hook['id']}")


def test_the_receivers_reply_is_never_stored(opted_in, receiver):
    path = f"/flaky-{uuid.uuid4().hex[:6]}"  # answers 500, then 200: both replies carry the marker
    hook = opted_in.create("webhooks", "/webhooks", subscription(receiver.url + path)["data"]["attributes"])
    opted_in.create("vacancies", "/vacancy", {"title": "Baker", "description": "Early."})
    log = settled(opted_in, hook["id"])
    assert [a["statusCode"] for a in log["attempts"]] == [500, 200] and log["status"] == "delivered"
    assert all(a["responseBody"] is None and isinstance(a["durationMs"], int) for a in log["attempts"])
    assert not [row for row in opted_in.stored() if REPLY_MARKER in row[2]]
    response = opted_in.get(f"/webhook-logs?filter[webhookId]={hook['id']}")
    assert REPLY_MARKER not in response.text


def test_an_allowed_origin_admits_only_itself(opted_in, receiver):
    port = int(receiver.url.rsplit(":", 1)[1])
    other = opted_in.request("POST", "/webhooks", json=subscription(f"http://127.0.0.1:{port + 1}/hooks"))
    assert other.status_code == 422
    assert opted_in.request("POST", "/webhooks", json=subscription(receiver.url + "/any/path")).status_code == 201
