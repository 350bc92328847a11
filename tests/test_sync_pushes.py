"""The sync's pushes. In this process: the backfill records nothing to push, an incremental sync records exactly
the rows it changed. Against a gunicorn dashboard on the embedded default with a page's socket open: webhooks are
dropped on the floor (the sandbox's organization `webhookUrl` cleared, reference §5.1) while the sandbox changes
and rows vanish from the read model; the incremental sync alone restores the model and pushes the changed rows to
the open page, and once webhooks are back the page's rows equal a reload's."""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest
from sqlalchemy import select

from dashboard.db.base import session_scope
from dashboard.db.events import Event
from dashboard.recrubo import sync_events
from dashboard.recrubo.rows import related_ids
from dashboard.recrubo.sync import sync_once
from tests.support.accounts import create_account, signed_in_session
from tests.support.pages import api_for, make_flow, make_thread, unique
from tests.support.servers import WEBHOOK_SECRET, start_dashboard, stop
from tests.support.sockets import EMAIL, PASSWORD, poll_health, socket
from tests.support.waiting import wait_until

ROW = re.compile(r'<tr id="((?:message-thread|flow-run)-[0-9a-f-]{36})">.*?</tr>', re.S)


class OpenPage:
    """A list page's socket as the browser holds it: the newest pushed version of each row, by element id."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.rows: dict[str, str] = {}
        self.inserted: set[str] = set()  # rows pushed as new, on top of the list

    def read(self, seconds: float = 0.2) -> None:
        """Take the frames that arrive within `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            data = self.ws.receive(timeout=left)
            if data is None:
                return
            content = json.loads(data).get("content", "")
            for match in ROW.finditer(content):
                self.rows[match.group(1)] = match.group(0)
            self.inserted.update(re.findall(r'hx-swap="afterbegin"><tr id="([^"]+)"', content))

    def has(self, element_ids: set[str]) -> bool:
        """Read what arrived; True once every row in `element_ids` was pushed."""
        self.read()
        return element_ids <= set(self.rows)


def list_rows(session, server, path: str) -> dict[str, str]:
    """The rows of a list page as a reload renders them, by element id."""
    html = session.get(f"{server.url}{path}", timeout=30).text
    assert 'id="model-backfilling"' not in html
    return {match.group(1): match.group(0) for match in ROW.finditer(html)}


def synced_resources(server) -> set[str]:
    """The resources the sync recorded a change of (events no webhook brought)."""
    with sqlite3.connect(server.instance / "dashboard.db", timeout=30) as database:
        return {id_ for (id_,) in database.execute(
            "SELECT resource_id FROM webhook_events WHERE reason = ?", (sync_events.REASON,))}


def recorded(app, *ids: str) -> list[tuple[str, str]]:
    """The changes the sync recorded in `app`'s event log (resource id, event), of these resources or all."""
    query = select(Event.resource_id, Event.event).where(Event.reason == sync_events.REASON)
    if ids:
        query = query.where(Event.resource_id.in_(ids))
    with app.app_context(), session_scope() as session:
        return sorted(tuple(row) for row in session.execute(query))


def test_the_backfill_records_nothing_to_push_and_a_sync_records_what_it_changed(app, sandbox_server):
    api = api_for(sandbox_server.url)
    assert sync_once(app).ran
    assert recorded(app) == []  # a first backfill of every row pushes none
    thread = make_thread(api, unique("Pushed"))
    candidate_id = related_ids(thread)["candidate"]
    assert sync_once(app).ran
    assert recorded(app, thread.id, candidate_id) == sorted([(thread.id, "create"), (candidate_id, "create")])
    assert sync_once(app).ran  # unchanged since: nothing more
    api.update("message-threads", "messageThreads", thread.id, {"chatbotPaused": True})
    assert sync_once(app).ran
    assert recorded(app, thread.id, candidate_id) == sorted([(thread.id, "create"), (thread.id, "update"),
                                                             (candidate_id, "create")])


@pytest.mark.slow
def test_sync_restores_lost_webhooks_and_rows_and_pushes_them_to_an_open_page(tmp_path):
    server = start_dashboard(tmp_path, SYNC_SECONDS="2")
    ws = None
    try:
        poll_health(server, lambda health: health.get("read_model") == "ok", 120)
        create_account(server, EMAIL, PASSWORD)
        session = signed_in_session(server, EMAIL, PASSWORD)
        api = api_for(f"{server.url}/sandbox")
        renamed, paused, lost = (make_thread(api, unique(name)) for name in ("Renamed", "Paused", "Lost"))
        flow = make_flow(api, unique("Sync flow"))
        wait_until(lambda: {f"message-thread-{thread.id}" for thread in (renamed, paused, lost)}
                   <= set(list_rows(session, server, "/message-threads")), 30, "the new threads are listed")
        finished = next(iter(list_rows(session, server, "/flow-runs?status=finished")))

        ws = socket(server, session, "messageThreads,flowRuns")
        page = OpenPage(ws)
        organization = api.list("organizations", size=1).items[0]
        api.update("organizations", "organizations", organization.id, {"webhookUrl": None, "webhookSecret": None})
        try:
            candidate_id = related_ids(renamed)["candidate"]
            new_name = unique("Sync renamed").split()[-1].title()
            api.update("candidates", "candidates", candidate_id, {"lastName": new_name})
            run = api.create("flow-runs", "flowRuns", {"flowId": flow.id, "messageThreadId": renamed.id, "state": {}})
            api.update("message-threads", "messageThreads", paused.id, {"chatbotPaused": True})
            with sqlite3.connect(server.instance / "dashboard.db", timeout=30) as database:
                database.execute("DELETE FROM model_message_threads WHERE id = ?", (lost.id,))
                database.execute("DELETE FROM model_flow_runs WHERE id = ?", (finished.removeprefix("flow-run-"),))
            changed = {f"message-thread-{renamed.id}", f"message-thread-{paused.id}", f"message-thread-{lost.id}",
                       f"flow-run-{run.id}", finished}
            # Still without webhooks: only the sync can bring these.
            wait_until(lambda: page.has(changed), 60, "the open page got every changed row", every=0.1)
            assert {candidate_id, paused.id, run.id, lost.id, finished.removeprefix("flow-run-")} \
                <= synced_resources(server)
            assert new_name in page.rows[f"message-thread-{renamed.id}"]
            assert "paused" in page.rows[f"message-thread-{paused.id}"].lower()
            assert f"flow-run-{run.id}" in page.inserted  # new: on top of the list
            assert not {f"message-thread-{lost.id}", finished} & page.inserted  # lost by the model, not new
        finally:
            api.update("organizations", "organizations", organization.id,
                       {"webhookUrl": organization.webhookUrl, "webhookSecret": WEBHOOK_SECRET})

        def page_matches_a_reload() -> bool:
            page.read()
            reloaded = {**list_rows(session, server, "/message-threads"), **list_rows(session, server, "/flow-runs")}
            return all(page.rows[row] == reloaded.get(row) for row in changed)

        # The run plays on (webhooks again, and the sync): whatever the page got last is what a reload shows.
        wait_until(page_matches_a_reload, 60, "the open page's rows are the rows after a reload", every=0.5)
    finally:
        if ws is not None:
            ws.close()
        stop(server.process)
