"""Search at two organization sizes: the indexed search against the LIKE scan it replaces, on SQLite and Postgres.

    python bench/search.py                        # 10,000 and 50,000 candidates, SQLite and Postgres
    python bench/search.py --sizes 1000 --no-postgres --repeat 5

A dashboard app in this process, its read model filled through `dashboard.db.upsert` (the webhooks' and the
sync's write path, so the index's triggers run as in production): N candidates, one thread each, N/10 flows. Each
search is timed as the threads and flows lists run it (`dashboard.db.listing`: the count of the whole list, then
its first page of 25, newest first), once through the index and once as the LIKE scan (`use_index=False`), in
the same database. Printed: the median over --repeat runs, in milliseconds. On Postgres the scan is the same SQL
with the trigram indexes dropped for its timings, and each fill is followed by VACUUM ANALYZE, as autovacuum
would do. Postgres is the suite's own throwaway server (Debian's, as the tests start it), skipped when it is not
installed.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
import uuid
from collections.abc import Iterator

from common import print_footer, print_header, temporary_folder
from sqlalchemy import bindparam, func, select, text

from dashboard import create_app
from dashboard.db.base import engine, session_scope
from dashboard.db.model import Candidate, Flow, MessageThread
from dashboard.db.search import TRIGRAM_INDEXES, flow_matches, thread_matches
from dashboard.db.upsert import upsert
from tests.support.apps import dispose
from tests.support.servers import free_port, remote_api

FIRST = ["Chloé", "Noor", "João", "Stijn", "Emre", "Sanne", "Mohammed", "Fleur", "Daan", "Özge", "Lotte", "Ayşe"]
LAST = ["Dekker", "de Groot", "van Dijk", "Öztürk", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dijkstra", "Brouwer", "Kaya", "Yılmaz"]
SYLLABLES = ["ka", "ro", "ven", "del", "mi", "sto", "ber", "lan", "tu", "gor", "ne", "vis", "ha", "por", "zel"]
CITIES = ["Tilburg", "Utrecht", "Eindhoven", "Groningen", "Den Haag", "Zwolle", "Breda", "Nijmegen"]
ROLES = ["Warehouse picker", "Delivery driver", "Nurse", "Chef", "Cleaner", "Forklift driver"]
# What a recruiter types: several matches, one, one phone number (spaces and +), none, a short one, and a flow.
SEARCHES = [("threads", "de groot"), ("threads", "ozturk"), ("threads", "PHONE"), ("threads", "qzxv"),
            ("threads", "de"), ("flows", "tilburg")]


def fill(app, start: int, stop: int, seed: int) -> str:
    """Candidates `start`..`stop`, a thread each and a flow per ten; answer one stored phone number, spaced."""
    rng = random.Random(seed)
    now = "2026-11-23T10:00:00+00:00"
    phone = ""
    with app.app_context(), session_scope() as session:
        for index in range(start, stop):
            candidate, thread = str(uuid.uuid4()), str(uuid.uuid4())
            # One person in fifty has a name the recruiter types; the rest are made up, as varied as real ones.
            first, last = (rng.choice(FIRST), rng.choice(LAST)) if rng.random() < 0.02 else (
                made_up(rng, 2), made_up(rng, 3))
            number = f"316{rng.randrange(10**7, 10**8)}"
            phone = phone or f"+{number[:2]} {number[2]} {number[3:7]} {number[7:]}"
            upsert(session, "candidates", candidate,
                   {"firstName": first, "lastName": last, "phone": f"+{number}",
                    "email": f"{first[0]}.{last.replace(' ', '')}{index}@example.com".lower(),
                    "createdAt": now, "updatedAt": now}, {}, now)
            upsert(session, "messageThreads", thread,
                   {"channel": "whatsapp", "identifier": number, "chatbotPaused": False,
                    "createdAt": now, "updatedAt": now}, {"candidate": candidate}, now)
            if index % 10 == 0:
                upsert(session, "flows", str(uuid.uuid4()),
                       {"name": f"{rng.choice(ROLES)} {rng.choice(CITIES)} {index}", "createdAt": now,
                        "updatedAt": now}, {}, now)
    return phone


def made_up(rng: random.Random, syllables: int) -> str:
    """A name of `syllables` random syllables ("Kaveldel")."""
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def timed(app, kind: str, typed: str, use_index: bool, repeat: int) -> tuple[float, int]:
    """Median milliseconds of the list's count and first page for `typed`, and how many rows it found."""
    times, total = [], 0
    with app.app_context():
        if kind == "threads":
            query = (select(MessageThread.id).outerjoin(Candidate, Candidate.id == MessageThread.candidate_id)
                     .where(~MessageThread.deleted, thread_matches(typed, MessageThread, use_index=use_index)))
            order = [MessageThread.updated_at.desc(), MessageThread.id.desc()]
        else:
            query = select(Flow.id).where(~Flow.deleted, flow_matches(typed, Flow, use_index=use_index))
            order = [Flow.created_at.desc(), Flow.id.desc()]
        for _ in range(repeat):
            began = time.perf_counter()
            with session_scope() as session:
                total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
                session.execute(query.order_by(*order).limit(25)).all()
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), total


def settle(app) -> None:
    """On Postgres, what autovacuum does soon after a bulk fill: VACUUM ANALYZE. Without it the planner has no
    statistics and the GIN indexes' pending lists (fastupdate) are scanned in full by every search."""
    with app.app_context(), engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("VACUUM ANALYZE"))


@contextlib.contextmanager
def without_trigram_indexes(app) -> Iterator[None]:
    """On Postgres, drop the trigram indexes for the block and build them again after: the LIKE scan is the same
    SQL as the indexed search there, minus the index. On SQLite the scan is other SQL: nothing to do."""
    with app.app_context():
        with engine().begin() as connection:
            if connection.dialect.name != "postgresql":
                definitions = []
            else:
                definitions = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                                      "WHERE indexname IN :names").bindparams(
                    bindparam("names", expanding=True)), {"names": list(TRIGRAM_INDEXES)}).all()
                for name, _definition in definitions:
                    connection.execute(text(f"DROP INDEX {name}"))
        try:
            yield
        finally:
            with engine().begin() as connection:
                for _name, definition in definitions:
                    connection.execute(text(definition))


def measure(name: str, database: dict, sizes: list[int], repeat: int, folder: str) -> None:
    """Fill one database size after size and print each search's figures."""
    app = create_app({"INSTANCE_PATH": f"{folder}/{name}", **database,
                      **remote_api(f"http://127.0.0.1:{free_port()}/public/v2")})
    try:
        print(f"\n## {name}")
        print(f"{'candidates':>10}  {'search':<20} {'found':>6}  {'indexed ms':>10}  {'LIKE scan ms':>12}  {'x':>6}")
        filled, phone = 0, ""
        for size in sizes:
            began = time.perf_counter()
            phone = fill(app, filled, size, seed=size) or phone
            settle(app)
            print(f"(filled {size - filled:,} candidates, threads and flows in {time.perf_counter() - began:.1f} s)",
                  flush=True)
            filled = size
            searches = [(kind, phone if typed == "PHONE" else typed) for kind, typed in SEARCHES]
            indexed = {search: timed(app, *search, True, repeat) for search in searches}
            with without_trigram_indexes(app):
                scanned = {search: timed(app, *search, False, repeat) for search in searches}
            for kind, typed in searches:
                (fast, found), (slow, also_found) = indexed[kind, typed], scanned[kind, typed]
                assert found == also_found, (typed, found, also_found)
                label = f"{kind[0]}: {typed}"
                print(f"{size:>10,}  {label:<20} {found:>6}  {fast:>10.2f}  {slow:>12.2f}  {slow / fast:>6.1f}",
                      flush=True)
    finally:
        dispose(app)


def main() -> None:
    """Run the measurements the arguments ask for."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000", help="candidate counts, smallest first")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per search and path")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print_header("Search: indexed (FTS5 trigram / pg_trgm) against the LIKE scan")
    with temporary_folder("bench-search-") as folder:
        measure("SQLite", {}, sizes, args.repeat, folder)
        if not args.no_postgres:
            from tests.support.services import postgres_bin, start_postgres

            if postgres_bin() is None:
                print("\n(Postgres is not installed: skipped)")
            else:
                server = start_postgres(free_port())
                try:
                    url = server.fresh_database("bench_search")
                    measure("Postgres", {"DATABASE_URL": url}, sizes, args.repeat, folder)
                finally:
                    server.stop()
    print_footer()


if __name__ == "__main__":
    main()
