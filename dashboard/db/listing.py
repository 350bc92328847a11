"""The lists pages and pushes read from the read model, joined, so every row names what it points at.

One function per list, each one joined query: a thread with its candidate, a run with its flow and its thread's
candidate, a generation with its flow, a flow alone. A page asks for a page of rows with its filters, sort and
search; a push asks the same function for one id (`ids=[id]`), so a pushed row and the row after a reload come
from the same query and render to the same bytes. Rows come back shaped like the API client's resources (the
attributes, `id`, `type`, and each related resource under its relationship's name, or a bare `{id, type}` when the
model does not hold it), so the same partials render both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.util import find_tables

from dashboard.db import chunks
from dashboard.db.base import session_scope
from dashboard.db.model import Candidate, Flow, FlowGeneration, FlowRun, MessageThread, Row, VacancyAnalysis
from dashboard.db.search import flow_matches, thread_matches
from dashboard.db.sync_state import SyncProgress

# The types each list joins: it reads the model only when the backfill of every one of them is done.
NEEDS = {"messageThreads": ("messageThreads", "candidates"),
         "flowRuns": ("flowRuns", "flows", "messageThreads", "candidates"),
         "flowGenerations": ("flowGenerations", "flows"), "flows": ("flows",),
         "home": ("flowRuns", "flows", "messageThreads", "candidates", "flowGenerations"),
         "vacancyAnalyses": ("vacancyAnalyses",)}
# A run's thread and that thread's candidate, aliased once: an alias made per query costs more than the query.
ACTIVE_RUN_STATUSES = ("queued", "running")  # a thread runs one flow at a time: these hold it
RUN_THREAD, RUN_PERSON = aliased(MessageThread, name="run_thread"), aliased(Candidate, name="run_person")


class Item(dict):
    """A model row as the partials read a resource: a mapping that also answers attribute access."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Found:
    """One page of a list read from the model: its rows and how many the whole list has (or, with `page=EVERY`,
    an iterator over every row, uncounted)."""

    items: list[Item]
    total: int


# `page=EVERY`: not one page but every match, in the list's order, read lazily in keyset chunks of `size` rows
# (`dashboard.db.chunks`): `items` is then an iterator and `total` is not counted (-1). Exports read lists so.
EVERY = 0


def ready(list_type: str) -> bool:
    """True when the backfill of every type the list `list_type` joins is done (else the page reads the API)."""
    needed = NEEDS[list_type]
    with session_scope() as session:
        done = session.scalar(select(func.count()).select_from(SyncProgress).where(
            SyncProgress.type.in_(needed), SyncProgress.backfill_done.is_(True))) or 0
    return done == len(needed)


def item(row: Row | None, type_: str | None = None, id_: str | None = None) -> Item | None:
    """A row as a resource: its attributes, `id` and `type`; a bare `{id, type}` for a row the model lacks."""
    if row is None:
        return Item(id=id_, type=type_) if id_ else None
    found = Item(json.loads(row.attributes or "{}"))
    found["id"], found["type"] = row.id, row.type
    return found


def threads(*, search: str = "", channel: str = "", paused: bool | None = None, sort: str = "-updatedAt",
            page: int = 1, size: int = 25, ids: list[str] | None = None, candidate_id: str = "",
            idle: bool = False, session: Session | None = None) -> Found:
    """Threads with their candidates, filtered by search (name, phone, e-mail or identifier; case and accents
    ignored), channel, chatbot state, candidate and (`idle`) having no queued or running run, or by ids; sorted and
    paged."""
    query = (select(MessageThread, Candidate).outerjoin(Candidate, Candidate.id == MessageThread.candidate_id)
             .where(~MessageThread.deleted))
    query = query.where(*_ids(MessageThread, ids))
    if candidate_id:
        query = query.where(MessageThread.candidate_id == candidate_id)
    if channel:
        query = query.where(MessageThread.channel == channel)
    if paused is not None:
        query = query.where(MessageThread.chatbot_paused == paused)
    if search.strip():
        query = query.where(person_matches(search, Candidate, MessageThread))
    if idle:
        query = query.where(~exists().where(FlowRun.message_thread_id == MessageThread.id, ~FlowRun.deleted,
                                            FlowRun.status.in_(ACTIVE_RUN_STATUSES)))
    return _page(query, MessageThread, sort, page, size, _thread, ids, session)


def person_matches(search: str, candidate=Candidate, thread=MessageThread) -> ColumnElement[bool]:
    """The condition "the thread's candidate or identifier contains `search`", case and accents ignored, digits
    alone when the search is a phone number ("+31 6 12…"); served by the search index (`dashboard.db.search`),
    which finds the candidate through the thread, so `candidate` is not needed."""
    return thread_matches(search, thread)


def runs(*, status: str = "", flow_id: str = "", thread_id: str = "", sort: str = "-createdAt", page: int = 1,
         size: int = 25, ids: list[str] | None = None, updated_since: datetime | None = None,
         session: Session | None = None) -> Found:
    """Runs with their flows and their threads' candidates, filtered by status (one, or several comma-separated as
    the API takes them), flow, thread and `updatedAt` from `updated_since` (naive UTC), or by ids."""
    thread, person = RUN_THREAD, RUN_PERSON
    query = (select(FlowRun, Flow, thread, person).outerjoin(Flow, Flow.id == FlowRun.flow_id)
             .outerjoin(thread, thread.id == FlowRun.message_thread_id)
             .outerjoin(person, person.id == thread.candidate_id).where(~FlowRun.deleted))
    query = query.where(*_ids(FlowRun, ids))
    for column, value in ((FlowRun.flow_id, flow_id), (FlowRun.message_thread_id, thread_id)):
        if value:
            query = query.where(column == value)
    if status:
        query = query.where(_one_of(FlowRun.status, status))
    if updated_since is not None:
        query = query.where(FlowRun.updated_at >= updated_since)
    return _page(query, FlowRun, sort, page, size, _run, ids, session)


def generations(*, status: str = "", sort: str = "-createdAt", page: int = 1, size: int = 25,
                ids: list[str] | None = None, session: Session | None = None) -> Found:
    """Generations with their flows, filtered by status (one or several comma-separated) or by ids."""
    query = (select(FlowGeneration, Flow).outerjoin(Flow, Flow.id == FlowGeneration.flow_id)
             .where(~FlowGeneration.deleted))
    query = query.where(*_ids(FlowGeneration, ids))
    if status:
        query = query.where(_one_of(FlowGeneration.status, status))
    return _page(query, FlowGeneration, sort, page, size, _generation, ids, session)


def flows(*, search: str = "", origin: str = "", published: str = "", sort: str = "-createdAt", page: int = 1,
          size: int = 25, ids: list[str] | None = None, session: Session | None = None) -> Found:
    """Flows whose name contains `search` (case and accents ignored), by origin (`generated`, `manual`) and
    published state (`published`, `draft`, `changes`), or by ids."""
    query = select(Flow).where(~Flow.deleted).where(*_ids(Flow, ids))
    if search.strip():
        query = query.where(flow_matches(search))
    conditions = {("origin", "generated"): Flow.flow_generation_id.is_not(None),
                  ("origin", "manual"): Flow.flow_generation_id.is_(None),
                  ("published", "published"): Flow.published_at.is_not(None),
                  ("published", "draft"): Flow.published_at.is_(None),
                  ("published", "changes"): Flow.unpublished_changes.is_(True)}
    chosen = [conditions[key] for key in (("origin", origin), ("published", published)) if key in conditions]
    if chosen:
        query = query.where(and_(*chosen))
    return _page(query, Flow, sort, page, size, lambda flow: item(flow), ids, session)


def vacancy_analyses(size: int) -> list[Item]:
    """The newest `size` vacancy analyses, newest first (a generation page looks for the one that shaped it)."""
    with session_scope() as session:
        rows = session.scalars(select(VacancyAnalysis).where(~VacancyAnalysis.deleted)
                               .order_by(VacancyAnalysis.created_at.desc(), VacancyAnalysis.id.desc()).limit(size))
        return [found for found in (item(row) for row in rows) if found is not None]


def _one_of(column, values: str) -> ColumnElement[bool]:
    return column.in_(values.split(",")) if "," in values else column == values


def _ids(table: type[Row], ids: list[str] | None) -> list:
    return [] if ids is None else [table.id.in_(ids)]


SORT_COLUMNS = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name"}


def _page(query: Select, table: type[Row], sort: str, page: int, size: int, shape, ids: list[str] | None = None,
          session: Session | None = None) -> Found:
    """Count the whole list, then read one page of it in the API's sort (`-updatedAt`: newest first), ties by id.
    Rows asked for by id (a push's) are not counted: the total is the rows found. In `session` when given (a
    webhook's transaction, which sees the row it has just written), else in a session of its own."""
    column = getattr(table, SORT_COLUMNS[sort.lstrip("-")])
    if page == EVERY:
        descending = sort.startswith("-")
        return Found(chunks.each(query, column, descending, table.id, descending, shape, size), -1)
    order = [column.desc(), table.id.desc()] if sort.startswith("-") else [column.asc(), table.id.asc()]
    if session is None:
        with session_scope() as own:
            return _read(own, query, table, order, page, size, shape, ids)
    return _read(session, query, table, order, page, size, shape, ids)


def _read(session: Session, query: Select, table: type[Row], order: list, page: int, size: int, shape,
          ids: list[str] | None) -> Found:
    # populate_existing: a caller's session may hold a row from before its last upsert (Core, past the ORM).
    rows = session.execute(query.order_by(*order).limit(size).offset((max(page, 1) - 1) * size)
                           .execution_options(populate_existing=True)).all()
    if ids is not None and page <= 1 and len(rows) < size:  # every match is on this page
        return Found([shape(*row) for row in rows], len(rows))
    total = session.scalar(_count(query, table)) or 0
    return Found([shape(*row) for row in rows], total)


def _count(query: Select, table: type[Row]) -> Select:
    """How many rows the list has: counted on the listed table alone when every condition is on it, so the joins
    (outer, one related row at most) are not walked and the count reads the table's index only, not its rows."""
    where = query.whereclause
    tables = find_tables(where, check_columns=True, include_aliases=True) if where is not None else []
    if all(found is table.__table__ for found in tables):
        return select(func.count()).select_from(table).where(*([] if where is None else [where]))
    return select(func.count()).select_from(query.order_by(None).subquery())


def _thread(thread: MessageThread, candidate: Candidate | None) -> Item:
    found = item(thread)
    if thread.candidate_id:
        found["candidate"] = item(candidate, "candidates", thread.candidate_id)
    return found


def _run(run: FlowRun, flow: Flow | None, thread: MessageThread | None, candidate: Candidate | None) -> Item:
    found = item(run)
    if run.flow_id:
        found["flow"] = item(flow, "flows", run.flow_id)
    if run.message_thread_id:
        found["messageThread"] = _thread(thread, candidate) if thread is not None \
            else item(None, "messageThreads", run.message_thread_id)
    return found


def _generation(generation: FlowGeneration, flow: Flow | None) -> Item:
    found = item(generation)
    if generation.flow_id:
        found["flow"] = item(flow, "flows", generation.flow_id)
    return found
