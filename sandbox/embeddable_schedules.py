"""The Schedule form and table components' JSON endpoints, over the sandbox's internal appointments (S42, S43).

Appointments are not an API resource: they are stored as records of the internal type `schedules` in
the resources table (no webhooks, no JSON:API route), so `sandbox reset` erases them with the rest.
"""

from __future__ import annotations

import time

from flask import Response, jsonify

from sandbox import changes
from sandbox.api import unit
from sandbox.embeddables import EmbedRefused, bp, current_user, json_body
from sandbox.store import Tx, iso, new_id, parse_time

API = "/embeddables/api"
TYPE = "schedules"
TITLE_LIMIT = 120


def schedule_view(tx: Tx, record: dict) -> dict:
    """An appointment with its candidate's name (bookkeeping keys such as `_org` left out)."""
    candidate = tx.get("candidates", record.get("candidateId")) if record.get("candidateId") else None
    name = " ".join(p for p in ((candidate or {}).get("firstName"), (candidate or {}).get("lastName")) if p)
    return {**{k: v for k, v in record.items() if not k.startswith("_")}, "candidateName": name or None}


def own_schedule(tx: Tx, user: dict, schedule_id: str) -> dict:
    """One of the token user's appointments, or 404."""
    record = tx.get(TYPE, schedule_id)
    if record is None or record["userId"] != user["id"]:
        raise EmbedRefused(404, "not_found", "This appointment does not exist (any more).")
    return record


def appointment_fields(tx: Tx, body: dict) -> dict:
    """A title, a start before its end, and an existing candidate (or none); 422 with the reason otherwise."""
    title = body.get("title").strip() if isinstance(body.get("title"), str) else ""
    if not title or len(title) > TITLE_LIMIT:
        raise EmbedRefused(422, "validation_error",
                           f"Give the appointment a title of at most {TITLE_LIMIT} characters.")
    try:
        starts, ends = parse_time(str(body.get("startsAt"))), parse_time(str(body.get("endsAt")))
    except ValueError:
        raise EmbedRefused(422, "validation_error", "Give a start and an end time.") from None
    if ends <= starts:
        raise EmbedRefused(422, "validation_error", "The appointment must end after it starts.")
    candidate_id = body.get("candidateId") or None
    if candidate_id is not None and not changes.visible(tx.get("candidates", candidate_id)):
        raise EmbedRefused(422, "validation_error", "That candidate does not exist.")
    return {"title": title, "startsAt": iso(starts.timestamp()), "endsAt": iso(ends.timestamp()),
            "candidateId": candidate_id}


@bp.get(f"{API}/schedules")
def schedules() -> Response:
    """The token user's appointments: upcoming ones soonest first, then past ones latest first (S43)."""
    now = iso()
    with unit(write=False) as tx:
        user = current_user(tx)
        mine = [schedule_view(tx, r) for r in tx.all(TYPE, userId=user["id"])]
    upcoming = sorted((s for s in mine if s["endsAt"] >= now), key=lambda s: s["startsAt"])
    past = sorted((s for s in mine if s["endsAt"] < now), key=lambda s: s["startsAt"], reverse=True)
    return jsonify(upcoming=upcoming, past=past)


@bp.get(f"{API}/schedules/<schedule_id>")
def schedule(schedule_id: str) -> Response:
    """One of the token user's appointments (the Schedule form's `scheduleId`)."""
    with unit(write=False) as tx:
        return jsonify(schedule=schedule_view(tx, own_schedule(tx, current_user(tx), schedule_id)))


@bp.post(f"{API}/schedules")
def create_schedule() -> Response:
    """Store a new appointment for the token user."""
    body = json_body()
    with unit() as tx:
        user = current_user(tx)
        now = iso(time.time())
        # `_org` keeps the appointment inside its organization, like every record the API stores.
        record = {"id": new_id(), **appointment_fields(tx, body), "userId": user["id"], "_org": user["_org"],
                  "createdAt": now, "updatedAt": now}
        tx.insert(TYPE, record)
        return jsonify(schedule=schedule_view(tx, record)), 201


@bp.post(f"{API}/schedules/<schedule_id>")
def update_schedule(schedule_id: str) -> Response:
    """Change one of the token user's appointments."""
    body = json_body()
    with unit() as tx:
        old = own_schedule(tx, current_user(tx), schedule_id)
        record = {**old, **appointment_fields(tx, body), "updatedAt": iso()}
        tx.replace(TYPE, record)
        return jsonify(schedule=schedule_view(tx, record))


@bp.delete(f"{API}/schedules/<schedule_id>")
def delete_schedule(schedule_id: str) -> Response:
    """Delete one of the token user's appointments."""
    with unit() as tx:
        tx.remove(TYPE, own_schedule(tx, current_user(tx), schedule_id)["id"])
    return jsonify(deleted=schedule_id)


@bp.get(f"{API}/candidates")
def candidates() -> Response:
    """The organization's candidates, to pick who an appointment is with."""
    with unit(write=False) as tx:
        current_user(tx)
        found = [{"id": c["id"], "name": " ".join(p for p in (c.get("firstName"), c.get("lastName")) if p)
                  or f"+{c['phone']}"} for c in tx.all("candidates") if changes.visible(c)]
    return jsonify(candidates=sorted(found, key=lambda c: c["name"].lower()))
