"""Fixtures of the sandbox's tests: live sandboxes on ephemeral ports and a real webhook receiver."""

from __future__ import annotations

import pytest

from tests.support.sandboxes import Api, serve, start_receiver
from tests.support.waiting import wait_until


@pytest.fixture(scope="session")
def receiver():
    """A webhook receiver on a loopback port for the session."""
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def api(tmp_path_factory, receiver) -> Api:
    """The demo sandbox, delivering webhooks to the receiver: its origin, and a port where nobody listens, may
    receive webhooks although they are loopback (SANDBOX_WEBHOOK_ALLOW)."""
    client, stop = serve(tmp_path_factory.mktemp("demo"), SANDBOX_WEBHOOK_URL=receiver.url + "/hooks",
                         SANDBOX_WEBHOOK_ALLOW=f"{receiver.url},http://127.0.0.1:9")
    # The seed's own flows, before any test adds one (tests of the seed look at its data alone, in any order).
    client.demo_flow_ids = {flow["id"] for flow in client.all("/flows")}
    yield client
    stop()


@pytest.fixture(scope="session")
def quiet(tmp_path_factory) -> Api:
    """An unseeded sandbox without webhooks, holding a few known resources and no pending work."""
    client, stop = serve(tmp_path_factory.mktemp("quiet"), SANDBOX_SEED="none")
    user = client.create("users", "/users", {"firstName": "Ada", "lastName": "Visser", "email": "ada@acme.example"})
    candidate = client.create("candidates", "/candidates", {"firstName": "Ben", "lastName": "Smit",
                                                            "phone": "31611111111"})
    thread = client.create("messageThreads", "/message-threads", {"channel": "sms", "identifier": "31611111111",
                                                                  "candidateId": candidate["id"]})
    client.create("messages", "/messages", {"sendBy": "Ada", "messageThreadId": thread["id"],
                                            "payload": {"type": "text", "text": {"value": "Hello Ben"}}})
    flow = client.create("flows", "/flows", {"name": "Quiet flow", "reminderInterval": 0, "reminderMessage": "",
                                             "sessionTimeout": 60})
    node = client.create("nodes", "/nodes", {"flowId": flow["id"], "isStartFlow": True})
    client.create("messageTemplates", "/message-templates", {
        "name": "welcome", "language": "en", "category": "utility",
        "components": [{"type": "BODY", "text": "Hi {{1}}, welcome!"}]})
    client.create("vacancies", "/vacancy", {"title": "Picker", "description": "Order picking in Tilburg."})
    client.ids = {"user": user["id"], "candidate": candidate["id"], "thread": thread["id"], "flow": flow["id"],
                  "node": node["id"]}
    wait_until(lambda: client.pending_jobs() == 0, 10, "the quiet sandbox's set-up jobs are done")
    yield client
    stop()
