"""Dashboards in this process (Flask apps under test) and the browser the browser tests drive."""

from __future__ import annotations

import shutil

from flask import Flask

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def dispose(app: Flask) -> None:
    """Close an app's pooled database connections (a PostgreSQL server allows only so many)."""
    from dashboard.db import base as database

    with app.app_context():
        database.engine().dispose()


def chromium() -> str:
    """Debian's Chromium (Playwright cannot download its own browser on this network); fail when missing."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed; scripts/test installs it")
    return executable
