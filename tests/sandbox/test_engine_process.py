"""The engine's parts that let it run beside the app that serves the sandbox: no engine in a mounted app,
wake-ups across processes, links under the configured mount point, and a log line for a job claimed late."""

from __future__ import annotations

import json
import re

import pytest

import sandbox
from sandbox import jobs, wakeup
from sandbox.defaults import DEMO_API_KEY
from sandbox.engine_process import how_it_ended
from sandbox.store import transaction
from tests.support.sandboxes import serve
from tests.support.waiting import wait_until

HEADERS = {"Authorization": f"Bearer {DEMO_API_KEY}", "Content-Type": "application/vnd.api+json"}
# A mounted (embedded) sandbox refuses to start on the public demo values.
EMBEDDED_KEYS = {"SANDBOX_API_KEY": "engine-test-key", "SANDBOX_PARTNER_KEY": "engine-test-partner-key",
                 "SANDBOX_WEBHOOK_SECRET": "engine-test-secret"}


def test_an_app_with_an_external_engine_starts_none(tmp_path):
    app = sandbox.create_app({"SANDBOX_DATABASE": str(tmp_path / "sandbox.db"), "SANDBOX_ENGINE": "external"})
    assert app.test_client().get("/public/v2/flows", headers=HEADERS).status_code == 200
    assert app.extensions["sandbox"].engine is None


def test_an_unknown_engine_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SANDBOX_ENGINE"):
        sandbox.create_app({"SANDBOX_DATABASE": str(tmp_path / "sandbox.db"), "SANDBOX_ENGINE": "greenlets"})


def test_a_wakeup_reaches_the_engine_socket_of_its_database(tmp_path):
    database = tmp_path / "sandbox.db"
    listener = wakeup.Listener(database)
    try:
        assert listener.wait(0) is False
        wakeup.send(tmp_path / "other.db")  # nobody listens there: ignored
        wakeup.send(database)
        wakeup.send(database)
        assert listener.wait(30) is True
        assert listener.wait(0) is False  # both were consumed
    finally:
        listener.close()
    assert not (tmp_path / "sandbox.db-wake").exists()
    wakeup.send(database)  # the engine is gone: still no error


def test_links_made_by_the_engine_use_the_configured_mount_point(tmp_path, receiver):
    api, stop = serve(tmp_path, SANDBOX_SEED="none", SANDBOX_MOUNT="/sandbox/",
                      SANDBOX_WEBHOOK_URL=receiver.url + "/mounted", **EMBEDDED_KEYS)
    try:
        api.create("webhooks", "/webhooks", {"resource": "messages", "event": "update", "fields": ["deliveryStatus"]})
        thread = api.create("messageThreads", "/message-threads", {"channel": "sms", "identifier": "31622222222"})
        api.create("messages", "/messages", {"sendBy": "Ada", "messageThreadId": thread["id"],
                                             "payload": {"type": "text", "text": {"value": "Hello"}}})
        # Sent by the engine's delivery step.
        delivered = wait_until(lambda: receiver.received("/mounted"), 30, "the engine's webhook delivery")
        links = json.dumps(delivered[0].body)
        assert "/sandbox/public/v2/message-threads/" in links and "/sandbox//" not in links
    finally:
        stop()


def test_a_job_claimed_later_than_it_was_due_is_logged(tmp_path, caplog):
    api, stop = serve(tmp_path, SANDBOX_SEED="none")
    try:
        with caplog.at_level("WARNING", logger="sandbox.engine"):
            with transaction(api.database, context=api.app.extensions["sandbox"]) as tx:
                jobs.enqueue(tx, "engine", "analysis.step", "no-such-analysis", delay=-30)
            line = wait_until(lambda: re.search(r"sandbox job \d+ analysis\.step ran (\d+\.\d) s after it was due; "
                                                r"this worker finished 0 jobs since", caplog.text),
                              30, "the lateness line")
        assert float(line.group(1)) >= 30
    finally:
        stop()


@pytest.mark.parametrize(("returncode", "words"), [
    (0, "exited with status 0"), (1, "exited with status 1"), (-9, "was killed by SIGKILL"),
    (-15, "was killed by SIGTERM"), (-200, "was killed by signal 200")])
def test_how_a_process_ended_is_said_in_words(returncode, words):
    assert how_it_ended(returncode) == words
