"""Runs started and finished per day, as bars for a server-drawn SVG chart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

WIDTH = 760
HEIGHT = 240
LEFT = 36
BOTTOM = 36
TOP = 16
SERIES = ("started", "finished")


@dataclass
class Bar:
    """One bar: its series, its day, its value and its rectangle."""

    series: str
    day: date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    """The chart's days, bars, value gridlines and the counts per day (for the table beside it)."""

    days: list[date]
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)
    rows: list[tuple[date, int, int]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    slot: float = 0


def day_of(timestamp: Any, zone: str = "UTC") -> date | None:
    """The calendar day in `zone` of an API timestamp."""
    try:
        moment = datetime.fromisoformat(str(timestamp).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).date()


def counts(runs: Iterable[Mapping[str, Any]], stamp: str, zone: str = "UTC") -> Counter:
    """How many runs fall on each day (in `zone`) by one of their timestamps."""
    return Counter(day for day in (day_of(run.get(stamp), zone) for run in runs) if day)


def nice_top(value: int) -> int:
    """A round axis maximum at or above the largest value."""
    for top in (4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= top:
            return top
    return (value // 1000 + 1) * 1000


def build(today: date, started: Counter, finished: Counter, days: int = 14) -> Chart:
    """Two bars per day (started, finished) for the `days` days up to `today`."""
    chart = Chart([today - timedelta(days=offset) for offset in range(days - 1, -1, -1)])
    top = nice_top(max([started[day] for day in chart.days] + [finished[day] for day in chart.days] + [1]))
    plot = chart.bottom - TOP
    chart.slot = (WIDTH - LEFT - 8) / days
    bar = chart.slot * 0.36
    step = next(size for size in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, top) if top / size <= 5)
    for value in range(0, top + 1, step):
        chart.ticks.append((chart.bottom - plot * value / top, value))
    for index, day in enumerate(chart.days):
        chart.rows.append((day, started[day], finished[day]))
        for number, (series, source) in enumerate((("started", started), ("finished", finished))):
            height = plot * source[day] / top
            x = LEFT + index * chart.slot + chart.slot * 0.12 + number * (bar + 2)
            chart.bars.append(Bar(series, day, source[day], x, chart.bottom - height, bar, height))
    return chart
