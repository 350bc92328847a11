"""Every list as CSV (`format=csv`): exactly the rows the filtered, sorted list shows across all its pages, with
names, in a file spreadsheet programs read (BOM, accents), cells that cannot run as formulas, and a readable 400
for a filter value the list does not know; while the read model fills, a readable 503 that the page announces."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest

from dashboard.db import users
from tests.support.accounts import sign_in
from tests.support.apps import dispose
from tests.support.model_lists import row_ids, synced_app
from tests.support.pages import make_thread

PEOPLE = 30  # more than a page (25), so the export must reach past page 1
FORMULAS = ["=1+2", "+31 6 CALL", "-2+3", "@SUM(A1)"]


@pytest.fixture(scope="module")
def token(api):
    """A surname no other test uses, on PEOPLE whatsapp threads (the first few named like formulas, one with
    accents) and on two Messenger threads the channel filter leaves out; made before the model is synced."""
    surname = f"Exportzz{uuid.uuid4().hex[:6]}"
    for number in range(PEOPLE):
        first = FORMULAS[number] if number < len(FORMULAS) else ("Chloé Öztürk" if number == 5 else f"P{number:02d}")
        make_thread(api, first, surname)
    for number in range(2):
        make_thread(api, f"Messenger{number}", surname, channel="facebook-messenger",
                    identifier=f"fb-{uuid.uuid4().hex[:12]}")
    return surname


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def exporter(request, tmp_path_factory, sandbox_server, token):
    """A signed-in admin on a dashboard whose read model (SQLite, then Postgres) a sync filled with `token`'s
    threads."""
    app = synced_app(request, tmp_path_factory, sandbox_server, "export", "exporter@example.com")
    with app.app_context():
        users.create_user("export-admin@example.com", "a long password", admin=True)
    client = app.test_client()
    sign_in(client, "export-admin@example.com", "a long password")
    yield client
    dispose(app)


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV response (header first), after checking it is a UTF-8 file with a BOM."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def page_rows(client, path: str, query: dict, prefix: str) -> tuple[list[str], list[str]]:
    """The row ids and first cells' link texts of every page of a list, following its pagination."""
    ids, names, page = [], [], 1
    while True:
        html = client.get(path, query_string={**query, "page": page}).get_data(as_text=True)
        shown = row_ids(html, prefix)
        ids += shown
        names += [re.sub(r"\s+", " ", name).strip() for name in re.findall(
            rf'<tr id="{prefix}-[0-9a-f-]{{36}}">\s*<td[^>]*><a href="[^"]+"[^>]*>(.*?)</a>', html, re.S)]
        if 'rel="next"' not in html:
            return ids, names
        page += 1


def test_threads_export_equals_the_filtered_searched_list_across_pages(exporter, token):
    query = {"q": token.lower(), "channel": "whatsapp", "sort": "oldest"}
    ids, names = page_rows(exporter, "/message-threads", query, "message-thread")
    assert len(ids) == PEOPLE  # two pages; the Messenger threads filtered out
    html = exporter.get("/message-threads", query_string=query).get_data(as_text=True)
    link = re.search(r'<a id="export-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert link == f"/message-threads?q={token.lower()}&channel=whatsapp&sort=oldest&format=csv"
    rows = read_csv(exporter.get(link))
    assert rows[0] == ["Candidate", "Channel", "Identifier", "Chatbot", "Last activity (UTC)", "id"]
    assert [row[-1] for row in rows[1:]] == ids
    shown = [name.replace("&#43;", "+").replace("&#39;", "'") for name in names]
    assert [row[0].removeprefix("'") for row in rows[1:]] == shown
    assert {row[1] for row in rows[1:]} == {"WhatsApp"}


def test_a_search_the_model_cannot_answer_yet_exports_what_the_page_shows_from_the_api(exporter, api):
    """Someone added after the model's sync (their webhooks still on the way): the page asks the API, and so does
    the export."""
    surname = f"Latezz{uuid.uuid4().hex[:6]}"
    thread = make_thread(api, "Laatste", surname)
    ids, names = page_rows(exporter, "/message-threads", {"q": surname}, "message-thread")
    assert ids == [thread.id] and names == [f"Laatste {surname}"]
    rows = read_csv(exporter.get("/message-threads", query_string={"q": surname, "format": "csv"}))
    assert [(row[0], row[-1]) for row in rows[1:]] == [(f"Laatste {surname}", thread.id)]


def test_accents_survive_and_formulas_are_text(exporter, token):
    rows = read_csv(exporter.get("/message-threads", query_string={"q": token, "format": "csv", "sort": "oldest"}))
    candidates = [row[0] for row in rows[1:]]
    assert f"Chloé Öztürk {token}" in candidates
    for formula in FORMULAS:
        assert f"'{formula} {token}" in candidates
    assert not [name for name in candidates if name[:1] in "=+-@"]


def test_runs_export_equals_the_filtered_list_in_its_order(exporter):
    query = {"status": "finished", "sort": "oldest"}
    ids, _ = page_rows(exporter, "/flow-runs", query, "flow-run")
    rows = read_csv(exporter.get("/flow-runs", query_string={**query, "format": "csv"}))
    assert rows[0][:3] == ["Status", "Flow", "Thread"] and rows[0][-1] == "id"
    assert len(ids) > 25 and [row[-1] for row in rows[1:]] == ids
    assert {row[0] for row in rows[1:]} == {"Finished"}
    assert all(row[1] and not re.fullmatch(r"[0-9a-f]{8}", row[1]) for row in rows[1:])  # flow names, not ids


@pytest.mark.parametrize("path, name", [("/flow-runs", "flow-runs"), ("/flows", "flows"),
                                        ("/message-threads", "message-threads"),
                                        ("/flow-generations", "flow-generations"),
                                        ("/settings/events", "webhook-events")])
def test_every_list_is_a_dated_attachment(exporter, path, name):
    response = exporter.get(path, query_string={"format": "csv"})
    read_csv(response)
    assert re.fullmatch(rf'attachment; filename="{name}-\d{{4}}-\d\d-\d\d\.csv"',
                        response.headers["Content-Disposition"])


def test_flows_and_generations_exports_match_their_lists(exporter):
    for path, prefix, query in (("/flows", "flow", {"sort": "name"}),
                                ("/flow-generations", "flow-generation", {"status": "finished"})):
        ids, _ = page_rows(exporter, path, query, prefix)
        rows = read_csv(exporter.get(path, query_string={**query, "format": "csv"}))
        assert ids and [row[-1] for row in rows[1:]] == ids, path


@pytest.mark.parametrize("url, says", [
    ("/flow-runs?format=csv&status=bogus", "status='bogus' is not a choice"),
    ("/message-threads?format=csv&channel=pigeon", "channel='pigeon' is not a choice"),
    ("/flows?format=csv&sort=random", "sort='random' is not a sort"),
    ("/flow-generations?format=xlsx", "format=csv only"),
    ("/settings/events?format=csv&verdict=maybe", "verdict='maybe' is not a choice"),
    ("/flow-runs?format=csv&flow=not%20an%20id", "not a Recrubo id"),
])
def test_an_unknown_filter_value_is_a_readable_400(exporter, url, says):
    response = exporter.get(url)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True).replace("&#39;", "'")


def test_while_the_model_fills_the_page_says_export_waits_and_the_export_answers_503(recruiter):
    html = recruiter.get("/flow-runs").get_data(as_text=True)
    assert 'id="model-backfilling"' in html and "Export CSV is available once the dashboard" in html
    response = recruiter.get("/flow-runs?format=csv")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "once the dashboard's copy is complete" in response.get_data(as_text=True).replace("&#39;", "'")
