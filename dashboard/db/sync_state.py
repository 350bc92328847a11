"""The read model's sync bookkeeping: progress per type (watermark, backfill, errors) and one lease.

The lease is one row (`owner`, `expires_at`) taken with a conditional UPDATE, like the event log's claims: every
worker of every dashboard instance sharing the database asks for it, exactly one holds it, the holder renews it
while it syncs, and a crashed holder's lease expires. Progress remembers the API base URL it was filled from, so
a re-pointed dashboard starts again from an empty model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, DateTime, Integer, String, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from dashboard.db.base import Base, session_scope
from dashboard.db.model import TABLES
from dashboard.db.upsert import utcnow

LEASE = "read-model"


class SyncProgress(Base):
    """One resource type's sync: where the incremental sync resumes, how far the backfill got, what failed."""

    __tablename__ = "model_sync"

    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500))
    # The incremental sync asks for everything updated at or after this `updatedAt` (API time, naive UTC).
    watermark: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    backfill_done: Mapped[bool] = mapped_column(Boolean, default=False)
    backfill_pages: Mapped[int] = mapped_column(Integer, default=0)
    backfill_rows: Mapped[int] = mapped_column(Integer, default=0)
    api_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_applied: Mapped[int] = mapped_column(Integer, default=0)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SyncLease(Base):
    """Who syncs now (`owner` until `expires_at`), and when the last sync started and last succeeded."""

    __tablename__ = "model_sync_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def take_lease(owner: str, seconds: float) -> bool:
    """Take (or extend) the sync lease for `seconds` unless another owner holds an unexpired one."""
    now = utcnow()
    with session_scope() as session:
        if session.get(SyncLease, LEASE) is None:
            try:
                with session.begin_nested():
                    session.add(SyncLease(name=LEASE))
            except IntegrityError:
                pass  # another process made the row first
        won = session.execute(update(SyncLease).where(
            SyncLease.name == LEASE,
            (SyncLease.owner.is_(None)) | (SyncLease.owner == owner) | (SyncLease.expires_at < now)
        ).values(owner=owner, expires_at=now + timedelta(seconds=seconds))).rowcount
    return bool(won)


def renew_lease(owner: str, seconds: float) -> bool:
    """Extend a lease this owner holds; False when it expired and another owner took it."""
    with session_scope() as session:
        return bool(session.execute(update(SyncLease).where(SyncLease.name == LEASE, SyncLease.owner == owner)
                                    .values(expires_at=utcnow() + timedelta(seconds=seconds))).rowcount)


def release_lease(owner: str) -> None:
    """Give the lease up (if this owner still holds it)."""
    with session_scope() as session:
        session.execute(update(SyncLease).where(SyncLease.name == LEASE, SyncLease.owner == owner)
                        .values(owner=None, expires_at=None))


def lease() -> SyncLease | None:
    """The lease row: who holds it and when syncs started and finished."""
    with session_scope() as session:
        return session.get(SyncLease, LEASE)


def mark_sync(moment: str) -> None:
    """Note on the lease row that a whole sync `started`, `finished` (every type synced) or `failed` now."""
    column = {"started": "started_at", "finished": "finished_at", "failed": "failed_at"}[moment]
    with session_scope() as session:
        session.execute(update(SyncLease).where(SyncLease.name == LEASE).values({column: utcnow()}))


def start_on(base_url: str) -> bool:
    """Make sure every type has progress for `base_url`; a model filled from another URL is emptied first.
    True when it was emptied (the API was re-pointed). Call it holding the lease."""
    with session_scope() as session:
        others = session.scalar(select(func.count()).select_from(SyncProgress)
                                .where(SyncProgress.base_url != base_url)) or 0
        if others:
            for table in TABLES.values():
                session.execute(delete(table))
            session.execute(delete(SyncProgress))
        known = set(session.scalars(select(SyncProgress.type)))
        for type_ in TABLES:
            if type_ not in known:
                session.add(SyncProgress(type=type_, base_url=base_url))
    return bool(others)


def restart_backfill() -> None:
    """Have the next sync backfill every type again from its first page (`flask recrubo sync --full`)."""
    with session_scope() as session:
        session.execute(update(SyncProgress).values(backfill_done=False, backfill_pages=0, backfill_rows=0,
                                                    api_total=None))


def progress(type_: str) -> SyncProgress:
    """One type's progress (after `start_on`)."""
    with session_scope() as session:
        return session.get_one(SyncProgress, type_)


def save_progress(session: Session, type_: str, **values) -> None:
    """Change one type's progress in the caller's transaction (beside the rows it describes)."""
    session.execute(update(SyncProgress).where(SyncProgress.type == type_).values(**values))


def note_error(type_: str, message: str) -> None:
    """Remember why one type's sync failed."""
    with session_scope() as session:
        save_progress(session, type_, last_error=message[:500], last_error_at=utcnow())


def live_ids(session: Session, type_: str) -> dict[str, datetime | None]:
    """The ids (with their `updated_at`) of a type's rows that are not tombstones."""
    table = TABLES[type_]
    return {id_: updated for id_, updated in session.execute(select(table.id, table.updated_at).where(~table.deleted))}


def live_count(type_: str) -> int:
    """How many rows of a type are not tombstones."""
    table = TABLES[type_]
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(table).where(~table.deleted)) or 0


@dataclass(frozen=True)
class TypeReport:
    """One type as the Settings page shows it."""

    type: str
    rows: int
    api_total: int | None
    backfill_done: bool
    backfill_rows: int
    watermark: datetime | None
    last_synced_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def report(count_rows: bool = True) -> list[TypeReport]:
    """Every type's rows (0 unless `count_rows`), API count, backfill state, watermark and last error."""
    with session_scope() as session:
        found = {row.type: row for row in session.scalars(select(SyncProgress))}
        counts = {type_: session.scalar(select(func.count()).select_from(table).where(~table.deleted)) or 0
                  for type_, table in TABLES.items()} if count_rows else dict.fromkeys(TABLES, 0)
    reports = []
    for type_ in TABLES:
        row = found.get(type_)
        reports.append(TypeReport(type_, counts[type_], row.api_total if row else None,
                                  bool(row and row.backfill_done), row.backfill_rows if row else 0,
                                  row.watermark if row else None, row.last_synced_at if row else None,
                                  row.last_error if row else None, row.last_error_at if row else None))
    return reports


def state(sync_seconds: int) -> str:
    """One phrase for /healthz: "not started", "backfilling 40%", "ok", or "behind since <time>"."""
    reports = report(count_rows=False)  # /healthz is polled: no table scans
    held = lease()
    if not any(item.last_synced_at or item.backfill_rows or item.api_total is not None for item in reports):
        return "not started"
    if not all(item.backfill_done for item in reports):
        total = sum(item.api_total or 0 for item in reports)
        done = sum(min(item.backfill_rows, item.api_total or 0) for item in reports)
        return f"backfilling {int(100 * done / total) if total else 0}%"
    finished = held.finished_at if held else None
    failing = held is not None and held.failed_at is not None and (finished is None or held.failed_at > finished)
    late = finished is None or utcnow() - finished > timedelta(seconds=3 * sync_seconds + 30)
    if failing or late:
        return f"behind since {finished.isoformat(timespec='seconds')}Z" if finished else "behind"
    return "ok"
