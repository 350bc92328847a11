"""What htmx 4 adds to htmx-flask's `request.htmx`: `HX-Request-Type`, and the `<hx-partial>` wrapper."""

from __future__ import annotations

import re

from flask import Flask, render_template, request
from htmx_flask import Htmx
from markupsafe import Markup, escape

# An element id (ours are `<kind>-<Recrubo id>`), optionally narrowed by one attribute: `flows-rows[data-live-inserts]`,
# and optionally the child with an id of such an element: `flows-rows[data-live-inserts] > #flow-<id>`.
TARGET = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\[[a-z-]+\])?( > #[A-Za-z][A-Za-z0-9_-]*)?")


def init_app(app: Flask) -> None:
    """Give requests `request.htmx` (htmx-flask, which knows htmx 2's headers); htmx 4's additions are read here."""
    Htmx(app)


def is_partial() -> bool:
    """True for an htmx request that swaps part of a page rather than loading a whole one (htmx 4's
    `HX-Request-Type`, which htmx-flask does not know; a boosted link or history restore asks for a full page)."""
    return bool(request.htmx) and request.headers.get("HX-Request-Type") == "partial"


def render(page: str, fragment: str, /, **context) -> str:
    """Render the fragment for a partial htmx request, else the whole page that includes it."""
    # Positional-only: a template variable may itself be called `page` (a page of results).
    return render_template(fragment if is_partial() else page, **context)


def hx_partial(target_id: str, html: str, swap: str = "outerHTML") -> Markup:
    """Wrap HTML so htmx applies it to the element with `target_id`, wherever it arrives from; a target that is
    not one id (with at most an attribute test, and a child by its id) raises ValueError, as `x,main` would
    select more than one."""
    if not TARGET.fullmatch(target_id):
        raise ValueError(f"not a single element id: {target_id[:80]!r}")
    return Markup(f'<hx-partial hx-target="#{escape(target_id)}" hx-swap="{escape(swap)}">'
                  f"{html}</hx-partial>")
