"""When the read model syncs: every SYNC_SECONDS in each gunicorn worker (the lease lets one process at a time
do it), and by hand with `flask --app wsgi recrubo sync [--full]`.

The runner is a thread, a greenlet under gunicorn's gevent worker: `start` is called from `post_worker_init`
(gunicorn.conf.py), after gevent patched `threading` and `time`, never at import, in `create_app` or in a CLI
command. Apps the tests make in-process never sync in the background unless a test starts the runner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from dashboard.db import event_log, sync_state
from dashboard.recrubo.subscriptions import recrubo_cli
from dashboard.recrubo.sync import LEASE_SECONDS, Result, sync_once

log = logging.getLogger(__name__)
FIRST_DELAY_SECONDS = 1.0  # the embedded sandbox is served by this server: let it answer first
RETRY_SECONDS = 10.0  # after a failed sync, while the backfill is unfinished
PRUNE_EVERY_SECONDS = 3600.0  # the event log is cut to its retention at most this often per process


class SyncRunner:
    """One worker's background sync loop."""

    def __init__(self, app: Flask, seconds: int) -> None:
        self.app = app
        self.seconds = seconds
        self.thread: threading.Thread | None = None
        self.last: Result | None = None
        self.pruned_at: float | None = None
        # Work a serving process does after each round's sync, in the app's context (a blueprint's: resuming bulk
        # launches a restart interrupted); a chore that fails is logged and tried again next round.
        self.chores: list[Callable[[], object]] = []

    def start(self) -> None:
        """Start the loop (once per process): the first sync begins about a second later."""
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="read-model-sync", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        time.sleep(FIRST_DELAY_SECONDS)
        while True:
            wait = self.seconds
            try:
                self.last = sync_once(self.app, due_seconds=self.seconds)
                if self.last.errors:
                    with self.app.app_context():
                        unfinished = not all(item.backfill_done for item in sync_state.report(count_rows=False))
                    wait = min(self.seconds, RETRY_SECONDS) if unfinished else self.seconds
            except Exception:  # the next round tries again; one failure must not end the loop
                log.exception("read model sync failed")
            self.prune_events()
            self.run_chores()
            time.sleep(wait)

    def run_chores(self) -> None:
        """Run every chore once, each on its own (one failing stops none of the others)."""
        for chore in self.chores:
            try:
                with self.app.app_context():
                    chore()
            except Exception:
                log.exception("background chore %s failed", getattr(chore, "__qualname__", chore))

    def prune_events(self) -> int:
        """Delete the webhook events older than the log's retention (`db.event_log`), at most once every
        PRUNE_EVERY_SECONDS in this process; answer how many were deleted."""
        now = time.monotonic()
        if self.pruned_at is not None and now - self.pruned_at < PRUNE_EVERY_SECONDS:
            return 0
        self.pruned_at = now
        try:
            with self.app.app_context():
                deleted = event_log.prune(event_log.retention_days())
        except Exception:  # the next hour tries again
            log.exception("pruning the event log failed")
            return 0
        if deleted:
            log.info("event log pruned: %s events older than its retention deleted", deleted)
        return deleted


@click.command("sync")
@click.option("--full", is_flag=True, help="Walk every type again from its first page (a new backfill).")
@with_appcontext
def sync_command(full: bool) -> None:
    """Bring the read model up to date with the Recrubo API now (waiting for a sync another process runs)."""
    # What it changes is recorded, not published from here: a command's process has no open pages (its in-memory
    # hub reaches none) and should not start a publisher that claims other processes' work; a serving process's
    # publisher finds the unpublished events and pushes them to its pages.
    result = sync_once(current_app._get_current_object(), full=full, wait_seconds=LEASE_SECONDS + 30,
                       publish=False)
    if not result.ran:
        raise click.ClickException(f"not synced: {result.message}")
    counts = {item.type: item.rows for item in sync_state.report()}
    for type_, written in result.applied.items():
        click.echo(f"{type_}: {counts.get(type_, 0)} rows ({written} written)")
    if result.errors:
        raise click.ClickException("; ".join(f"{type_}: {message}" for type_, message in result.errors.items()))


def init_app(app: Flask, seconds: int) -> None:
    """Add `flask recrubo sync` and keep this app's runner (not started) in app.extensions."""
    recrubo_cli.add_command(sync_command)
    app.extensions["read_model_sync"] = SyncRunner(app, seconds)


def start_worker(worker) -> None:
    """gunicorn's `post_worker_init`: start this worker's sync loop."""
    worker.wsgi.extensions["read_model_sync"].start()
