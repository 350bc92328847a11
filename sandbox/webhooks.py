"""Webhooks out: a delivery per matching subscription (S30–S33), attempted with retries by the engine."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import certifi
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError

from sandbox import egress, jobs
from sandbox.jsonapi import MEDIA_TYPE, resource_object
from sandbox.schema import RESOURCES
from sandbox.store import Tx, iso, new_id
from sandbox.strict import is_strict, prune

if TYPE_CHECKING:
    from sandbox.settings import Settings

log = logging.getLogger(__name__)

# Waits before retries 1–5 (S32): 5 min, 30 min, 2 h, 5 h, 16 h, divided by the time scale.
RETRY_WAITS = (300, 1800, 7200, 18000, 57600)
TIMEOUT = 10
LEASE = 60
ERROR_LENGTH = 500  # an error message is cut to this length


def organization(tx: Tx, record: dict) -> dict:
    """The organization a record belongs to."""
    return json.loads(tx.conn.execute("SELECT data FROM resources WHERE type = 'organizations' AND id = ?",
                                      (record["_org"],)).fetchone()[0])


def emit(tx: Tx, rtype: str, event: str, record: dict, fields: list[str] | None) -> None:
    """Queue one delivery for every subscription matching this event of this resource."""
    if rtype == "webhookLogs" or not tx.announce:
        return
    subscriptions = [s for s in tx.all("webhooks", resource=rtype, event=event) if s.get("_org") == record["_org"]]
    if not subscriptions:
        return
    org_url = organization(tx, record).get("webhookUrl")
    resource = resource_object(RESOURCES[rtype], record, tx.base)
    if is_strict(tx.context):  # §8.2: the payload carries the resource as the API renders it
        prune(resource)
    for subscription in subscriptions:
        changed = fields
        if event == "update" and subscription.get("fields"):
            changed = [name for name in fields or () if name in subscription["fields"]]
            if not changed:
                continue
        if not (subscription.get("webhookUrl") or org_url):
            continue
        log_id = new_id()
        attributes = {"webhookId": subscription["id"], "event": event, "resource": resource}
        if event == "update":
            attributes["fields"] = changed
        stamp = iso(tx.now)
        tx.insert("webhookLogs", {
            "id": log_id, "webhookId": subscription["id"], "event": event, "resourceType": rtype,
            "resourceId": record["id"], "status": "pending", "attempts": [], "nextAttemptAt": stamp,
            "createdAt": stamp, "updatedAt": stamp, "_org": record["_org"],
            "_payload": {"data": {"type": "webhookPayload", "id": log_id, "attributes": attributes}}})
        # One lane per subscription keeps its deliveries in order (S33).
        jobs.enqueue(tx, "webhook", "webhook.deliver", log_id, lane=f"webhook:{subscription['id']}")


def destination(tx: Tx, entry: dict) -> tuple[str | None, str]:
    """The URL and secret a delivery goes to now: the subscription's URL, else the organization's."""
    org = organization(tx, entry)
    subscription = tx.get("webhooks", entry["webhookId"])
    if subscription is None:
        return None, ""
    return subscription.get("webhookUrl") or org.get("webhookUrl"), org.get("webhookSecret") or ""


def failed_attempt(error: str) -> dict:
    """An attempt that never reached the network."""
    return {"attemptedAt": iso(), "statusCode": None, "error": error, "responseBody": None, "durationMs": 0}


def deliver(url: str, secret: str, payload: dict, settings: Settings) -> tuple[dict, bool]:
    """One delivery attempt and whether it was refused (then nothing was sent, and no retry follows)."""
    try:
        checked = egress.target(url, settings)
    except egress.Refused as refusal:
        log.warning("webhook to %s refused: %s", url, refusal)
        return failed_attempt(f"refused: {refusal}"), True
    except (OSError, UnicodeError) as exc:
        return failed_attempt(f"cannot resolve {urlsplit(url).hostname}: {exc}"[:ERROR_LENGTH]), False
    return post(checked, secret, payload), False


def post(target: egress.Target, secret: str, payload: dict) -> dict:
    """POST to a checked target; never raises, answers what the attempt log records: the status and the time
    taken, never the reply (`responseBody` stays null)."""
    started = time.monotonic()
    attempt: dict = {"attemptedAt": iso(), "statusCode": None, "error": None, "responseBody": None}
    headers = {"Host": target.host_header, "Content-Type": MEDIA_TYPE, "X-Recrubo-Webhook-Secret": secret}
    body = json.dumps(payload).encode()
    for address in target.addresses:  # each one was checked: connecting never resolves the name again
        try:
            attempt["statusCode"] = send(target, address, headers, body)
            attempt["error"] = None if 200 <= attempt["statusCode"] < 300 else f"HTTP {attempt['statusCode']}"
            break
        except (NewConnectionError, ConnectTimeoutError) as exc:  # try the next address
            attempt["error"] = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        except (HTTPError, OSError, ValueError) as exc:
            attempt["error"] = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
            break
    elapsed = time.monotonic() - started
    if attempt["error"] is None and elapsed > TIMEOUT:
        # The timeout above bounds each network wait; an answer that still came late counts as none (S32).
        attempt["error"] = f"no answer within {TIMEOUT} s"
    attempt["durationMs"] = round(elapsed * 1000)
    return attempt


def send(target: egress.Target, address: str, headers: dict, body: bytes) -> int:
    """POST to one address, with the name in Host and (https) in TLS; no redirect followed (a 3xx is a failure,
    S32), no proxy, and the reply's body never read. The status code."""
    options: dict = {"timeout": Timeout(connect=TIMEOUT, read=TIMEOUT), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        options.update(server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
                       ca_certs=certifi.where())
    pool_type = HTTPSConnectionPool if target.scheme == "https" else HTTPConnectionPool
    with pool_type(address, target.port, **options) as pool:
        response = pool.urlopen("POST", target.path, body=body, headers=headers, redirect=False, retries=False,
                                preload_content=False, assert_same_host=False)
        try:
            return response.status
        finally:
            response.close()


def record_attempt(tx: Tx, entry: dict, attempt: dict, time_scale: float, final: bool = False) -> dict:
    """Log an attempt; schedule the next retry or settle the delivery as delivered or failed."""
    attempts = entry["attempts"] + [attempt]
    changes: dict = {"attempts": attempts, "updatedAt": iso(tx.now)}
    if attempt["error"] is None:
        changes.update(status="delivered", nextAttemptAt=None)
    elif final or len(attempts) > len(RETRY_WAITS):
        changes.update(status="failed", nextAttemptAt=None)
    else:
        wait = RETRY_WAITS[len(attempts) - 1] / time_scale
        changes.update(status="pending", nextAttemptAt=iso(tx.now + wait))
        jobs.enqueue(tx, "webhook", "webhook.deliver", entry["id"], delay=wait, lane=f"webhook:{entry['webhookId']}")
    updated = {**entry, **changes}
    tx.replace("webhookLogs", updated)
    log.info("webhook %s %s %s.%s attempt %d: %s", entry["id"], updated["status"], entry["resourceType"],
             entry["event"], len(attempts), attempt["error"] or attempt["statusCode"])
    return updated
