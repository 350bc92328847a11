"""Every write of a resource goes through here: timestamps, soft deletes and webhook events."""

from __future__ import annotations

import copy

from sandbox import webhooks
from sandbox.schema import RESOURCES
from sandbox.store import Tx, iso, new_id


def create(tx: Tx, rtype: str, attrs: dict, at: float | None = None) -> dict:
    """Store a new resource with defaults and timestamps, and announce it."""
    spec = RESOURCES[rtype]
    moment = tx.now if at is None else at
    record = {"id": new_id(None if at is None else at)}
    for attr in spec.attrs:
        record[attr.name] = copy.deepcopy(attr.default)
    record.update(attrs)
    # Every record belongs to an organization; an organization to itself.
    record["_org"] = record["id"] if rtype == "organizations" else record.get("_org") or tx.org
    record["createdAt"] = record["updatedAt"] = iso(moment)
    tx.insert(rtype, record)
    webhooks.emit(tx, rtype, "create", record, None)
    return record


def update(tx: Tx, rtype: str, record: dict, changes: dict, at: float | None = None) -> dict:
    """Apply changes to a stored resource; only a change of a public attribute bumps `updatedAt` and is announced."""
    spec = RESOURCES[rtype]
    new = {**record, **changes}
    changed = [name for name in changes if name in spec.attr_map and record.get(name) != new[name]]
    if new == record:
        return record
    if changed:
        new["updatedAt"] = iso(tx.now if at is None else at)
    tx.replace(rtype, new)
    if changed:
        webhooks.emit(tx, rtype, "update", new, changed)
    return new


def delete(tx: Tx, rtype: str, record: dict) -> dict:
    """Delete a resource (soft for candidates and vacancies, S12) and announce its last state."""
    spec = RESOURCES[rtype]
    if spec.soft_delete:
        record = {**record, "deletedAt": iso(tx.now), "updatedAt": iso(tx.now)}
        tx.replace(rtype, record)
    else:
        tx.remove(rtype, record["id"])
    webhooks.emit(tx, rtype, "delete", record, None)
    return record


def visible(record: dict | None) -> bool:
    """Whether a record exists for clients (soft-deleted ones do not)."""
    return record is not None and not record.get("deletedAt")
