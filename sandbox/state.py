"""What a sandbox app keeps in `app.extensions['sandbox']`, and getting its database ready to serve."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sandbox import rules, seed  # noqa: F401 - rules: seeding and serving need every resource's hooks
from sandbox.settings import Settings
from sandbox.store import initialize, transaction

if TYPE_CHECKING:
    from sandbox.engine import Engine


class SandboxState:
    """One sandbox's settings and, when it runs in this process, its engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine | None = None
        self.first_request_seen = False
        self.lock = threading.Lock()


def prepare_database(settings: Settings) -> None:
    """Create the database, seed an empty one, and apply a changed configured API key, webhook URL or secret."""
    initialize(settings.database)
    with transaction(settings.database, context=SandboxState(settings)) as tx:
        if not tx.all("organizations"):
            seed.seed(tx, settings)
        org = tx.all("organizations")[0]  # the sandbox's own organization: the first one ever made
        # Records from before organizations were told apart belong to the first one.
        tx.conn.execute("UPDATE resources SET data = json_set(data, '$._org', ?) "
                        "WHERE json_extract(data, '$._org') IS NULL", (org["id"],))
        org = tx.get("organizations", org["id"])
        updates = {}
        if tx.meta("applied_api_key") != settings.api_key:
            updates["_token"] = settings.api_key
            tx.set_meta("applied_api_key", settings.api_key)
        # The configured values win when they changed since last applied; API edits survive restarts otherwise.
        if tx.meta("applied_webhook_secret") != settings.webhook_secret:
            updates["webhookSecret"] = settings.webhook_secret
            tx.set_meta("applied_webhook_secret", settings.webhook_secret)
        if settings.webhook_url and tx.meta("applied_webhook_url") != settings.webhook_url:
            updates["webhookUrl"] = settings.webhook_url
            tx.set_meta("applied_webhook_url", settings.webhook_url)
        if updates:
            tx.replace("organizations", {**org, **updates})
