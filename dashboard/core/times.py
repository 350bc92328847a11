"""Times as every screen shows them: in one time zone per page.

The page's zone is the signed-in account's linked Recrubo user's `timeZone` (what the embeddables show), else the
browser's (sent once as the `time_zone` cookie by static/js/times.js), else UTC. Every `<time>` carries its instant
in UTC (`datetime`), so a row pushed over the socket (rendered once for everyone, outside any request, in UTC) and
the same row after a reload read the same once times.js has shown both in the page's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone
from functools import wraps
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import Flask, g, has_request_context, request
from markupsafe import Markup, escape

from dashboard.core.linked_user import recrubo_user_zone, valid_zone

ZONE_COOKIE = "time_zone"
DEFAULT_ZONE = "UTC"
Value = TypeVar("Value")


def page_zone() -> str:
    """The zone this request's page shows times in; UTC outside a request (pushes)."""
    return _zone()[0]


def zone_source() -> str:
    """Where the page's zone came from: `user` (the linked Recrubo user), `browser` (its cookie) or `default`."""
    return _zone()[1]


def _zone() -> tuple[str, str]:
    if not has_request_context():
        return DEFAULT_ZONE, "default"
    if "time_zone" not in g:
        zone = recrubo_user_zone() if getattr(g, "user", None) is not None else None
        browser = valid_zone(request.cookies.get(ZONE_COOKIE))
        g.time_zone = (zone, "user") if zone else (browser, "browser") if browser else (DEFAULT_ZONE, "default")
    return g.time_zone


def in_utc(render: Callable[..., Value]) -> Callable[..., Value]:
    """`render` writing its times in UTC even inside a request: a push is rendered once for every page, and one
    rendered during an admin's request must not carry that admin's zone."""
    @wraps(render)
    def rendering(*args, **kwargs) -> Value:
        if not has_request_context():
            return render(*args, **kwargs)
        saved = g.pop("time_zone", None)
        g.time_zone = (DEFAULT_ZONE, "default")
        try:
            return render(*args, **kwargs)
        finally:
            g.pop("time_zone", None)
            if saved is not None:
                g.time_zone = saved
    return rendering


def instant(value: object) -> datetime | None:
    """An aware UTC datetime from an API timestamp (`2026-12-05T07:21:00.000Z`) or a stored naive-UTC datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def local_text(value: object, seconds: bool = False) -> str:
    """The exact time in the page's zone, `2026-12-05 08:21` (with `:07` when `seconds`); '' when it is no time."""
    moment = instant(value)
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(page_zone())).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def time_element(value: object, seconds: bool = False, relative: bool = True) -> Markup:
    """A `<time>` of one instant: exact in the page's zone; times.js shows it in the browser's page zone, and a
    recent `relative` one as "3 min ago" with the exact time on hover and focus. '—' when there is no time."""
    moment = instant(value)
    if moment is None:
        return Markup("—")
    exact = escape(local_text(moment, seconds))
    extra = ' data-relative tabindex="0"' if relative else ""
    precision = "seconds" if seconds else "minutes"
    return Markup(f'<time datetime="{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}" data-time="{precision}"{extra}'
                  f' title="{exact}">{exact}</time>')


def day_start(day: date, zone: str) -> datetime:
    """The instant `day` begins in `zone` (midnight there), as a naive UTC datetime (how the read model stores
    times): a day in Amsterdam starts at 23:00 UTC the day before in winter."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc).replace(tzinfo=None)


def since(text: str) -> datetime | None:
    """A `since` the address gives: an instant (`2026-12-05T23:00:00Z`) as it is, or a day (`2026-12-06`) from its
    start in the page's zone; naive UTC, or None when it is neither."""
    text = text.strip()
    if len(text) == 10:
        try:
            return day_start(date.fromisoformat(text), page_zone())
        except ValueError:
            return None
    moment = instant(text) if "T" in text else None
    return moment.replace(tzinfo=None) if moment else None


def utc_text(moment: datetime) -> str:
    """A naive UTC datetime as an address carries it: `2026-12-05T23:00:00Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def local_day(value: object, pattern: str = "%Y-%m-%d") -> str:
    """A day (a `date` is shown as it is; a moment as its day in the page's zone) formatted with `pattern`."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime(pattern)
    moment = instant(value)
    return moment.astimezone(ZoneInfo(page_zone())).strftime(pattern) if moment else ""


def init_app(app: Flask) -> None:
    """The filters and globals templates show times with, and the page's zone."""
    app.add_template_filter(local_text, "local_time")
    app.add_template_filter(local_day, "local_day")
    app.add_template_global(time_element, "time_element")
    app.context_processor(lambda: {"time_zone": page_zone(), "time_zone_source": zone_source()})
