"""Which threads a bulk launch is for: the threads list's filters (search, channel, chatbot state) plus "no active
run", read from the read model (the threads list's own query) or, while it backfills, from the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.db import listing
from dashboard.recrubo.client import client
from dashboard.recrubo.relations import attach, related_id
from dashboard.recrubo.search import thread_filters

LIMIT = 500  # threads one launch may run on; more matches are left out, and the form says so
PAGE_SIZE = 25
CHANNELS = {"whatsapp": "WhatsApp", "facebook-messenger": "Facebook Messenger"}
BOT = {"active": "Chatbot active", "paused": "Chatbot paused"}
BUSY = "queued,running"


@dataclass(frozen=True)
class Selection:
    """The filters of a thread selection, as the threads list names them (`q`, `channel`, `bot`) plus `idle`."""

    search: str = ""
    channel: str = ""
    bot: str = ""
    idle: bool = False

    @property
    def paused(self) -> bool | None:
        """The chatbot state asked for, or None for either."""
        return (self.bot == "paused") if self.bot else None

    def args(self) -> dict[str, str]:
        """The selection as query parameters (empty ones left out)."""
        values = {"q": self.search, "channel": self.channel, "bot": self.bot, "idle": "1" if self.idle else ""}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Matches:
    """Threads of a selection (with their candidates) and how many match in all."""

    threads: list[Mapping]
    total: int


def read(values: Mapping[str, str]) -> Selection:
    """A selection from a form or query string; values outside a filter's choices are dropped."""
    search = (values.get("q") or values.get("threadSearch") or "").strip()[:100]
    channel, bot = values.get("channel", ""), values.get("bot", "")
    return Selection(search, channel if channel in CHANNELS else "", bot if bot in BOT else "",
                     values.get("idle", "") in ("1", "true", "on"))


def matching(selection: Selection, page: int = 1, size: int = PAGE_SIZE) -> Matches:
    """One page of the threads a selection matches, newest activity first, and how many match in all."""
    if listing.ready("messageThreads"):
        found = listing.threads(search=selection.search, channel=selection.channel, paused=selection.paused,
                                idle=selection.idle, sort="-updatedAt", page=page, size=size)
        if found.total or not selection.search:
            return Matches(found.items, found.total)
        # Someone added a moment ago whose webhooks are on their way: the API may know them already.
    return _from_api(selection, page, size)


def resolve(selection: Selection, limit: int = LIMIT) -> Matches:
    """Every thread a selection matches, up to `limit` (newest activity first), and how many match in all."""
    return matching(selection, 1, limit)


def ticked(chosen: list[str]) -> list[Mapping]:
    """The ticked threads, in order, with their candidates (from the read model once it is filled; a thread made a
    moment ago, or one the model lacks, from the API; a thread deleted meanwhile drops out)."""
    if not chosen:
        return []
    api = client()
    listed: dict[str, Mapping] = {}
    if listing.ready("messageThreads"):
        listed = {thread.id: thread for thread in listing.threads(ids=chosen, size=len(chosen)).items}
    missing = [thread_id for thread_id in chosen if thread_id not in listed]
    if missing:
        fetched = api.list("message-threads", filters={"id": missing}, size=len(missing), include="candidate").items
        attach(api, fetched, "candidate", "candidates")
        listed.update({thread.id: thread for thread in fetched})
    return [listed[thread_id] for thread_id in chosen if thread_id in listed]


def _from_api(selection: Selection, page: int, size: int) -> Matches:
    api = client()
    filters = thread_filters(selection.search)
    if filters is None:
        return Matches([], 0)
    filters["channel"] = selection.channel
    if selection.bot:
        filters["chatbotPaused"] = "true" if selection.bot == "paused" else "false"
    threads, total, number = [], 0, page
    per_page = min(size, 100)
    while len(threads) < size:
        found = api.list("message-threads", filters=filters, sort="-updatedAt", page=number, size=per_page,
                         include="candidate")
        items = found.items
        total = found.total
        if selection.idle and items:
            busy = {related_id(run, "messageThread") for run in api.list(
                "flow-runs", filters={"messageThreadId": [thread.id for thread in items], "status": BUSY},
                size=len(items)).items}
            total -= len(busy)  # of this page only: the API cannot count idle threads
            items = [thread for thread in items if thread.id not in busy]
        threads += items
        if len(found.items) < per_page or size <= per_page:
            break
        number += 1
    threads = threads[:size]
    attach(api, threads, "candidate", "candidates")
    return Matches(threads, max(total, len(threads)))
