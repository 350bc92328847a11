"""Message threads: the list with channel filter and search, one conversation, and pausing the chatbot."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from dashboard.core import export, htmx, lists
from dashboard.core.lists import PAGE_SIZE
from dashboard.db import listing
from dashboard.live.pages import live_page
from dashboard.recrubo import behind
from dashboard.recrubo.client import Page, RecruboError, Resource, client
from dashboard.recrubo.relations import attach, related_id
from dashboard.recrubo.rows import keep
from dashboard.recrubo.search import thread_filters

log = logging.getLogger(__name__)
bp = Blueprint("message_threads", __name__, url_prefix="/message-threads")
CHANNELS = {"whatsapp": "WhatsApp", "facebook-messenger": "Facebook Messenger"}
SORTS = {"activity": "-updatedAt", "newest": "-createdAt", "oldest": "createdAt"}
BOT = {"active": "Chatbot active", "paused": "Chatbot paused"}
IDLE = {"1": "No active run"}  # threads without a queued or running run: free for a new one
MESSAGES_SHOWN = 100
FILTERS = {"q": None, "channel": CHANNELS, "bot": BOT, "idle": IDLE}
API_CHUNK = 100  # threads asked about at once (their runs, their candidates) in an export read from the API
HEADER = ["Candidate", "Channel", "Identifier", "Chatbot", "Last activity (UTC)", "id"]


def query() -> lists.ListQuery:
    """The threads list state from the URL."""
    return lists.parse(FILTERS, SORTS)


def api_filters(state: lists.ListQuery) -> dict[str, str] | None:
    """The API filters for a list state; None when the search cannot match anything."""
    filters = thread_filters(state.get("q"))
    if filters is None:
        return None
    filters["channel"] = state.get("channel")
    if state.get("bot"):
        filters["chatbotPaused"] = "true" if state.get("bot") == "paused" else "false"
    return filters


@bp.get("")
@live_page("messageThreads")
def index() -> ResponseReturnValue:
    """The threads list for the search, channel, chatbot state, sort and page in the URL; all of it as CSV with
    `format=csv`."""
    state = query()
    if export.wanted():
        return export_csv(state)
    backfilling = not listing.ready("messageThreads")
    page = api_page(state) if backfilling else lists.model_page(model_threads(state, state.page, PAGE_SIZE))
    if not backfilling and state.get("q") and not page.total:
        # Someone added a moment ago whose webhooks are still on the way: the API may know them already. When it
        # cannot be reached, the model's answer stands (the list says since when it may be behind).
        try:
            page = api_page(state)
        except RecruboError as error:
            if error.kind == "unreachable":
                behind.note_unreachable()
    return htmx.render("message_threads/index.html", "message_threads/_list.html", page=page, query=state,
                       sorts=SORTS, channels=CHANNELS, bot=BOT, idle=IDLE, backfilling=backfilling)


def model_threads(state: lists.ListQuery, page: int, size: int) -> listing.Found:
    """The threads of a list state read from the model: the page and its export read this one query."""
    return listing.threads(search=state.get("q"), channel=state.get("channel"),
                           paused=(state.get("bot") == "paused") if state.get("bot") else None,
                           idle=bool(state.get("idle")), sort=SORTS[state.sort], page=page, size=size)


def export_csv(state: lists.ListQuery) -> ResponseReturnValue:
    """Every thread of the list state as CSV, in its order (from the read model only: a 503 until it is filled)."""
    export.check(FILTERS, SORTS)
    if not listing.ready("messageThreads"):
        return export.not_ready()
    threads: Iterable[Mapping] = model_threads(state, listing.EVERY, export.CHUNK).items
    if state.get("q") and not model_threads(state, 1, 1).total:
        threads = api_threads(state)  # as the page does: someone added a moment ago the API may know already
    rows = ([export.person(export.related(thread, "candidate")) or thread.get("identifier"),
             CHANNELS.get(thread.get("channel") or "", thread.get("channel")), thread.get("identifier"),
             "Paused" if thread.get("chatbotPaused") else "Active", export.utc(thread.get("updatedAt")),
             thread.get("id")] for thread in threads)
    return export.respond("message-threads", HEADER, rows)


def api_threads(state: lists.ListQuery) -> Iterator[Resource]:
    """Every thread the API finds for a list state, with its candidate, a chunk at a time (a search's export when
    the read model has not received them yet)."""
    filters = api_filters(state)
    if filters is None:
        return
    api = client()
    found = api.iterate("message-threads", filters=filters, sort=SORTS[state.sort], include="candidate")
    try:
        for chunk in export.chunked(found, API_CHUNK):
            chunk = without_busy(state, chunk)
            attach(api, chunk, "candidate", "candidates")
            yield from chunk
    except RecruboError as error:  # as on the page, the model's answer stands; the file ends where the API failed
        log.warning("thread search export: the API failed: %s", error.message)
        if error.kind == "unreachable":
            behind.note_unreachable()


def api_page(state: lists.ListQuery) -> Page:
    """The threads list read from the API, while the read model is still backfilling."""
    filters = api_filters(state)
    if filters is None:
        return lists.empty_page()
    page = client().list("message-threads", filters=filters, sort=SORTS[state.sort], page=state.page,
                         size=PAGE_SIZE, include="candidate")
    page = Page(without_busy(state, page.items), page.meta)
    attach(client(), page.items, "candidate", "candidates")
    return page


def without_busy(state: lists.ListQuery, threads: list[Resource]) -> list[Resource]:
    """`threads` without those with a queued or running run when the state asks for idle ones only (the API cannot
    filter threads by their runs: one question for these threads' active runs)."""
    if not state.get("idle") or not threads:
        return threads
    busy = {related_id(run, "messageThread") for run in client().list(
        "flow-runs", filters={"messageThreadId": [thread.id for thread in threads], "status": "queued,running"},
        size=len(threads)).items}
    return [thread for thread in threads if thread.id not in busy]


@bp.get("/<thread_id>")
@live_page("messageThreads:{thread_id}")
def show(thread_id: str) -> ResponseReturnValue:
    """One thread: the candidate, the conversation and the thread's runs."""
    api = client()
    thread = api.get("message-threads", thread_id, include="candidate")
    attach(api, [thread], "candidate", "candidates")
    newest = api.list("messages", filters={"messageThreadId": thread_id}, sort="-createdAt", size=MESSAGES_SHOWN)
    runs = api.list("flow-runs", filters={"messageThreadId": thread_id}, sort="-createdAt", size=10,
                    include="flow")
    attach(api, runs.items, "flow", "flows")
    return render_template("message_threads/show.html", thread=thread, messages=list(reversed(newest.items)),
                           more_messages=newest.total > MESSAGES_SHOWN, runs=runs)


@bp.post("/<thread_id>/chatbot")
def chatbot(thread_id: str) -> ResponseReturnValue:
    """Pause or resume the chatbot on a thread and answer with the thread's updated block."""
    paused = request.form.get("paused")
    if paused not in ("true", "false"):
        abort(400)
    api = client()
    keep(api.update("message-threads", "messageThreads", thread_id, {"chatbotPaused": paused == "true"}))
    if not htmx.is_partial():
        return redirect(url_for(".show", thread_id=thread_id))
    thread = api.get("message-threads", thread_id)
    keep(thread)
    return render_template("message_threads/_detail.html", thread=thread)
