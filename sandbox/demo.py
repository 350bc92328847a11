"""Demo data: realistic, consistent recruiting activity for a new sandbox."""

from __future__ import annotations

from sandbox.store import Tx


def populate(tx: Tx, start: float) -> None:
    """Add users, candidates, threads, flows, runs, generations, vacancies and templates."""
