"""Link labels of the flow graph: a condition shortened to read at a glance, and a place for it that covers no line.

`session.confirmed === "no"` reads `confirmed = no`; the full condition stays on the label's hover title and its
accessible name. Each label is a box set beside its link, tried at points along the link and at growing distances
from it, and taken at the first place that crosses no link, no step and no other label; a label with no such place
near its link goes past the right edge of the drawing, which widens for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LABEL_CHAR = 6.7  # width of one character of a link label (11px monospace)
LABEL_HEIGHT = 16
PAD = 4
MAX_LABEL = 24
CLEARANCE = 7  # from a link's centre line: half the widest stroke (funnel traffic) and a gap
SHORTER = [(re.compile(r"\bsession\."), ""), (re.compile(r"\s*(===|==)\s*"), " = "),
           (re.compile(r"\s*(!==|!=)\s*"), " ≠ "), (re.compile(r"\s*&&\s*"), " and "),
           (re.compile(r"\s*\|\|\s*"), " or "), (re.compile(r"\s*<=\s*"), " ≤ "), (re.compile(r"\s*>=\s*"), " ≥ "),
           (re.compile(r"""(["'])(.*?)\1"""), r"\2")]

Rect = tuple[float, float, float, float]  # left, top, right, bottom
Point = tuple[float, float]


def short(condition: str, limit: int = MAX_LABEL) -> str:
    """A condition as a recruiter reads it: no `session.` prefix, `=`/`≠`, words for `&&`/`||`, no quotes; cut to
    `limit` characters with an ellipsis."""
    text = " ".join(str(condition).split())
    for pattern, replacement in SHORTER:
        text = pattern.sub(replacement, text)
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cubic(start: Point, one: Point, two: Point, end: Point, steps: int = 24) -> list[Point]:
    """Points along a cubic Bézier curve, close enough for telling whether a box crosses it."""
    points = []
    for number in range(steps + 1):
        t = number / steps
        u = 1 - t
        points.append((u ** 3 * start[0] + 3 * u * u * t * one[0] + 3 * u * t * t * two[0] + t ** 3 * end[0],
                       u ** 3 * start[1] + 3 * u * u * t * one[1] + 3 * u * t * t * two[1] + t ** 3 * end[1]))
    return points


def _grow(rect: Rect, by: float) -> Rect:
    return rect[0] - by, rect[1] - by, rect[2] + by, rect[3] + by


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def segment_hits(a: Point, b: Point, rect: Rect) -> bool:
    """Whether the segment a–b crosses or touches the rectangle (Liang–Barsky clipping)."""
    low, high = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - rect[0]), (dx, rect[2] - a[0]), (-dy, a[1] - rect[1]), (dy, rect[3] - a[1])):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low > high:
                return False
    return True


def path_hits(points: list[Point], rect: Rect) -> bool:
    """Whether a polyline crosses the rectangle."""
    return any(segment_hits(points[i], points[i + 1], rect) for i in range(len(points) - 1))


def along(points: list[Point], fraction: float) -> Point:
    """The point at `fraction` of a polyline's length."""
    lengths = [((points[i + 1][0] - points[i][0]) ** 2 + (points[i + 1][1] - points[i][1]) ** 2) ** 0.5
               for i in range(len(points) - 1)]
    goal = sum(lengths) * fraction
    for index, length in enumerate(lengths):
        if goal <= length and length:
            t = goal / length
            a, b = points[index], points[index + 1]
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        goal -= length
    return points[-1]


@dataclass
class Placed:
    """Where a label's box went: its top-left corner and size."""

    x: float
    y: float
    width: float
    height: float = LABEL_HEIGHT


def label_size(text: str) -> tuple[float, float]:
    """The box a short label needs."""
    return len(text) * LABEL_CHAR + 2 * PAD, LABEL_HEIGHT


def _candidates(points: list[Point], width: float, height: float) -> Iterable[Rect]:
    for fraction in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88):
        x, y = along(points, fraction)
        for distance in (CLEARANCE + 2, CLEARANCE + 10, CLEARANCE + 22, CLEARANCE + 40):
            for cx, cy in ((x + distance + width / 2, y), (x - distance - width / 2, y),
                           (x, y - distance - height / 2), (x, y + distance + height / 2),
                           (x + distance + width / 2, y - height), (x - distance - width / 2, y - height)):
                yield cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def place(paths: list[list[Point]], texts: list[str], boxes: list[Rect], canvas: tuple[float, float]
          ) -> tuple[list[Placed | None], float, float]:
    """A place for each path's label (None where its text is empty) clear of every path, box and earlier label;
    returns them with the canvas width and height they need."""
    width_needed, height_needed = canvas
    taken: list[Rect] = []
    placed: list[Placed | None] = []
    overflow_y: list[Rect] = []
    for points, text in zip(paths, texts, strict=True):
        if not text:
            placed.append(None)
            continue
        width, height = label_size(text)

        def free(rect: Rect) -> bool:
            if rect[0] < 2 or rect[1] < 2 or rect[2] > canvas[0] - 2 or rect[3] > canvas[1] - 2:
                return False
            grown = _grow(rect, CLEARANCE)
            return (not any(path_hits(other, grown) for other in paths)
                    and not any(_overlap(_grow(box, 2), rect) for box in boxes)
                    and not any(_overlap(_grow(label, 2), rect) for label in taken))

        spot = next((rect for rect in _candidates(points, width, height) if free(rect)), None)
        if spot is None:  # past the right edge, at the height of the link's middle, below other such labels
            y = along(points, 0.5)[1] - height / 2
            while any(_overlap(_grow(other, 2), (canvas[0] + 8, y, canvas[0] + 8 + width, y + height))
                      for other in overflow_y):
                y += height + 4
            spot = (canvas[0] + 8, y, canvas[0] + 8 + width, y + height)
            overflow_y.append(spot)
            width_needed = max(width_needed, spot[2] + 8)
            height_needed = max(height_needed, spot[3] + 8)
        taken.append(spot)
        placed.append(Placed(spot[0], spot[1], width, height))
    return placed, width_needed, height_needed
