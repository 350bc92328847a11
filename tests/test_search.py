"""The search index, on SQLite (FTS5 trigram tables) and Postgres (pg_trgm): it serves the search, it follows every
write of the read model in the writer's transaction (renames, tombstones, deletes), and migration 0008 indexes the
rows stored before it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import delete, select, text

from dashboard import create_app
from dashboard.db import base, listing
from dashboard.db.base import session_scope
from dashboard.db.model import Candidate, Flow, MessageThread
from dashboard.db.search import FTS_TABLES, TRIGRAM_INDEXES, flow_matches, thread_matches
from dashboard.db.upsert import remove, upsert
from tests.support.apps import dispose
from tests.support.servers import free_port, remote_api

T0 = datetime(2026, 11, 23, 9, 0, 0)


def at(seconds: int) -> str:
    """An API timestamp `seconds` after T0."""
    return (T0 + timedelta(seconds=seconds)).isoformat() + "+00:00"


def person(first: str, last: str, phone: str, seconds: int = 0, email: str | None = None) -> dict:
    """A candidate's attributes as the API shows them."""
    return {"firstName": first, "lastName": last, "phone": phone, "email": email, "createdAt": at(0),
            "updatedAt": at(seconds)}


def add_thread(first: str, last: str, phone: str) -> tuple[str, str]:
    """A candidate and a WhatsApp thread with them, written as the webhooks write them; answer both ids."""
    candidate, thread = str(uuid.uuid4()), str(uuid.uuid4())
    with session_scope() as session:
        upsert(session, "candidates", candidate, person(first, last, f"+{phone}"), {}, at(0))
        upsert(session, "messageThreads", thread, {"channel": "whatsapp", "identifier": phone,
                                                   "createdAt": at(0), "updatedAt": at(0)},
               {"candidate": candidate}, at(0))
    return candidate, thread


def found(typed: str) -> set[str]:
    """The threads the threads list finds for `typed`."""
    return {item.id for item in listing.threads(search=typed, size=100).items}


def flows_found(typed: str) -> set[str]:
    """The flows the flows list finds for `typed`."""
    return {item.id for item in listing.flows(search=typed, size=100).items}


def plan(query) -> str:
    """The database's plan for `query`, as text (on Postgres with sequential scans priced out, so a usable index
    is used even on a table of a few rows)."""
    with base.engine().begin() as connection:
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            return "\n".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))


def test_the_index_serves_a_search_of_three_characters_or_more(offline_app):
    with offline_app.app_context():
        add_thread("Chloé", "Dekker", "31612345678")
        threads = plan(select(MessageThread.id).where(thread_matches("dekker")))
        flows = plan(select(Flow.id).where(flow_matches("tilburg")))
        short = plan(select(MessageThread.id).where(thread_matches("de")))
        if base.engine().dialect.name == "sqlite":
            assert "model_candidates_search VIRTUAL TABLE" in threads
            assert "model_message_threads_search VIRTUAL TABLE" in threads
            assert "model_flows_search VIRTUAL TABLE" in flows
            assert "VIRTUAL TABLE" not in short  # no trigram in "de": the LIKE scan
        else:
            assert "ix_model_candidates_search_trgm" in threads
            # The identifier's trigram index, or (its choice on a small table) the primary key under the candidates'
            # matches: either way no thread is scanned.
            assert "Seq Scan on model_message_threads" not in threads
            assert "ix_model_flows_search_name_trgm" in flows


def test_the_index_follows_renames_tombstones_and_deletes(offline_app):
    with offline_app.app_context():
        candidate, thread = add_thread("Stijn", "van Dijk", "31687654321")
        other_candidate, other_thread = add_thread("João", "Öztürk", "31611112222")
        assert found("stijn van dijk") == {thread} and found("joao ozturk") == {other_thread}
        assert found("+31 6 8765 4321") == {thread} and found("8765") == {thread}
        with session_scope() as session:
            upsert(session, "candidates", candidate, person("Stijn", "de Groot", "+31687654321", 5), {}, at(5))
        assert found("van dijk") == set() and found("stijn de groot") == {thread} and found("DE GROOT") == {thread}
        with session_scope() as session:
            remove(session, "candidates", candidate, at(10))
        # The thread is still there, found by its number; its candidate is gone from search.
        assert found("de groot") == set() and found("31687654321") == {thread}
        with session_scope() as session:
            remove(session, "messageThreads", other_thread, at(10))
            session.execute(delete(Candidate).where(Candidate.id == other_candidate))
        assert found("ozturk") == set() and found("31611112222") == set()
        if base.engine().dialect.name == "sqlite":
            assert indexed_rows("model_candidates") == live_rows(Candidate, "search_text")
            assert indexed_rows("model_message_threads") == live_rows(MessageThread, "identifier")


def test_flow_names_are_searched_folded_and_follow_renames(offline_app):
    with offline_app.app_context():
        flow = str(uuid.uuid4())
        with session_scope() as session:
            upsert(session, "flows", flow, {"name": "Magazijnmedewerker Tilburg Noord", "createdAt": at(0),
                                            "updatedAt": at(0)}, {}, at(0))
        assert flows_found("tilburg") == {flow} and flows_found("MAGAZIJN") == {flow} and flows_found("rg") == {flow}
        with session_scope() as session:
            upsert(session, "flows", flow, {"name": "Coördinator Hôtel Breda", "createdAt": at(0),
                                            "updatedAt": at(5)}, {}, at(5))
        assert flows_found("tilburg") == set() and flows_found("coordinator hotel") == {flow}
        with session_scope() as session:
            remove(session, "flows", flow, at(10))
        assert flows_found("coordinator") == set()


def indexed_rows(table: str) -> set[tuple[int, str]]:
    """The (rowid, text) pairs of `table`'s FTS5 table."""
    with base.engine().connect() as connection:
        return set(connection.execute(text(f"SELECT rowid, text FROM {FTS_TABLES[table][0]}")).all())


def live_rows(model, column: str) -> set[tuple[int, str]]:
    """The (rowid, indexed text) pairs of `model`'s live rows, as the index should hold them."""
    expression = "lower(identifier)" if column == "identifier" else column
    with base.engine().connect() as connection:
        return set(connection.execute(text(f"SELECT rowid, {expression} FROM {model.__tablename__} "
                                           f"WHERE NOT deleted AND {column} IS NOT NULL")).all())


def test_the_migration_indexes_the_rows_stored_before_it(database_url, tmp_path):
    engine = base.make_engine(database_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(base.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
    now = datetime(2026, 11, 23, 9, 0, 0)
    common = {"attributes": "{}", "relations": "{}", "deleted": False, "written_at": now, "updated_at": now}
    with engine.begin() as connection:
        for table, row in (
                ("model_candidates", {"id": "c1", "type": "candidates", "name": "Chloé Öztürk",
                                      "search_text": "chloe ozturk +31655554444"}),
                ("model_message_threads", {"id": "t1", "type": "messageThreads", "candidate_id": "c1",
                                           "identifier": "31655554444"}),
                ("model_flows", {"id": "f1", "type": "flows", "name": "Chauffeur Tilburg"})):
            values = {**common, **row}
            connection.execute(text(f"INSERT INTO {table} ({', '.join(values)}) "
                                    f"VALUES ({', '.join(':' + name for name in values)})"), values)
    engine.dispose()
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                      **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")})
    try:
        with app.app_context():
            assert found("ozturk") == {"t1"} and found("+31 655 554 444") == {"t1"}
            assert flows_found("TILBURG") == {"f1"}
            with base.engine().connect() as connection:
                if connection.dialect.name == "postgresql":
                    assert set(connection.execute(text(
                        "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trgm'")).scalars()) \
                        == set(TRIGRAM_INDEXES)
                else:
                    assert indexed_rows("model_flows") == {(1, "chauffeur tilburg")}
    finally:
        dispose(app)


def test_an_index_no_longer_kept_in_step_is_not_used(tmp_path):
    # As after a migration that rebuilt the candidates table (and so dropped its triggers): search scans instead.
    database_url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")}
    first = create_app(settings)
    with first.app_context():
        candidate, thread = add_thread("Noor", "Sharma", "31620372193")
        with base.engine().begin() as connection:
            connection.execute(text("DROP TRIGGER model_candidates_search_update"))
    dispose(first)
    app = create_app(settings)
    try:
        with app.app_context():
            with session_scope() as session:
                upsert(session, "candidates", candidate, person("Noor", "Dekker", "+31620372193", 5), {}, at(5))
            assert found("dekker") == {thread} and found("sharma") == set()
            assert "VIRTUAL TABLE" not in plan(select(MessageThread.id).where(thread_matches("dekker")))
    finally:
        dispose(app)


def test_the_search_benchmark_runs_and_its_index_and_scan_agree():
    # bench/search.py asserts, for every search, that the index and the LIKE scan find the same rows.
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "bench/search.py", "--sizes", "300", "--repeat", "1"], cwd=root,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert result.stdout.count("t: de groot") == 2 and "## Postgres" in result.stdout, result.stdout[-4000:]
