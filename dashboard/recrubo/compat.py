"""What one API base URL showed it supports: include probes, fallbacks, and one warning per kind."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)
# The includes the reference documents (recrubo-api.md §3.6), by collection path: asked without a probe.
DOCUMENTED_INCLUDES = frozenset({("candidates", "candidateStatus"), ("vacancy", "locations"),
                                 ("message-threads", "messages"), ("nodes", "nodeActions")})


@dataclass
class Note:
    """One kind of surprise: what was expected, what the dashboard did instead, where it was first seen."""

    kind: str
    detail: str
    fallback: str
    path: str
    count: int = 1


class Compatibility:
    """Include capabilities and surprises for one API base URL, kept on its client (never module-global)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.includes: dict[tuple[str, str], bool] = {}
        self.notes: dict[str, Note] = {}
        self._lock = threading.Lock()

    def include_known(self, collection: str, name: str) -> bool | None:
        """True when `name` may be included on `collection`, False when refused, None when never probed."""
        if (collection, name) in DOCUMENTED_INCLUDES:
            return True
        return self.includes.get((collection, name))

    def remember_include(self, collection: str, name: str, works: bool, path: str) -> None:
        """Store a probe's answer; a refusal is also noted (and logged once)."""
        with self._lock:
            self.includes[(collection, name)] = works
        if not works:
            self.note(f"include:{collection}:{name}", f"include={name} on /{collection} refused (400)",
                      "related resources fetched in one batched filter[id] request", path)

    def note(self, kind: str, detail: str, fallback: str, path: str) -> None:
        """Count a surprise; the first of each kind on this base URL is logged as a warning with its path."""
        with self._lock:
            seen = self.notes.get(kind)
            if seen is not None:
                seen.count += 1
                return
            self.notes[kind] = Note(kind, detail, fallback, path)
        log.warning("recrubo at %s: %s on %s; %s", self.base_url, detail, path, fallback)

    def probed(self) -> list[dict]:
        """Every undocumented include probed so far, for the settings page."""
        with self._lock:
            return [{"collection": collection, "include": name, "works": works}
                    for (collection, name), works in sorted(self.includes.items())]

    def surprises(self) -> list[Note]:
        """Every kind of surprise seen so far, first seen first."""
        with self._lock:
            return list(self.notes.values())
