"""The organization's Recrubo users, searched by name or e-mail, to link a dashboard account to one.

The API lists users (`GET /users`, reference §4, §5.2) but documents no filter on a name or an e-mail (§3.3 names
the filters it documents), so the search reads the list itself, newest pages first, at most MAX_PAGES pages of 200,
and matches here: any part of the full name, first and last name or e-mail, case and accents ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.db.upsert import fold
from dashboard.recrubo.client import RecruboClient, Resource

MAX_PAGES = 5
PAGE_SIZE = 200
MAX_MATCHES = 10
MIN_SEARCH = 2
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Found:
    """The users a search matched (at most MAX_MATCHES), whether there were more, and whether the organization has
    more users than were read (then the search may miss some)."""

    users: list[Resource]
    more: bool
    capped: bool


def display_name(user: Mapping) -> str:
    """A user's name as people write it: `fullName`, else first and last name, else the e-mail."""
    name = user.get("fullName") or " ".join(part for part in (user.get("firstName"), user.get("lastName")) if part)
    return str(name or user.get("email") or "Unnamed user")


def _haystack(user: Mapping) -> str:
    parts = (user.get("fullName"), user.get("firstName"), user.get("lastName"), user.get("email"))
    return fold(" ".join(str(part) for part in parts if part))


def search(api: RecruboClient, text: str) -> Found:
    """The users whose name or e-mail contains `text` (case and accents ignored), by name; an id finds its user."""
    wanted = " ".join(fold(text).split())
    if UUID.fullmatch(text.strip()):
        user = api.find("users", text.strip())
        return Found([user] if user else [], False, False)
    matches: list[Resource] = []
    read, capped = 0, False
    for number in range(1, MAX_PAGES + 1):
        page = api.list("users", sort="-createdAt", page=number, size=PAGE_SIZE)
        read += len(page.items)
        matches += [user for user in page.items if all(word in _haystack(user) for word in wanted.split())]
        if number >= page.max_page or len(page.items) < PAGE_SIZE:
            break
    else:
        capped = read < page.total
    matches.sort(key=lambda user: fold(display_name(user)))
    return Found(matches[:MAX_MATCHES], len(matches) > MAX_MATCHES, capped)
