"""What an applied webhook event looks like on screen: the partials it renders to, per live channel.

Only rendering: a function of the event (with its resource's row as the read model joins it, which the publisher
reads), or of Home's counts, and the templates, with nothing to decide and no side effects; the publisher decides
what is due and publishes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, current_app, has_request_context, url_for
from jinja2 import Template, TemplateNotFound

from dashboard.core import names
from dashboard.core.htmx import hx_partial
from dashboard.core.times import in_utc
from dashboard.db.events import Event
from dashboard.live.home import Figures
from dashboard.recrubo.client import Resource, parse_resource
from dashboard.recrubo.relations import related_id

RUN_ENDINGS = {"finished": "{who} finished {flow}.", "timeout": "{who} timed out in {flow}.",
               "exception": "{flow} failed for {who}.", "cancelled": "{flow} was cancelled for {who}."}
TERMINAL_RUN_STATUSES = set(RUN_ENDINGS)


@dataclass(frozen=True)
class Listed:
    """How one resource type appears in its list and on its own page."""

    template: str
    id_prefix: str
    rows_id: str
    label: str


LISTED = {
    "flowRuns": Listed("flow_runs/_partials.html", "flow-run-", "flow-runs-rows", "Flow run"),
    "flows": Listed("flows/_partials.html", "flow-", "flows-rows", "Flow"),
    "messageThreads": Listed("message_threads/_partials.html", "message-thread-", "message-threads-rows",
                             "Message thread"),
    "flowGenerations": Listed("flow_generations/_partials.html", "flow-generation-", "flow-generations-rows",
                              "Flow generation"),
}


def render(event: Event, row: Mapping | None = None) -> list[tuple[str, dict]]:
    """Render an event once into (channel, frame body) pairs; the same bytes go to every socket. `row` is the
    resource as the list page reads it from the read model (`dashboard.db.listing`, with the names it points
    at), so the pushed row equals the row after a reload; without it, the webhook's own resource is shown."""
    resource = row or parse_resource(event.document["data"]["attributes"]["resource"])
    bodies: list[tuple[str, dict]] = []
    listed = LISTED.get(event.resource_type)
    announcement = _announcement(event, resource)
    if listed is not None:
        bodies.append((event.resource_type, _frame(_list_html(event, resource, listed), announcement)))
        detail = _macro(listed.template, "detail")
        if detail is not None:
            html = hx_partial(f"{listed.id_prefix}{resource.id}", str(detail(resource)),
                              "delete" if event.event == "delete" else "outerHTML")
            bodies.append((f"{event.resource_type}:{resource.id}", _frame(html, announcement)))
    if event.resource_type == "messages" and related_id(resource, "messageThread"):
        bodies.append((f"messageThreads:{related_id(resource, 'messageThread')}",
                       _frame(_message_html(event, resource), announcement)))
    return bodies


def renamed(type_: str, rows: list[Mapping]) -> list[tuple[str, dict]]:
    """Rows of a list (`messageThreads`, `flowRuns`) whose names changed with a related resource (a candidate),
    as one in-place update of each on the list's channel; rows a page does not show are left alone."""
    listed = LISTED[type_]
    if not rows:
        return []
    row = _macro(listed.template, "row")
    html = "".join(hx_partial(f"{listed.id_prefix}{item['id']}", str(row(item))) for item in rows)
    return [(type_, {"content": html})]


def _frame(html: str, announcement: str | None) -> dict:
    return {"content": str(html), "announce": announcement} if announcement else {"content": str(html)}


def _list_html(event: Event, resource: Resource, listed: Listed) -> str:
    row_id = f"{listed.id_prefix}{resource.id}"
    if event.event == "delete":
        return hx_partial(row_id, "", "delete")
    row = str(_macro(listed.template, "row")(resource))
    if event.event == "update":
        return hx_partial(row_id, row)
    # A new resource goes on top of the first page only (the list marks it); a replay may find it there already,
    # so that copy is removed first and the row never appears twice. Lists that take no new rows (filtered, later
    # pages) keep the copy they show.
    inserts = f"{listed.rows_id}[data-live-inserts]"
    return hx_partial(f"{inserts} > #{row_id}", "", "delete") + hx_partial(inserts, row, "afterbegin")


def _message_html(event: Event, message: Resource) -> str:
    message_id = f"message-{message.id}"
    if event.event == "delete":
        return hx_partial(message_id, "", "delete")
    html = str(_macro("message_threads/_partials.html", "message")(message))
    if event.event == "update":
        return hx_partial(message_id, html)
    return (hx_partial(message_id, "", "delete")
            + hx_partial(f"message-thread-{related_id(message, 'messageThread')}-messages", html, "beforeend"))


def counters(totals: dict[str, int], runs: dict[str, int], home: Figures | None = None) -> list[tuple[str, dict]]:
    """Home's totals and runs-by-status (as `recrubo.counting` counts them) as one push on the `home` channel; with
    `home` (its figures, read from the filled model) every other panel too: "Needs attention", "Generations in
    progress" and the chart."""
    parts = [("totals", _macro("home/_partials.html", "totals")(totals)),
             ("run-counts", _macro("home/_partials.html", "run_counts")(runs))]
    if home is not None:
        parts += [("attention", _macro("home/_partials.html", "attention")(home.failed_today, home)),
                  ("generating", _macro("home/_partials.html", "generating")(home.generating)),
                  ("runs-chart", _macro("home/_chart.html", "runs_chart")(home.chart, home.zone))]
    return [("home", {"content": "".join(hx_partial(target, str(html)) for target, html in parts)})]


def _announcement(event: Event, resource: Resource) -> str | None:
    # Named as the list names them (the joined row the publisher passes): a screen reader hears who and which
    # flow, never an id.
    if event.resource_type == "flowRuns" and event.event != "delete":
        status = resource.get("status")
        if status in TERMINAL_RUN_STATUSES and (not event.field_list or "status" in event.field_list):
            who = names.thread_name(resource.get("messageThread"), related_id(resource, "messageThread"))
            flow = names.flow_name(resource.get("flow"), related_id(resource, "flow"))
            return RUN_ENDINGS[status].format(who=who, flow=flow)
    if event.resource_type == "messages" and event.event == "create" and resource.get("origin") == "inbound":
        return f"New message from {resource.get('sendBy') or 'a candidate'}."
    if event.resource_type == "flowGenerations" and resource.get("status") == "finished" \
            and "status" in (event.field_list or ["status"]):
        flow = resource.get("flow")
        if isinstance(flow, Mapping) and flow.get("name"):
            return f"The flow {flow['name']} is generated."
        return "A flow generation finished."
    return None


def push_url_for(endpoint: str, **values: object) -> str:
    """`url_for` for pushes, which render in the app context alone (no request): the path, as a page's links have
    it (pages are served from the root, as `test_request_context("/")` built them before)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def url_for_anywhere(endpoint: str, **values: object) -> str:
    """The templates' `url_for`: Flask's in a request, `push_url_for` outside one. A push is rendered once,
    outside any request, and the macros a partial imports (`{% from ... import %}`) see the environment's globals,
    not the variables the partial was rendered with, so the fallback must live in the environment itself."""
    return url_for(endpoint, **values) if has_request_context() else push_url_for(endpoint, **values)


# A push goes to every open page: a CSRF token made while rendering it would belong to no one's session, and
# a form's hidden field wins over the X-CSRFToken header that every page sends (hx-headers on <body>). Left
# empty in pushes, the field gives way to the header, which carries the page's own token. Links are built
# without a request by the environment's `url_for` (`url_for_anywhere`).
PUSH_GLOBALS = {"csrf_token": lambda: ""}


def init_app(app: Flask) -> None:
    """Give every template the `url_for` that also works in pushes."""
    app.jinja_env.globals["url_for"] = url_for_anywhere


def _macro(template: str, name: str):
    """A macro of `template` as pushes render it (see PUSH_GLOBALS), or None when it has none by that name."""
    try:
        macro = getattr(_push_module(current_app.jinja_env.get_template(template)), name)
    except (AttributeError, TemplateNotFound):
        return None
    # Times in UTC, as every page's times.js reads them, even when a request renders it (an admin's "Push again").
    return in_utc(macro)


@lru_cache(maxsize=64)
def _push_module(template: Template):
    # Made once per template (as Jinja caches `template.module`), not for each macro of each event.
    return template.make_module(vars=PUSH_GLOBALS)
