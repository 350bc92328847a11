"""Filling the read model from the API and keeping it complete: the backfill, the incremental sync, and
`flask --app wsgi recrubo sync [--full]`.

What the reference lets us ask (recrubo-api.md): every list pages (§3.5) and sorts (§3.4), but filters are
documented on a few fields only and `updatedAt` is not one of them (§3.3, "Dashboard: only the filters above").
So the incremental sync sends no `filter[updatedAt][gte]`: it reads each list newest first (`sort=-updatedAt`) and
stops at the first row older than its watermark. The backfill reads `sort=createdAt` (the reference's own
example): rows keep their place while they change, where in an `updatedAt` order each update moves a row to the
end and the walk skips one. The watermark is the newest `updatedAt` the API had when a walk started, so whatever
changes during the walk is read again next time. A type whose count differs from the API's `meta.total` after its
incremental sync (a create or delete no webhook reported, a row lost from the model) is walked again in full, and
rows the API no longer has are tombstoned after the API confirms each one is gone.
Every row goes through `rows.store`, the same upsert webhooks use, so the ordering rules are the same. A row an
incremental pass writes is also recorded as an event in the same transaction (`sync_events`), and the pass hands
the events to the live path when it ends, so open pages get the rows no webhook brought (the backfill records
none: pages read the API until it is done).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from dashboard.db import sync_state
from dashboard.db.base import session_scope
from dashboard.db.model import TABLES
from dashboard.db.sync_state import SyncProgress, save_progress
from dashboard.db.upsert import APPLIED, as_utc, remove, utcnow
from dashboard.recrubo.client import PATHS, Page, RecruboClient, RecruboError, Resource
from dashboard.recrubo.rows import store
from dashboard.recrubo.sync_events import Changed, Changes, kind, known, new_event_id

log = logging.getLogger(__name__)
CHANGED = "read_model_changed"  # app.extensions: told the events a pass recorded (dashboard.live.sync_pushes)
PAGE_SIZE = 200  # the API's largest page (§3.5): walks read as few pages as they can
INCREMENTAL_PAGE = 50  # a sync that finds nothing new reads one small page per type
LEASE_SECONDS = 120  # renewed after every page: a crashed holder blocks others this long at most
VERIFY_LIMIT = 100  # rows asked for one by one before a sweep tombstones them
# A watermark never passes our own clock less this: a row dated in the future (a skewed API clock, or the demo
# data's scheduled timeouts) would otherwise hide every later change dated before it.
CLOCK_SKEW = timedelta(minutes=5)


class LeaseLost(Exception):
    """Another process took the lease (this one stalled past its expiry): stop writing."""


@dataclass
class Result:
    """What one sync did: whether it ran, a sentence, rows written per type and errors per type."""

    ran: bool
    message: str
    applied: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def new_owner() -> str:
    """A lease owner name unique to this process and call: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sync_once(app: Flask, full: bool = False, due_seconds: float | None = None, wait_seconds: float = 0,
              owner: str | None = None, publish: bool = True) -> Result:
    """Sync every type once, holding the lease; skipped when another process holds it (after waiting up to
    `wait_seconds`) or, with `due_seconds`, when a sync started less than that long ago. The changes it records
    are handed to this app's live path (`app.extensions[CHANGED]`), or with `publish=False` left for a serving
    process's publisher to find."""
    owner = owner or new_owner()
    with app.app_context():
        deadline = time.monotonic() + wait_seconds
        while not sync_state.take_lease(owner, LEASE_SECONDS):
            if time.monotonic() >= deadline:
                return Result(False, "another process is syncing the read model")
            time.sleep(0.5)
        try:
            held = sync_state.lease()
            if due_seconds is not None and not full and held and held.started_at \
                    and utcnow() - held.started_at < timedelta(seconds=0.9 * due_seconds):
                return Result(False, "synced recently")
            changed = app.extensions.get(CHANGED) if publish else None
            return Sync(app.extensions["recrubo"], owner, changed).run(full)
        except LeaseLost:
            log.warning("read model sync stopped: another process took the lease")
            return Result(False, "another process took the lease over")
        finally:
            sync_state.release_lease(owner)


class Sync:
    """One pass over every type, by one lease owner."""

    def __init__(self, api: RecruboClient, owner: str, changed: Changed | None = None) -> None:
        self.api = api
        self.owner = owner
        self.changed = changed
        self.changes = Changes()

    def run(self, full: bool) -> Result:
        """Backfill the types not yet backfilled (all with `full`), sync the others incrementally."""
        if sync_state.start_on(self.api.base_url):
            log.info("read model emptied: the API moved to %s; backfilling again", self.api.base_url)
        if full:
            sync_state.restart_backfill()
        sync_state.mark_sync("started")
        self.count_ahead()
        result = Result(True, "synced")
        for type_ in TABLES:
            progress = sync_state.progress(type_)
            try:
                result.applied[type_] = self.backfill(type_, progress) if not progress.backfill_done \
                    else self.incremental(type_, progress)
            except RecruboError as error:
                log.warning("read model sync of %s failed: %s", type_, error.message)
                sync_state.note_error(type_, error.message)
                result.errors[type_] = error.message
                if error.kind in ("unreachable", "rejected"):
                    break  # every other type would fail the same way
        sync_state.mark_sync("failed" if result.errors else "finished")
        if self.changes.event_ids and self.changed is not None:
            # At the end of the pass, when every type is written: a pushed run names its new thread's candidate.
            self.changed(self.changes.event_ids)
        if result.errors:
            result.message = f"{len(result.errors)} of {len(TABLES)} types failed"
        elif any(result.applied.values()):
            log.info("read model synced: %s", ", ".join(f"{t} {n}" for t, n in result.applied.items() if n))
        return result

    def count_ahead(self) -> None:
        """Ask the API how many rows each type still to backfill has, so progress counts against every type."""
        for type_ in TABLES:
            progress = sync_state.progress(type_)
            if progress.backfill_done or progress.api_total is not None:
                continue
            try:
                total = self.page(type_, "-updatedAt", 1, 1).total
            except RecruboError:
                return  # the sync itself reports it
            with session_scope() as session:
                save_progress(session, type_, api_total=total)

    def backfill(self, type_: str, progress: SyncProgress) -> int:
        """Walk a type's list from where the last backfill stopped; a walk from the first page also sweeps."""
        number = progress.backfill_pages + 1
        mark = progress.watermark
        if number == 1:
            mark = self.newest(type_)
            with session_scope() as session:
                save_progress(session, type_, watermark=mark, backfill_rows=0)
        applied, seen = self.walk(type_, number, counting=True)
        if number == 1:
            applied += self.sweep(type_, seen, mark)
        with session_scope() as session:
            save_progress(session, type_, backfill_done=True, last_applied=applied, last_synced_at=utcnow(),
                          last_error=None)
        return applied

    def incremental(self, type_: str, progress: SyncProgress) -> int:
        """Read a type newest first down to its watermark; walk it in full when the counts disagree."""
        mark, number, applied = progress.watermark, 1, 0
        newest, total = mark, None
        while True:
            page = self.page(type_, "-updatedAt", number, INCREMENTAL_PAGE)
            if number == 1:
                total = page.meta.get("total")  # without it there is nothing to compare counts with
                newest = _later(mark, as_utc(page.items[0].get("updatedAt")) if page.items else None)
            fresh = [item for item in page.items if mark is None or (as_utc(item.get("updatedAt")) or mark) >= mark]
            with session_scope() as session:
                applied += self.write(session, fresh, type_, mark)
            self.renew()
            if len(fresh) < len(page.items) or _last(page, number, INCREMENTAL_PAGE):
                break
            number += 1
        if total is not None and int(total) != sync_state.live_count(type_) \
                and self.page(type_, "-updatedAt", 1, 1).total != sync_state.live_count(type_):
            log.info("read model: %s counts differ from the API's; walking it in full", type_)
            found, seen = self.walk(type_, 1, mark=mark, noting=True)
            applied += found + self.sweep(type_, seen, newest, noting=True)
        with session_scope() as session:
            save_progress(session, type_, watermark=newest, last_applied=applied,
                          api_total=int(total) if total is not None else progress.api_total,
                          last_synced_at=utcnow(), last_error=None)
        return applied

    def walk(self, type_: str, number: int, counting: bool = False, mark: datetime | None = None,
             noting: bool = False) -> tuple[int, set[str]]:
        """Store every row from page `number` on (`sort=createdAt`); return rows written and ids seen. With
        `counting`, each page also advances the backfill's progress in the same transaction; with `noting`, the
        rows written are recorded as changes (new since `mark` or not)."""
        applied, seen = 0, set()
        while True:
            page = self.page(type_, "createdAt", number)
            with session_scope() as session:
                applied += self.write(session, page.items, type_ if noting else None, mark)
                if counting:
                    save_progress(session, type_, backfill_pages=number, api_total=page.total,
                                  backfill_rows=SyncProgress.backfill_rows + len(page.items))
            seen.update(item.id for item in page.items)
            self.renew()
            if _last(page, number):
                return applied, seen
            number += 1

    def sweep(self, type_: str, seen: set[str], mark: datetime | None, noting: bool = False) -> int:
        """Tombstone rows a full walk did not see once the API confirms they are gone (past VERIFY_LIMIT, only
        rows older than the walk); a row the walk skipped but the API has is stored. With `noting`, what it
        writes is recorded as changes."""
        with session_scope() as session:
            missing = [(id_, updated) for id_, updated in sync_state.live_ids(session, type_).items()
                       if id_ not in seen]
        applied = 0
        for index, (id_, updated) in enumerate(missing):
            found = self.api.find(type_, id_) if index < VERIFY_LIMIT else None
            if found is None and index >= VERIFY_LIMIT and (mark is None or updated is None or updated >= mark):
                continue  # changed during the walk: the next sync looks again
            event_id = new_event_id() if noting and self.changes.room(type_) else None
            with session_scope() as session:
                verdict = store(session, found, event_id) if found is not None \
                    else remove(session, type_, id_, updated, event_id)
                if verdict == APPLIED and event_id is not None:
                    gone = {"id": id_, "type": type_, "updatedAt": updated}
                    self.changes.record(session, event_id, found or gone, "update" if found else "delete")
            applied += verdict == APPLIED
        return applied

    def write(self, session: Session, items: list[Resource], noting: str | None = None,
              mark: datetime | None = None) -> int:
        """Store rows through the one upsert; return how many changed the model. With `noting` (their type), each
        row written is also recorded as a change for open pages, in the same transaction."""
        if noting is None:
            return sum(store(session, item) == APPLIED for item in items)
        seen, applied = known(session, noting, [item.id for item in items]), 0
        for item in items:
            event_id = new_event_id() if self.changes.room(noting) else None
            if store(session, item, event_id) != APPLIED:
                continue
            applied += 1
            if event_id is not None:
                self.changes.record(session, event_id, item, kind(item, item.id in seen, mark))
        return applied

    def newest(self, type_: str) -> datetime | None:
        """The newest `updatedAt` of a type now: where the next incremental sync starts after a walk."""
        items = self.page(type_, "-updatedAt", 1, 1).items
        return _later(None, as_utc(items[0].get("updatedAt"))) if items else None

    def page(self, type_: str, sort: str, number: int, size: int = PAGE_SIZE) -> Page:
        """One page of a type's list."""
        return self.api.list(PATHS[type_], sort=sort, page=number, size=size)

    def renew(self) -> None:
        """Extend the lease after each page, or stop when another process took it."""
        if not sync_state.renew_lease(self.owner, LEASE_SECONDS):
            raise LeaseLost


def _last(page: Page, number: int, size: int = PAGE_SIZE) -> bool:
    # Page by `meta.maxPage` when the API sends it, else stop at a short page (§3.5).
    return len(page.items) < size or ("maxPage" in page.meta and number >= page.max_page)


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    later = max(first, second) if first and second else first or second
    return min(later, utcnow() - CLOCK_SKEW) if later else None

