"""A flow's funnel taken independently of the dashboard: each run of the API's list walked through the flow's graph
by its documented fields (`state`: the answers under each `ask` action's `variableName`; `status`; links tried in
`index` order, reference §7.2-7.3), and the funnel tables of a flow page read back."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from html.parser import HTMLParser

from dashboard.recrubo.client import RecruboClient
from dashboard.recrubo.relations import related_id

EARLY = ("timeout", "exception", "cancelled")
COMPARISON = re.compile(r"""\s*session\.([\w-]+)\s*(===|!==|==|!=|<=|>=|<|>)\s*("[^"]*"|'[^']*'|[\w.-]+)\s*""")


def graph(api: RecruboClient, flow_id: str) -> dict[str, dict]:
    """The flow's steps by id: `asks` (variables), `start`, `end`, and `links` [(target, condition)] in order."""
    nodes = list(api.iterate("nodes", filters={"flowId": flow_id}, include="nodeActions"))
    steps = {}
    for node in nodes:
        actions = sorted(node.get("nodeActions") or [], key=lambda action: action.get("index") or 0)
        links = sorted(api.iterate("node-transitions", filters={"nodeId": node.id}), key=lambda l: l.get("index") or 0)
        steps[node.id] = {"asks": [a["variableName"] for a in actions if a.get("actionType") == "ask"],
                          "start": bool(node.get("isStartFlow")), "end": bool(node.get("isEndFlow")),
                          "links": [(related_id(link, "exitNode"), link.get("condition")) for link in links]}
    return steps


def holds(condition: str | None, state: dict) -> bool | None:
    """A link's condition on a run's answers; None when it is not a simple comparison."""
    if condition is None:
        return True
    found = COMPARISON.fullmatch(condition)
    if not found:
        return None
    name, operator, literal = found.groups()
    value = state.get(name)
    if literal[0] in "\"'":
        literal = literal[1:-1]
    if operator in ("===", "=="):
        return value == literal
    if operator in ("!==", "!="):
        return value != literal
    try:
        left, right = float(value), float(literal)
    except (TypeError, ValueError):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]


def walk(steps: dict[str, dict], state: dict, status: str) -> tuple[list[str], bool]:
    """The steps a run went through as far as its answers show, and whether the walk is certain (False when a
    condition could not be read)."""
    here = next((step for step, facts in steps.items() if facts["start"]), None)
    path: list[str] = []
    while here is not None and here not in path:
        facts = steps[here]
        if facts["asks"] and not any(state.get(name) is not None for name in facts["asks"]):
            break  # asked here, not answered (yet)
        if facts["end"]:
            if status == "finished":
                path.append(here)
            break
        path.append(here)
        chosen = None
        for target, condition in facts["links"]:
            verdict = holds(condition, state)
            if verdict is None:
                return path, False
            if verdict:
                chosen = target
                break
        here = chosen
    # A step that asks nothing counts only when the walk went on past it (or it ended the run).
    while path and not steps[path[-1]]["asks"] and not steps[path[-1]]["end"]:
        path.pop()
    return path, True


def expected(api: RecruboClient, flow_id: str, since: datetime | None = None, until: datetime | None = None) -> dict:
    """The funnel of the flow's runs created in [since, until): `runs`, `status` Counter, `reached` Counter by step,
    `left` Counter by step (reached last, ended early), `silent` (ended early with no answer)."""
    steps = graph(api, flow_id)
    result = {"runs": 0, "status": Counter(), "reached": Counter(), "left": Counter(), "silent": 0, "uncertain": set()}
    for run in api.iterate("flow-runs", filters={"flowId": flow_id}):
        created = datetime.fromisoformat(run["createdAt"].replace("Z", "+00:00")).astimezone(timezone.utc)
        created = created.replace(tzinfo=None)
        if (since and created < since) or (until and created >= until):
            continue
        result["runs"] += 1
        result["status"][run.get("status")] += 1
        state = run.get("state") or {}
        path, certain = walk(steps, state, run.get("status"))
        if not certain:
            result["uncertain"].update(steps)
        result["reached"].update(path)
        if run.get("status") in EARLY:
            if path:
                result["left"][path[-1]] += 1
            elif not any(state.get(name) is not None for facts in steps.values() for name in facts["asks"]):
                result["silent"] += 1
    return result


class _Tables(HTMLParser):
    """The funnel tables' cells that carry `data-count`, by row id and cell class."""

    def __init__(self) -> None:
        super().__init__()
        self.row: str | None = None
        self.cells: dict[str, dict[str, str]] = {}
        self.region: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "div" and (attributes.get("id") or "").startswith("flow-funnel-"):
            self.region = {name: value or "" for name, value in attributes.items()}
        if tag == "tr" and attributes.get("id"):
            self.row = attributes["id"]
        if tag == "td" and self.row and "data-count" in attributes:
            self.cells.setdefault(self.row, {})[attributes.get("class") or ""] = attributes["data-count"] or ""
        if tag == "strong" and "data-runs" in attributes:
            self.region["runs"] = attributes["data-runs"]
        if attributes.get("id") == "funnel-compare":
            self.region["runs-before"] = attributes["data-runs-before"] or ""


def read_page(html: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A flow page's funnel region attributes (`data-period`, `data-since`, …, `runs`) and its table cells."""
    parser = _Tables()
    parser.feed(html)
    return parser.region, parser.cells


def stamp(text: str) -> datetime | None:
    """A page's `data-since` as naive UTC."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") if text else None
