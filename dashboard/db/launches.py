"""Bulk launches as they go: what was asked, and one line per thread (waiting, launched or refused, and why).

Stored in the settings table (no table of their own): `launch:<id>` holds the launch, `launch:<id>:<n>` its n-th
line, so a line is written alone as its run is made, and the page reads them back in order by key. A launch is
kept whatever the browser does; the newest KEEP launches are kept.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from dashboard.db.base import session_scope
from dashboard.db.stored_settings import StoredSetting

KEEP = 200
PREFIX = "launch:"
LAUNCH_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
WAITING, LAUNCHED, REFUSED = "waiting", "launched", "refused"


def new_id() -> str:
    """A new launch id: a UUIDv7, so keys sort by time."""
    value = (int(time.time() * 1000) << 80) | (0x7 << 76) | (int.from_bytes(os.urandom(10), "big") >> 4)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _line_key(launch_id: str, number: int) -> str:
    return f"{PREFIX}{launch_id}:{number:04d}"


def create(launch_id: str, launch: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Store a new launch with its lines (all waiting), and forget launches older than the newest KEEP."""
    with session_scope() as session:
        session.add(StoredSetting(key=f"{PREFIX}{launch_id}", value=json.dumps(launch)))
        session.add_all(StoredSetting(key=_line_key(launch_id, number), value=json.dumps(line))
                        for number, line in enumerate(lines))
        _prune(session)


def _prune(session: Session) -> None:
    heads = [key for key in session.scalars(select(StoredSetting.key).where(
        StoredSetting.key.startswith(PREFIX, autoescape=True)).order_by(StoredSetting.key.desc()))
        if key.count(":") == 1]
    for key in heads[KEEP:]:
        session.execute(delete(StoredSetting).where(StoredSetting.key == key))
        session.execute(delete(StoredSetting).where(StoredSetting.key > f"{key}:", StoredSetting.key < f"{key};"))


def unfinished() -> list[str]:
    """The ids of the stored launches not yet done, oldest first."""
    with session_scope() as session:
        rows = session.execute(select(StoredSetting.key, StoredSetting.value).where(
            StoredSetting.key.startswith(PREFIX, autoescape=True)).order_by(StoredSetting.key)).all()
    return [key[len(PREFIX):] for key, value in rows if key.count(":") == 1 and not json.loads(value).get("done")]


def get(launch_id: str) -> dict[str, Any] | None:
    """The launch as stored, or None."""
    with session_scope() as session:
        row = session.get(StoredSetting, f"{PREFIX}{launch_id}")
        return json.loads(row.value) if row else None


def lines(launch_id: str) -> list[dict[str, Any]]:
    """The launch's lines in order, each with its `number`."""
    with session_scope() as session:
        rows = session.execute(select(StoredSetting.key, StoredSetting.value).where(
            StoredSetting.key > f"{PREFIX}{launch_id}:", StoredSetting.key < f"{PREFIX}{launch_id};")
            .order_by(StoredSetting.key)).all()
    return [{**json.loads(value), "number": int(key.rsplit(":", 1)[1])} for key, value in rows]


def update(launch_id: str, launch: dict[str, Any] | None = None, line: dict[str, Any] | None = None,
           session: Session | None = None) -> None:
    """Write the launch and/or one of its lines (by its `number`), in `session` when given."""
    if session is None:
        with session_scope() as own:
            update(launch_id, launch, line, own)
        return
    if launch is not None:
        launch["touchedAt"] = time.time()
        session.merge(StoredSetting(key=f"{PREFIX}{launch_id}", value=json.dumps(launch)))
    if line is not None:
        body = {key: value for key, value in line.items() if key != "number"}
        session.merge(StoredSetting(key=_line_key(launch_id, line["number"]), value=json.dumps(body)))


def claim(launch_id: str, stale_seconds: float) -> dict[str, Any] | None:
    """Take over an unfinished launch whose work has written nothing for `stale_seconds` (its process ended): the
    launch, touched now and counted as resumed once more, or None when it is done, still going, or another request
    took it first."""
    key = f"{PREFIX}{launch_id}"
    with session_scope() as session:
        row = session.get(StoredSetting, key)
        if row is None:
            return None
        seen = row.value
        launch = json.loads(seen)
        if launch.get("done") or time.time() - float(launch.get("touchedAt") or 0) < stale_seconds:
            return None
        launch.update(touchedAt=time.time(), resumed=int(launch.get("resumed") or 0) + 1)
        taken = session.execute(sql_update(StoredSetting).where(StoredSetting.key == key, StoredSetting.value == seen)
                                .values(value=json.dumps(launch)))
    return launch if taken.rowcount == 1 else None
