"""A flow's steps laid out as a graph for a server-drawn SVG: boxes in layers, links routed around them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboard.flows.labels import Placed, cubic, place, short
from dashboard.recrubo.graph_walk import back_links
from dashboard.recrubo.relations import related_id

BOX_WIDTH = 300
HEADER = 30
LINE = 18
LAYER_GAP = 64
COLUMN_GAP = 56
MARGIN = 24
LANE_GAP = 14
MAX_LINES = 4
CHARS_PER_LINE = 44
LABEL_CHAR = 6.7  # width of one character of a link label (11px monospace)
COUNT_LINE = 20  # the funnel's line at the foot of a step (`layout(counted=True)`)


@dataclass
class Box:
    """One step drawn as a box: where it sits, its title, its badge and its action lines."""

    id: str
    name: str
    kind: str  # start | end | step
    badge: str
    lines: list[str]
    x: float = 0
    y: float = 0
    width: float = BOX_WIDTH
    height: float = HEADER
    count_y: float = 0  # where the funnel's count line sits (0: none)

    @property
    def center(self) -> float:
        """The box's horizontal middle, where its links attach."""
        return self.x + self.width / 2


@dataclass
class Edge:
    """One link drawn as a path, with its condition as a label where there is one."""

    d: str
    kind: str  # next | lane | back
    label: str = ""  # the condition shortened (`labels.short`)
    label_x: float = 0
    label_y: float = 0
    source: str = ""
    target: str = ""
    condition: str = ""  # in full, for the label's title and accessible name
    points: list = field(default_factory=list)
    box: Placed | None = None
    tip: tuple[float, float, float] = (0, 0, 0)  # the full condition's box shown on hover and focus: x, y, width


@dataclass
class Graph:
    """The whole drawing: canvas size, boxes and edges."""

    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def clip(text: str, limit: int = CHARS_PER_LINE) -> str:
    """Text cut to fit a line of the box, with an ellipsis when it was longer."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def action_text(action: Mapping[str, Any]) -> str:
    """One action as a short sentence: its kind and what it says or stores."""
    value = action.get("value") if isinstance(action.get("value"), Mapping) else {}
    said = value.get("text") or value.get("url") or value.get("value") or ""
    if not said and value:
        said = ", ".join(f"{key}={item}" for key, item in value.items())
    kind = action.get("actionType") or "action"
    sub = action.get("subType")
    text = f"{kind}{'/' + sub if sub and sub != 'text' else ''}: {said}".strip()
    if action.get("variableName"):
        text += f" → {action['variableName']}"
    return text


def exit_node_id(transition: Mapping[str, Any]) -> str | None:
    """The id a link leads to (its `exitNode` relationship, read as the reference documents it)."""
    return related_id(transition, "exitNode")


def steps(nodes: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The flow's steps in index order, each with its sorted actions and links (a text view of the graph)."""
    names = {node["id"]: node.get("name") or "Unnamed step" for node in nodes}
    ordered = sorted(nodes, key=lambda node: (not node.get("isStartFlow"), node.get("index") or 0))
    result = []
    for node in ordered:
        actions = sorted(node.get("nodeActions") or [], key=lambda item: item.get("index") or 0)
        links = sorted(node.get("nodeTransitions") or [], key=lambda item: item.get("index") or 0)
        result.append({"id": node["id"], "name": names[node["id"]], "start": bool(node.get("isStartFlow")),
                       "end": node.get("endFlowType") if node.get("isEndFlow") else None,
                       "actions": [action_text(action) for action in actions],
                       "links": [{"condition": link.get("condition"), "to": names.get(exit_node_id(link), "?"),
                                  "to_id": exit_node_id(link)} for link in links]})
    return result


def _layers(order: list[str], links: dict[str, list[str]], start: str | None) -> dict[str, int]:
    """Longest-path layers over the graph without its back links, so end steps sink to the bottom."""
    back = back_links(order, links, start)
    layer = {node: 0 for node in order}
    for _ in range(len(order)):  # relax: at most n rounds on a DAG
        changed = False
        for node in order:
            for child in links[node]:
                if (node, child) not in back and layer[child] < layer[node] + 1:
                    layer[child] = layer[node] + 1
                    changed = True
        if not changed:
            break
    return layer


def layout(nodes: Sequence[Mapping[str, Any]], counted: bool = False) -> Graph:
    """Place each step in a layer below the steps that lead to it and route every link; `counted` leaves a line at
    the foot of each step for the funnel's count."""
    described = steps(nodes)
    if not described:
        return Graph(0, 0)
    order = [step["id"] for step in described]
    links = {step["id"]: [link["to_id"] for link in step["links"] if link["to_id"] in order] for step in described}
    start = next((step["id"] for step in described if step["start"]), None)
    layer_of = _layers(order, links, start)
    rows: dict[int, list[str]] = {}
    for node in order:
        rows.setdefault(layer_of[node], []).append(node)
    boxes = {}
    for step in described:
        lines = [clip(text) for text in step["actions"][:MAX_LINES]]
        if len(step["actions"]) > MAX_LINES:
            lines.append(f"+ {len(step['actions']) - MAX_LINES} more actions")
        kind = "start" if step["start"] else "end" if step["end"] else "step"
        badge = "Start" if step["start"] else f"End · {step['end']}" if step["end"] else ""
        height = HEADER + LINE * max(1, len(lines)) + 8
        boxes[step["id"]] = Box(step["id"], clip(step["name"], 30), kind, badge, lines,
                                height=height + (COUNT_LINE if counted else 0), count_y=height + 6 if counted else 0)
    # Order each row by where its parents sit, which untangles most crossings in one sweep.
    position: dict[str, float] = {}
    for number in sorted(rows):
        row = rows[number]
        parents = {node: [position[p] for p in order if node in links[p] and p in position] for node in row}
        row.sort(key=lambda node: sum(parents[node]) / len(parents[node]) if parents[node] else 1e9)
        for index, node in enumerate(row):
            position[node] = index
    widest = max(len(row) for row in rows.values())
    lane_edges = [(source, target) for source in order for target in links[source]
                  if layer_of[target] != layer_of[source] + 1]
    labels = {(step["id"], link["to_id"]): link["condition"] for step in described for link in step["links"]}
    back_edges = [(source, target) for source, target in lane_edges if layer_of[target] <= layer_of[source]]
    back_left = len({target for _, target in back_edges})
    # A back link's condition is written left of its box, so the canvas starts far enough left to hold it.
    label_room = max((len(short(labels.get(edge) or "")) * LABEL_CHAR for edge in back_edges), default=0)
    left = MARGIN + max(back_left * LANE_GAP + (LANE_GAP if back_left else 0), label_room + 8)
    content = widest * BOX_WIDTH + (widest - 1) * COLUMN_GAP
    y = MARGIN
    for number in sorted(rows):
        row = rows[number]
        row_width = len(row) * BOX_WIDTH + (len(row) - 1) * COLUMN_GAP
        x = left + (content - row_width) / 2
        for node in row:
            boxes[node].x, boxes[node].y = x, y
            x += BOX_WIDTH + COLUMN_GAP
        y += max(boxes[node].height for node in row) + LAYER_GAP
    edges, right_lanes, left_lanes = [], 0, 0
    right_lane_of: dict[str, int] = {}
    left_lane_of: dict[str, int] = {}
    right_edge = left + content + LANE_GAP
    for source in order:
        # Links leave the box in the order their targets sit left to right, so they never cross each other.
        outgoing = sorted(links[source], key=lambda target: boxes[target].center)
        for slot, target in enumerate(outgoing):
            a, b = boxes[source], boxes[target]
            label = labels.get((source, target)) or ""
            # Spread several links leaving one box along its bottom edge.
            start_x = a.x + a.width * (slot + 1) / (len(outgoing) + 1)
            start_y = a.y + a.height
            if layer_of[target] == layer_of[source] + 1:
                sx, sy, bx, end_y = round(start_x), round(start_y), round(b.center), round(b.y - 2)
                mid = round((start_y + b.y) / 2)
                d = f"M{sx},{sy} C{sx},{mid} {bx},{mid} {bx},{end_y}"
                points = cubic((sx, sy), (sx, mid), (bx, mid), (bx, end_y))
                kind = "next"
            elif layer_of[target] > layer_of[source]:
                # Links into one step share a lane: one vertical line with a stub from each source.
                if target not in right_lane_of:
                    right_lane_of[target] = right_lanes
                    right_lanes += 1
                lane = round(right_edge + right_lane_of[target] * LANE_GAP)
                out_y, in_y = round(a.y + a.height / 2 + slot * 6), round(b.y + b.height / 2)
                points = [(round(a.x + a.width), out_y), (lane, out_y), (lane, in_y), (round(b.x + b.width + 2), in_y)]
                kind = "lane"
            else:
                if target not in left_lane_of:
                    left_lane_of[target] = left_lanes
                    left_lanes += 1
                lane = round(left - LANE_GAP - left_lane_of[target] * LANE_GAP)
                out_y, in_y = round(a.y + a.height / 2 + slot * 6), round(b.y + 12)
                points = [(round(a.x), out_y), (lane, out_y), (lane, in_y), (round(b.x - 2), in_y)]
                kind = "back"
            if kind != "next":
                d = "M" + " L".join(f"{x},{y_}" for x, y_ in points)
            edges.append(Edge(d, kind, short(label) if label else "", source=source, target=target,
                              condition=label, points=points))
    width = right_edge + right_lanes * LANE_GAP + MARGIN
    height = y - LAYER_GAP + MARGIN
    rects = [(box.x, box.y, box.x + box.width, box.y + box.height) for box in boxes.values()]
    placed, width, height = place([edge.points for edge in edges], [edge.label for edge in edges], rects,
                                  (width, height))
    for edge, spot in zip(edges, placed, strict=True):
        edge.box = spot
        if spot is not None:
            edge.label_x, edge.label_y = spot.x + spot.width / 2, spot.y + spot.height - 4
            tip_width = len(edge.condition) * LABEL_CHAR + 8
            tip_x = min(max(2, edge.label_x - tip_width / 2), max(2, width - tip_width - 2))
            tip_y = spot.y - spot.height - 4 if spot.y > spot.height + 6 else spot.y + spot.height + 4
            edge.tip = (tip_x, tip_y, tip_width)
    return Graph(width, height, list(boxes.values()), edges)
