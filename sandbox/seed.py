"""What a new sandbox database starts with: the organization always, demo data unless SANDBOX_SEED=none."""

from __future__ import annotations

import time

from sandbox import changes
from sandbox.settings import Settings
from sandbox.store import Tx

CANDIDATE_STATUSES = ("New", "Contacted", "In conversation", "Screening", "Interview planned", "Hired", "Rejected")
# Reference §8.5: the subscriptions the dashboard needs, delivered to the organization's webhookUrl.
RECOMMENDED_SUBSCRIPTIONS = (
    ("flowRuns", "create", None), ("flowRuns", "update", None), ("flowRuns", "delete", None),
    ("flowGenerations", "update", ["status"]), ("flows", "create", None),
    ("messages", "update", ["deliveryStatus"]), ("messages", "create", None),
    ("vacancyAnalyses", "update", None), ("conversations", "update", None), ("messageThreads", "update", None),
)


def create_organization(tx: Tx, name: str, webhook_url: str | None, webhook_secret: str | None, token: str,
                        at: float | None = None) -> dict:
    """A new organization with its API key and candidate statuses, made at `at` (default: now) and the seconds
    before it, never after; the transaction then works in it."""
    moment = tx.now if at is None else at
    first = moment - len(CANDIDATE_STATUSES)  # one second apart, in order, the last one at `moment`
    org = changes.create(tx, "organizations", {"name": name, "webhookUrl": webhook_url,
                                               "webhookSecret": webhook_secret, "token": None, "_token": token},
                         at=first)
    tx.org = org["id"]
    for offset, status in enumerate(CANDIDATE_STATUSES, start=1):
        changes.create(tx, "candidateStatuses", {"name": status}, at=first + offset)
    return org


def seed(tx: Tx, settings: Settings) -> None:
    """Fill an empty database: the organization and fixed lists, then the demo data when asked for."""
    tx.announce = False  # seeded data is history, not news for webhook receivers
    start = time.time() - 45 * 86400 if settings.seed == "demo" else time.time()
    create_organization(tx, "Acme Recruiting", settings.webhook_url, settings.webhook_secret, settings.api_key, start)
    tx.set_meta("applied_api_key", settings.api_key)
    if settings.seed == "demo":
        from sandbox import demo  # only demo databases need the demo data module
        for offset, (resource, event, fields) in enumerate(RECOMMENDED_SUBSCRIPTIONS):
            changes.create(tx, "webhooks", {"resource": resource, "event": event, "fields": fields,
                                            "webhookUrl": None}, at=start + 60 + offset)
        demo.populate(tx, start + 3600)
