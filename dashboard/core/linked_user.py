"""The Recrubo user a signed-in account acts as (in embeddables), and that user's time zone.

The embeddables show times in their user's `timeZone` (reference §5.2) and take no zone of their own, so the
dashboard shows its times in the same zone: one message reads one time on a page and in the Inbox beside it.
The zone is asked once per Recrubo user and kept for a while, never once per page.
"""

from __future__ import annotations

import logging
import threading
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g

from dashboard.db import users
from dashboard.recrubo.client import RecruboError, client

log = logging.getLogger(__name__)
ZONE_SECONDS = 600  # how long a user's zone is kept
MISS_SECONDS = 60  # how long "the API could not say" is kept, so an outage costs one request a minute
_zones: dict[str, tuple[float, str | None]] = {}
_lock = threading.Lock()


def linked_recrubo_user_id() -> str | None:
    """The signed-in account's Recrubo user; the demo account links itself to the sandbox's recruiter."""
    if g.user.recrubo_user_id:
        return g.user.recrubo_user_id
    if current_app.config["RECRUBO"].embedded_sandbox and g.user.email == users.DEMO_EMAIL:
        first = client().list("users", sort="createdAt", size=1).items
        if first:
            users.link_recrubo_user(g.user.id, first[0].id)
            return first[0].id
    return None


def valid_zone(name: object) -> str | None:
    """`name` when it is an IANA time zone this machine knows, else None."""
    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def recrubo_user_zone() -> str | None:
    """The `timeZone` of the signed-in account's linked Recrubo user, or None (not linked, or the API cannot say)."""
    try:
        user_id = linked_recrubo_user_id()
    except RecruboError:
        return None
    if not user_id:
        return None
    now = time.monotonic()
    with _lock:
        cached = _zones.get(user_id)
    if cached and cached[0] > now:
        return cached[1]
    try:
        zone, keep = valid_zone(client().get("users", user_id).get("timeZone")), ZONE_SECONDS
    except RecruboError as error:
        log.warning("time zone of Recrubo user %s unknown: %s", user_id, error.message)
        zone, keep = None, MISS_SECONDS
    with _lock:
        _zones[user_id] = (now + keep, zone)
    return zone


def forget_zones() -> None:
    """Ask again next time (after a user's zone changed)."""
    with _lock:
        _zones.clear()
