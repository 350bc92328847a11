"""What every list page reads from its URL: the page number, kept in the URL so it can be shared."""

from __future__ import annotations

from flask import request

PAGE_SIZE = 25


def page_number() -> int:
    """The `page` query parameter as a page number from 1."""
    return max(1, request.args.get("page", 1, type=int) or 1)
