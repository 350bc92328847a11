"""The read model's sync against the standalone sandbox over HTTP: the backfill lists exactly what the API lists,
the incremental sync brings back what the model lost or missed, a re-pointed API starts over, admins see the
progress, and `flask recrubo sync --full` runs against a gunicorn dashboard on the embedded default."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
import requests
from sqlalchemy import delete, func, insert, select, update

from dashboard import create_app
from dashboard.db import sync_state, users
from dashboard.db.base import session_scope
from dashboard.db.model import TABLES
from dashboard.recrubo.client import PATHS, RecruboClient
from dashboard.recrubo.rows import related_ids
from dashboard.recrubo.sync import INCREMENTAL_PAGE, sync_once
from tests.support.accounts import sign_in
from tests.support.apps import dispose
from tests.support.pages import api_for, make_thread, unique
from tests.support.servers import remote_api, run_flask, start_dashboard, stop
from tests.support.waiting import wait_until


def model_ids(type_: str) -> set[str]:
    """The ids of a type's live (not tombstoned) rows."""
    table = TABLES[type_]
    with session_scope() as session:
        return set(session.scalars(select(table.id).where(~table.deleted)))


def api_ids(api: RecruboClient, type_: str) -> set[str]:
    """The ids the API lists for a type."""
    return {item.id for item in api.iterate(PATHS[type_], sort="createdAt")}


def differences(app, api: RecruboClient) -> dict[str, tuple[set, set]]:
    """Per type, the ids only the model has and the ids only the API has (empty when they agree)."""
    with app.app_context():
        found = {type_: (model_ids(type_), api_ids(api, type_)) for type_ in TABLES}
    return {type_: (mine - theirs, theirs - mine) for type_, (mine, theirs) in found.items() if mine != theirs}


def caught_up(app, api: RecruboClient) -> bool:
    """One incremental sync, then: does the model list exactly what the API lists? (The sandbox's engine keeps
    adding messages while runs play out, so a comparison may need another round.)"""
    result = sync_once(app)
    assert result.ran and not result.errors, result
    return not differences(app, api)


@pytest.fixture()
def api(sandbox_server) -> RecruboClient:
    """A client of the standalone sandbox, for the test's own questions and data."""
    return api_for(sandbox_server.url)


def test_backfill_holds_exactly_the_rows_the_api_lists(app, api):
    result = sync_once(app)
    assert result.ran and not result.errors, result
    assert result.applied["flows"] and result.applied["candidates"] and result.applied["messages"]
    wait_until(lambda: caught_up(app, api), 60, "the model lists what the API lists")
    with app.app_context():
        reports = {item.type: item for item in sync_state.report()}
        assert all(item.backfill_done and item.last_error is None for item in reports.values())
        assert reports["flows"].rows == reports["flows"].api_total == len(api_ids(api, "flows"))
        assert sync_state.state(60) == "ok"


def test_rows_keep_their_relationships_as_ids(app, api):
    assert sync_once(app).ran
    with app.app_context():
        for type_, column, name in (("flowRuns", "flow_id", "flow"), ("flowRuns", "message_thread_id",
                                    "messageThread"), ("messageThreads", "candidate_id", "candidate"),
                                    ("nodeTransitions", "node_id", "node"), ("nodes", "flow_id", "flow")):
            table = TABLES[type_]
            with session_scope() as session:
                stored = {id_: value for id_, value in session.execute(select(table.id, getattr(table, column)))}
            listed = {item.id: related_ids(item)[name] for item in api.iterate(PATHS[type_], sort="createdAt")}
            assert listed and all(listed.values()), (type_, name)
            assert {id_: stored.get(id_) for id_ in listed} == listed, (type_, name)


def test_incremental_sync_brings_back_rows_lost_from_the_model(app, api):
    assert sync_once(app).ran
    with app.app_context():
        lost = {type_: sorted(model_ids(type_))[:3] for type_ in ("flows", "candidates", "messages", "nodes")}
        with session_scope() as session:
            for type_, ids in lost.items():
                session.execute(delete(TABLES[type_]).where(TABLES[type_].id.in_(ids)))
    result = sync_once(app)
    assert result.ran and not result.errors, result
    with app.app_context():
        for type_, ids in lost.items():
            assert set(ids) <= model_ids(type_), type_
    wait_until(lambda: caught_up(app, api), 60, "the model lists what the API lists")


def test_incremental_sync_reads_changes_no_webhook_reported(app, api):
    assert sync_once(app).ran
    # This dashboard receives no webhooks here: a new person, then a renamed one, reach it only by the sync.
    thread = make_thread(api, unique("Synced"))
    candidate_id = related_ids(thread)["candidate"]
    assert sync_once(app).ran
    with app.app_context():
        assert thread.id in model_ids("messageThreads") and candidate_id in model_ids("candidates")
        with session_scope() as session:
            assert session.get(TABLES["messageThreads"], thread.id).candidate_id == candidate_id
    new_name = unique("Renamed")
    api.update("candidates", "candidates", candidate_id, {"lastName": new_name})
    result = sync_once(app)  # the count is unchanged: only the watermark finds this change
    assert result.ran and result.applied["candidates"] >= 1, result
    with app.app_context(), session_scope() as session:
        assert session.get(TABLES["candidates"], candidate_id).last_name == new_name


def test_incremental_sync_reads_every_page_down_to_the_watermark(app, api):
    assert sync_once(app).ran
    messages = TABLES["messages"]
    with app.app_context(), session_scope() as session:
        # Every message out of date, and the watermark before all of them: many pages of changes to read.
        session.execute(update(messages).values(delivery_status="bogus", updated_at=datetime(2000, 1, 1)))
        sync_state.save_progress(session, "messages", watermark=datetime(2000, 1, 1))
        total = session.scalar(select(func.count()).select_from(messages))
    assert total > 2 * INCREMENTAL_PAGE
    result = sync_once(app)
    assert result.ran and result.applied["messages"] >= total, result
    with app.app_context(), session_scope() as session:
        assert not session.scalar(select(func.count()).select_from(messages)
                                  .where(messages.delivery_status == "bogus"))


def test_a_row_the_api_no_longer_has_is_tombstoned(app, api):
    assert sync_once(app).ran
    with app.app_context(), session_scope() as session:
        session.execute(insert(TABLES["flows"]).values(
            id="00000000-0000-4000-8000-000000000000", type="flows", attributes="{}", relations="{}",
            deleted=False, written_at=sync_state.utcnow()))
    assert sync_once(app).ran
    with app.app_context(), session_scope() as session:
        assert session.get(TABLES["flows"], "00000000-0000-4000-8000-000000000000").deleted


def test_re_pointing_the_api_starts_the_model_over(app, api, sandbox_server, tmp_path, database_url):
    assert sync_once(app).ran
    with app.app_context(), session_scope() as session:
        session.execute(insert(TABLES["flows"]).values(
            id="only-from-the-old-api", type="flows", attributes="{}", relations="{}", deleted=False,
            written_at=sync_state.utcnow()))
    # The same sandbox under another address: as far as the dashboard knows, another API.
    moved = create_app({"INSTANCE_PATH": str(tmp_path / "moved"), "DATABASE_URL": database_url,
                        **remote_api(f"{sandbox_server.url.replace('127.0.0.1', 'localhost')}/public/v2")})
    try:
        assert sync_once(moved).ran
        with moved.app_context():
            assert "only-from-the-old-api" not in model_ids("flows")
            assert {item.type for item in sync_state.report() if item.backfill_done} == set(TABLES)
            with session_scope() as session:
                urls = set(session.scalars(select(sync_state.SyncProgress.base_url)))
            assert urls == {moved.extensions["recrubo"].base_url}
        wait_until(lambda: caught_up(moved, api), 60, "the model lists what the moved API lists")
    finally:
        dispose(moved)


def test_two_instances_syncing_at_once_sync_once(app, api, sandbox_server, tmp_path, database_url):
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "DATABASE_URL": database_url,
                        **remote_api(f"{sandbox_server.url}/public/v2")})
    start = threading.Barrier(2)
    results = []

    def sync(instance) -> None:
        start.wait()
        results.append(sync_once(instance))

    try:
        threads = [threading.Thread(target=sync, args=(instance,)) for instance in (app, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(result.ran for result in results) == [False, True], results
        assert "another process" in next(result.message for result in results if not result.ran)
        wait_until(lambda: caught_up(other, api), 60, "the model lists what the API lists")
    finally:
        dispose(other)


def test_a_sync_just_done_is_not_done_again_by_another_worker(app):
    assert sync_once(app).ran
    assert sync_once(app, due_seconds=60).message == "synced recently"


def test_admins_see_sync_progress_and_recruiters_do_not(app):
    assert sync_once(app).ran
    with app.app_context():
        users.create_user("sync-admin@example.com", "a long password", admin=True)
        users.create_user("sync-recruiter@example.com", "a long password")
    admin = app.test_client()
    sign_in(admin, "sync-admin@example.com", "a long password")
    page = admin.get("/settings/sync")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="sync-types"' in html and 'id="sync-state">ok<' in html
    for type_ in TABLES:
        assert f'id="sync-{type_}"' in html
    assert 'id="read-model-sync"' in admin.get("/settings").get_data(as_text=True)
    recruiter = app.test_client()
    sign_in(recruiter, "sync-recruiter@example.com", "a long password")
    assert recruiter.get("/settings/sync").status_code == 403


def test_health_reports_the_read_model_without_failing(app):
    client = app.test_client()
    assert client.get("/healthz").get_json()["read_model"] == "not started"
    assert sync_once(app).ran
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["read_model"] == "ok"


@pytest.mark.slow
def test_flask_recrubo_sync_full_on_a_gunicorn_dashboard(tmp_path):
    server = start_dashboard(tmp_path)
    try:
        # A fresh start backfills by itself; the command then walks every type again.
        ready = wait_until(lambda: requests.get(f"{server.url}/healthz", timeout=30).json()["read_model"] == "ok",
                           60, "the backfill finished by itself")
        assert ready
        result = run_flask(server, "recrubo", "sync", "--full")
        assert result.returncode == 0, result.stdout + result.stderr
        assert all(f"{type_}: " in result.stdout for type_ in TABLES), result.stdout
        flows = requests.get(f"{server.url}/sandbox/public/v2/flows?page[size]=1&sort=createdAt", timeout=30,
                             headers={"Authorization": f"Bearer {server.env['RECRUBO_API_KEY']}"}).json()
        assert f"flows: {flows['meta']['total']} rows" in result.stdout
        health = wait_until(lambda: requests.get(f"{server.url}/healthz", timeout=30).json(), 30)
        assert health["read_model"] == "ok" and health["status"] == "ok"
    finally:
        stop(server.process)
