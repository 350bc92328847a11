"""Flow generations: the `flowGenerations` pages."""

from __future__ import annotations

from flask import Blueprint

from dashboard import htmx
from dashboard.lists import PAGE_SIZE, page_number
from dashboard.recrubo import client

bp = Blueprint("flow_generations", __name__, url_prefix="/flow-generations")


@bp.get("")
def index():
    page = client().list("flow-generations", sort="-createdAt", page=page_number(), size=PAGE_SIZE)
    return htmx.render("flow_generations/index.html", "flow_generations/_list.html", page=page, number=page_number())
