"""Message threads: the `messageThreads` pages."""

from __future__ import annotations

from flask import Blueprint

from dashboard import htmx
from dashboard.lists import PAGE_SIZE, page_number
from dashboard.recrubo import client

bp = Blueprint("message_threads", __name__, url_prefix="/message-threads")


@bp.get("")
def index():
    page = client().list("message-threads", sort="-createdAt", page=page_number(), size=PAGE_SIZE)
    return htmx.render("message_threads/index.html", "message_threads/_list.html", page=page, number=page_number())
