"""Rules of webhook subscriptions (S30), and where any webhook URL may point (sandbox/egress.py)."""

from __future__ import annotations

from flask import current_app

from sandbox import egress
from sandbox.hooks import hook
from sandbox.jsonapi import ApiError, invalid
from sandbox.people import valid_http_url
from sandbox.schema import RESOURCES
from sandbox.store import Tx

EVENTS = ("create", "update", "delete")
UNWATCHABLE = ("webhookLogs",)  # a delivery log announcing itself would never end


@hook("prepare", "webhooks")
def prepare_subscription(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A resource type, an event, attributes of that type, and an http(s) URL when one is given."""
    merged = {**(old or {}), **attrs}
    if merged["resource"] not in RESOURCES or merged["resource"] in UNWATCHABLE:
        raise invalid("resource", "resource must be a resource type such as flowRuns")
    if merged["event"] not in EVENTS:
        raise invalid("event", f"event must be one of {', '.join(EVENTS)}")
    spec = RESOURCES[merged["resource"]]
    for index, name in enumerate(merged.get("fields") or []):
        if not isinstance(name, str) or name not in spec.attr_map:
            raise ApiError(422, f"{name!r} is not an attribute of {spec.type}",
                           pointer=f"/data/attributes/fields/{index}")
    if merged.get("webhookUrl") is not None and not valid_http_url(merged["webhookUrl"]):
        raise invalid("webhookUrl", "webhookUrl must be an http(s) URL")


@hook("check", "webhooks", "organizations")
def check_webhook_target(attrs: dict) -> None:
    """A webhook URL may not point at a loopback, private, link-local, multicast, reserved or unspecified
    address, by literal or by name, unless allowed (422 on `webhookUrl`)."""
    url = attrs.get("webhookUrl")
    if isinstance(url, str) and valid_http_url(url):
        reason = egress.refusal(url, current_app.extensions["sandbox"].settings)
        if reason:
            raise invalid("webhookUrl", f"webhookUrl refused: {reason}")
