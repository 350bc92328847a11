"""Message threads: the list with channel filter and search, one conversation, and pausing the chatbot."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from dashboard.core import export, htmx, lists
from dashboard.core.lists import PAGE_SIZE
from dashboard.db import listing
from dashboard.live.pages import live_page
from dashboard.recrubo import behind
from dashboard.recrubo.client import Page, RecruboError, client
from dashboard.recrubo.relations import attach
from dashboard.recrubo.rows import keep
from dashboard.recrubo.search import thread_filters

bp = Blueprint("message_threads", __name__, url_prefix="/message-threads")
CHANNELS = {"whatsapp": "WhatsApp", "facebook-messenger": "Facebook Messenger"}
SORTS = {"activity": "-updatedAt", "newest": "-createdAt", "oldest": "createdAt"}
BOT = {"active": "Chatbot active", "paused": "Chatbot paused"}
MESSAGES_SHOWN = 100
FILTERS = {"q": None, "channel": CHANNELS, "bot": BOT}
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
                       sorts=SORTS, channels=CHANNELS, bot=BOT, backfilling=backfilling)


def model_threads(state: lists.ListQuery, page: int, size: int) -> listing.Found:
    """The threads of a list state read from the model: the page and its export read this one query."""
    return listing.threads(search=state.get("q"), channel=state.get("channel"),
                           paused=(state.get("bot") == "paused") if state.get("bot") else None,
                           sort=SORTS[state.sort], page=page, size=size)


def export_csv(state: lists.ListQuery) -> ResponseReturnValue:
    """Every thread of the list state as CSV, in its order (from the read model only: a 503 until it is filled)."""
    export.check(FILTERS, SORTS)
    if not listing.ready("messageThreads"):
        return export.not_ready()
    rows = ([export.person(export.related(thread, "candidate")) or thread.get("identifier"),
             CHANNELS.get(thread.get("channel") or "", thread.get("channel")), thread.get("identifier"),
             "Paused" if thread.get("chatbotPaused") else "Active", export.utc(thread.get("updatedAt")),
             thread.get("id")] for thread in model_threads(state, listing.EVERY, export.CHUNK).items)
    return export.respond("message-threads", HEADER, rows)


def api_page(state: lists.ListQuery) -> Page:
    """The threads list read from the API, while the read model is still backfilling."""
    filters = api_filters(state)
    if filters is None:
        return lists.empty_page()
    page = client().list("message-threads", filters=filters, sort=SORTS[state.sort], page=state.page,
                         size=PAGE_SIZE, include="candidate")
    attach(client(), page.items, "candidate", "candidates")
    return page


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
