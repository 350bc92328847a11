"""A flow's steps laid out as a graph for a server-drawn SVG: boxes in layers, links routed around them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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

    @property
    def center(self) -> float:
        """The box's horizontal middle, where its links attach."""
        return self.x + self.width / 2


@dataclass
class Edge:
    """One link drawn as a path, with its condition as a label where there is one."""

    d: str
    kind: str  # next | lane | back
    label: str = ""
    label_x: float = 0
    label_y: float = 0
    source: str = ""
    target: str = ""


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
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}
    roots = ([start] if start else []) + [node for node in order if node != start]
    for root in roots:  # iterative DFS: a 30-step chain must not hit the recursion limit
        if root in state:
            continue
        stack = [(root, iter(links[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(links[child])))
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


def layout(nodes: Sequence[Mapping[str, Any]]) -> Graph:
    """Place each step in a layer below the steps that lead to it and route every link."""
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
        boxes[step["id"]] = Box(step["id"], clip(step["name"], 30), kind, badge, lines,
                                height=HEADER + LINE * max(1, len(lines)) + 8)
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
    label_room = max((len(clip(labels.get(edge) or "", 40)) * LABEL_CHAR for edge in back_edges), default=0)
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
                end_y = b.y
                mid = (start_y + end_y) / 2
                d = (f"M{start_x:.0f},{start_y:.0f} C{start_x:.0f},{mid:.0f} "
                     f"{b.center:.0f},{mid:.0f} {b.center:.0f},{end_y - 2:.0f}")
                edges.append(Edge(d, "next", clip(label, 40), (start_x + b.center) / 2, mid + 4, source, target))
            elif layer_of[target] > layer_of[source]:
                # Links into one step share a lane: one vertical line with a stub from each source.
                if target not in right_lane_of:
                    right_lane_of[target] = right_lanes
                    right_lanes += 1
                lane = right_edge + right_lane_of[target] * LANE_GAP
                out_y, in_y = a.y + a.height / 2 + slot * 6, b.y + b.height / 2
                d = (f"M{a.x + a.width:.0f},{out_y:.0f} H{lane:.0f} V{in_y:.0f} H{b.x + b.width + 2:.0f}")
                edges.append(Edge(d, "lane", clip(label, 40), a.x + a.width + 8, out_y - 6, source, target))
            else:
                if target not in left_lane_of:
                    left_lane_of[target] = left_lanes
                    left_lanes += 1
                lane = left - LANE_GAP - left_lane_of[target] * LANE_GAP
                out_y, in_y = a.y + a.height / 2 + slot * 6, b.y + 12
                d = f"M{a.x:.0f},{out_y:.0f} H{lane:.0f} V{in_y:.0f} H{b.x - 2:.0f}"
                edges.append(Edge(d, "back", clip(label, 40), a.x - 8, out_y - 6, source, target))
    width = right_edge + right_lanes * LANE_GAP + MARGIN + (120 if right_lanes else 0)
    return Graph(width, y - LAYER_GAP + MARGIN, list(boxes.values()), edges)
