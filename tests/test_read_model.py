"""The read model's one write path: newest `updatedAt` wins, tombstones, concurrent writers, and the sync lease,
on SQLite and on Postgres."""

from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from dashboard import create_app
from dashboard.config import ConfigError, load
from dashboard.db import base, model, sync_state
from dashboard.db.base import session_scope
from dashboard.db.model import FlowRun, MessageThread
from dashboard.db.search import outside_search_index
from dashboard.db.upsert import APPLIED, STALE, remove, upsert
from dashboard.recrubo.sync import sync_once
from tests.support.apps import dispose
from tests.support.servers import free_port, remote_api

T0 = datetime(2026, 1, 5, 9, 30, 0)


def at(seconds: int) -> str:
    """An API timestamp `seconds` after T0, with an offset as the API writes them."""
    return (T0 + timedelta(seconds=seconds)).isoformat() + "+00:00"


def run_attributes(seconds: int, status: str) -> dict:
    """A flow run's attributes as the API shows them."""
    return {"flowId": "flow-1", "messageThreadId": "thread-1", "status": status, "state": {"step": status},
            "createdAt": at(0), "updatedAt": at(seconds)}


def write_run(seconds: int, status: str, seq: int | None = None, id_: str = "run-1") -> str:
    """Upsert run `id_` as of `seconds` (written by event `e<seq>`), in a transaction of its own."""
    with session_scope() as session:
        return upsert(session, "flowRuns", id_, run_attributes(seconds, status),
                      {"flow": "flow-1", "messageThread": "thread-1"}, at(seconds),
                      None if seq is None else f"e{seq}")


def stored(table=FlowRun, id_: str = "run-1"):
    """The row as stored now."""
    with session_scope() as session:
        return session.get(table, id_)


def test_the_migration_makes_exactly_the_read_model_tables(database_url, offline_app):
    engine = base.make_engine(database_url)
    base.upgrade_schema(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(
            connection, opts={"include_name": outside_search_index}), base.Base.metadata) == []
    engine.dispose()
    assert {"model_flow_runs", "model_sync", "model_sync_lease"} <= set(base.Base.metadata.tables)


def test_newer_update_wins_and_older_or_equal_one_is_stale(offline_app):
    with offline_app.app_context():
        assert write_run(10, "queued", seq=1) == APPLIED
        assert write_run(20, "running", seq=2) == APPLIED
        assert write_run(15, "queued", seq=3) == STALE  # older: recorded by the caller, never written
        assert write_run(20, "running", seq=4) == STALE  # the same news again
        row = stored()
        assert (row.status, row.event_id, row.updated_at) == ("running", "e2", T0 + timedelta(seconds=20))
        assert json.loads(row.attributes)["state"] == {"step": "running"}
        assert (row.flow_id, row.message_thread_id, row.deleted) == ("flow-1", "thread-1", False)
        assert json.loads(row.relations) == {"flow": "flow-1", "messageThread": "thread-1"}


def test_same_second_with_other_content_is_applied_so_a_fast_run_is_not_stuck(offline_app):
    # updatedAt has whole seconds: queued and running within one second must not leave the run queued forever.
    with offline_app.app_context():
        assert write_run(30, "queued") == APPLIED
        assert write_run(30, "running") == APPLIED
        assert stored().status == "running"


def test_a_sync_row_has_no_event_id(offline_app):
    with offline_app.app_context():
        assert write_run(5, "queued") == APPLIED
        assert stored().event_id is None


def test_remove_tombstones_and_older_updates_cannot_bring_the_row_back(offline_app):
    with offline_app.app_context():
        write_run(10, "running", seq=1)
        with session_scope() as session:
            assert remove(session, "flowRuns", "run-1", at(20), "e2") == APPLIED
        row = stored()
        assert row.deleted and row.event_id == "e2" and row.status == "running"  # the last state stays readable
        assert write_run(15, "finished") == STALE
        assert write_run(20, "finished") == STALE  # a tombstone wins a tie
        assert stored().deleted
        with session_scope() as session:
            assert remove(session, "flowRuns", "run-1", at(5), "e3") == STALE
        assert write_run(40, "queued", seq=4) == APPLIED  # a newer state: it exists again
        assert not stored().deleted and stored().status == "queued"


def test_remove_of_an_unknown_row_leaves_a_tombstone_that_a_late_create_respects(offline_app):
    with offline_app.app_context():
        with session_scope() as session:
            assert remove(session, "flowRuns", "run-9", at(50), "e7") == APPLIED
        assert write_run(40, "queued", id_="run-9") == STALE
        row = stored(id_="run-9")
        assert row.deleted and row.attributes == "{}"


def test_columns_pages_filter_on_come_from_attributes_and_related_ids(offline_app):
    with offline_app.app_context():
        with session_scope() as session:
            upsert(session, "messageThreads", "thread-1",
                   {"channel": "whatsapp", "identifier": "31612345678", "chatbotPaused": None,
                    "createdAt": at(0), "updatedAt": at(1)}, {"candidate": "cand-1"}, at(1))
            upsert(session, "candidates", "cand-1",
                   {"firstName": "Zoë", "lastName": "Öztürk", "phone": "31612345678", "email": "Zoe@Example.com",
                    "createdAt": at(0), "updatedAt": at(1)}, {"candidateStatus": None}, at(1))
        thread = stored(MessageThread, "thread-1")
        assert (thread.candidate_id, thread.channel, thread.chatbot_paused) == ("cand-1", "whatsapp", False)
        candidate = stored(model.Candidate, "cand-1")
        assert candidate.name == "Zoë Öztürk"
        assert candidate.search_text == "zoe ozturk 31612345678 zoe@example.com"


def test_concurrent_writers_of_one_row_never_lose_the_newest(offline_app):
    stamps = list(range(1, 121))
    random.Random(18).shuffle(stamps)
    chunks = [stamps[index::6] for index in range(6)]
    start = threading.Barrier(len(chunks))
    failures = []

    def writer(chunk: list[int]) -> None:
        try:
            with offline_app.app_context():
                start.wait()
                for seconds in chunk:
                    write_run(seconds, f"state-{seconds}", seq=seconds)
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    with offline_app.app_context():
        row = stored()
        assert (row.status, row.event_id, row.updated_at) == ("state-120", "e120", T0 + timedelta(seconds=120))
        with session_scope() as session:
            assert session.scalar(select(FlowRun.id).where(FlowRun.id != "run-1")) is None


def test_exactly_one_of_many_concurrent_lease_takers_wins(offline_app):
    start = threading.Barrier(5)
    won = []

    def taker(name: str) -> None:
        with offline_app.app_context():
            start.wait()
            if sync_state.take_lease(name, 60):
                won.append(name)

    threads = [threading.Thread(target=taker, args=(f"worker-{index}",)) for index in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    with offline_app.app_context():
        assert sync_state.lease().owner == won[0]
        assert not sync_state.renew_lease("worker-x", 60)
        assert sync_state.renew_lease(won[0], 60)
        sync_state.release_lease(won[0])
        assert sync_state.take_lease("worker-x", 60)


@pytest.fixture()
def second_instance(tmp_path, database_url, offline_app):
    """Another dashboard on the same database (another instance of a scaled-out deployment)."""
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "DATABASE_URL": database_url,
                        **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")})
    yield other
    dispose(other)


def test_a_sync_is_skipped_while_another_instance_holds_the_lease(offline_app, second_instance):
    with second_instance.app_context():
        assert sync_state.take_lease("other-instance", 60)
    result = sync_once(offline_app)
    assert not result.ran and "another process" in result.message
    with offline_app.app_context():
        assert sync_state.lease().owner == "other-instance"  # untouched by the one that waited its turn
    with second_instance.app_context():
        sync_state.release_lease("other-instance")
    result = sync_once(offline_app)  # now it runs (and finds the API unreachable)
    assert result.ran and result.errors
    with offline_app.app_context():
        assert sync_state.lease().owner is None and sync_state.lease().failed_at is not None


def test_health_phrase_follows_the_sync(offline_app):
    with offline_app.app_context():
        assert sync_state.state(60) == "not started"
        sync_state.start_on("http://api.example/public/v2")
        with session_scope() as session:
            sync_state.save_progress(session, "flows", backfill_rows=40, api_total=100,
                                     last_synced_at=sync_state.utcnow())
            sync_state.save_progress(session, "nodes", api_total=300)
        assert sync_state.state(60) == "backfilling 10%"
        with session_scope() as session:
            for type_ in model.TABLES:
                sync_state.save_progress(session, type_, backfill_done=True)
        sync_state.take_lease("me", 60)
        sync_state.mark_sync("finished")
        assert sync_state.state(60) == "ok"
        finished = sync_state.lease().finished_at
        sync_state.mark_sync("failed")
        assert sync_state.state(60) == f"behind since {finished.isoformat(timespec='seconds')}Z"


@pytest.mark.parametrize("value", ["0", "soon", "-5"])
def test_sync_seconds_must_be_a_positive_whole_number(tmp_path, value):
    assert load({"INSTANCE_PATH": str(tmp_path)}).sync_seconds == 60
    with pytest.raises(ConfigError, match="SYNC_SECONDS"):
        load({"INSTANCE_PATH": str(tmp_path), "SYNC_SECONDS": value})
