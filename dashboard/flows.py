"""Flows: the `flows` pages."""

from __future__ import annotations

from flask import Blueprint

from dashboard import htmx
from dashboard.lists import PAGE_SIZE, page_number
from dashboard.recrubo import client

bp = Blueprint("flows", __name__, url_prefix="/flows")


@bp.get("")
def index():
    page = client().list("flows", sort="-createdAt", page=page_number(), size=PAGE_SIZE)
    return htmx.render("flows/index.html", "flows/_list.html", page=page, number=page_number())
