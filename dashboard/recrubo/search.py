"""Searches the API cannot answer in one filter: message threads by candidate name or phone number."""

from __future__ import annotations

import re

from dashboard.recrubo.client import client

# A candidate search asks for at most this many candidates: their ids go into one URL.
MAX_CANDIDATES = 60


def thread_filters(text: str) -> dict[str, str] | None:
    """API filters for a search by identifier (digits) or candidate name; None when no candidate matches."""
    text = text.strip()
    if not text:
        return {}
    digits = re.sub(r"[\s+()-]", "", text)
    if digits.isdigit():
        return {"identifier][prefix": digits}
    api = client()
    ids: list[str] = []
    for filters in name_queries(text):
        page = api.list("candidates", filters=filters, sort="createdAt", size=MAX_CANDIDATES)
        ids += [candidate.id for candidate in page.items if candidate.id not in ids]
    return {"candidateId": ",".join(ids[:MAX_CANDIDATES])} if ids else None


def name_queries(text: str) -> list[dict[str, str]]:
    """Candidate filters for a name as typed: first or last name, or first and last name ("Anna de V")."""
    def spellings(part: str) -> list[str]:
        # The API's prefix match is case-sensitive and names are stored capitalised.
        return list(dict.fromkeys([part, part[:1].upper() + part[1:]]))
    words = text.split()
    queries = [{"lastName][prefix": spelling} for spelling in spellings(text)]
    if len(words) == 1:
        queries += [{"firstName][prefix": spelling} for spelling in spellings(text)]
    else:
        rest = " ".join(words[1:])
        queries += [{"firstName": first, "lastName][prefix": last}
                    for first in spellings(words[0]) for last in spellings(rest)]
    return queries
