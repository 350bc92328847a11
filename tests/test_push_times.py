"""A push is rendered once for every page, so its times are written in UTC (every page's times.js shows them in
its own zone), even when an admin in another zone pushes an event again from the event log."""

from __future__ import annotations

import re
import uuid

from dashboard.recrubo.client import RecruboClient
from tests.support.accounts import create_account, post_form, signed_in_session
from tests.support.payloads import payload, post_webhook
from tests.support.servers import API_KEY
from tests.support.sockets import frames, socket

PASSWORD = "a long enough password"


def run_row(ws, run: str) -> str:
    """The row of `run` in the next push that carries it (the shared sandbox pushes other runs meanwhile)."""
    for _ in range(50):
        for frame in frames(ws, 1):
            found = re.search(rf'<tr id="flow-run-{run}">.*?</tr>', frame.get("content", ""), re.S)
            if found:
                return found.group(0)
    raise AssertionError(f"no push of run {run}")


def test_a_push_again_by_an_admin_in_tokyo_writes_its_times_in_utc(live_server):
    api = RecruboClient(f"{live_server.url}/sandbox/public/v2", API_KEY)
    suffix = uuid.uuid4().hex[:6]
    user = api.create("users", "users", {"firstName": "Aiko", "lastName": f"Push{suffix}",
                                         "email": f"aiko-{suffix}@example.com", "timeZone": "Asia/Tokyo"})
    email = f"admin-tokyo-{suffix}@example.com"
    create_account(live_server, email, PASSWORD, admin=True, recrubo_user_id=user.id)
    session = signed_in_session(live_server, email, PASSWORD)
    run = str(uuid.uuid4())
    ws = socket(live_server, session, "flowRuns")
    try:
        assert "Times in <span id=\"time-zone-name\">Asia/Tokyo</span>" in session.get(
            f"{live_server.url}/flow-runs", timeout=10).text
        post_webhook(live_server, payload(run, event="create", status="queued", fields=[],
                                          updated_at="2026-11-23T09:59:00+00:00"))
        delivered = run_row(ws, run)
        events_page = session.get(f"{live_server.url}/settings/events", params={"q": run}, timeout=10).text
        event_id = re.search(r'<tr id="event-([^"]+)">', events_page).group(1)
        response = post_form(session, live_server, "/settings/events", f"/settings/events/{event_id}/replay")
        assert response.status_code in (200, 302), response.text
        again = run_row(ws, run)
    finally:
        ws.close()
        post_webhook(live_server, payload(run, event="delete", status="cancelled",
                                          updated_at="2026-11-23T10:00:59+00:00"))
        session.close()
    # payload() creates the run at 09:59 UTC: 18:59 in Tokyo, which neither push may say.
    assert again == delivered
    assert ">2026-11-23 09:59<" in again
