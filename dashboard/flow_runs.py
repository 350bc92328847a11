"""Flow runs: the `flowRuns` pages."""

from __future__ import annotations

from flask import Blueprint

from dashboard import htmx
from dashboard.lists import PAGE_SIZE, page_number
from dashboard.recrubo import client

bp = Blueprint("flow_runs", __name__, url_prefix="/flow-runs")


@bp.get("")
def index():
    page = client().list("flow-runs", sort="-createdAt", page=page_number(), size=PAGE_SIZE)
    return htmx.render("flow_runs/index.html", "flow_runs/_list.html", page=page, number=page_number())
