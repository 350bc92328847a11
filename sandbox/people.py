"""Rules of organizations, users and candidates (S10–S12)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sandbox import changes
from sandbox.hooks import hook
from sandbox.jsonapi import ApiError, invalid
from sandbox.store import Tx

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DIGITS = re.compile(r"[0-9]{6,15}")


def valid_http_url(value: str) -> bool:
    """Whether a value is an absolute http(s) URL."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@hook("prepare", "organizations")
def prepare_organization(tx: Tx, old: dict, attrs: dict) -> None:
    """The webhook URL and secret change together; both null switches webhooks off (S10)."""
    if ("webhookUrl" in attrs) != ("webhookSecret" in attrs):
        missing = "webhookSecret" if "webhookUrl" in attrs else "webhookUrl"
        raise invalid(missing, "webhookUrl and webhookSecret must be sent together")
    url, secret = attrs.get("webhookUrl"), attrs.get("webhookSecret")
    if (url is None) != (secret is None):
        raise invalid("webhookSecret" if secret is None else "webhookUrl",
                      "set both webhookUrl and webhookSecret, or both to null")
    if url is not None and not valid_http_url(url):
        raise invalid("webhookUrl", "webhookUrl must be an http(s) URL")
    if secret is not None and not secret.strip():
        raise invalid("webhookSecret", "webhookSecret cannot be blank")
    if "name" in attrs and not (attrs["name"] or "").strip():
        raise invalid("name", "name cannot be blank")


@hook("prepare", "users")
def prepare_user(tx: Tx, old: dict | None, attrs: dict) -> None:
    """Names, a unique e-mail address and a real time zone (S11)."""
    merged = {**(old or {}), **attrs}
    for name in ("firstName", "lastName"):
        if name in attrs and not attrs[name].strip():
            raise invalid(name, f"{name} cannot be blank")
    if "email" in attrs:
        email = attrs["email"].strip().lower()
        if not EMAIL.match(email):
            raise invalid("email", "email is not an e-mail address")
        if any(u["email"] == email and u["id"] != merged.get("id") for u in tx.all("users")):
            raise invalid("email", "another user has this email")
        attrs["email"] = email
    if attrs.get("timeZone") is not None:
        try:
            ZoneInfo(attrs["timeZone"])
        except (ValueError, KeyError, OSError):
            raise invalid("timeZone", "timeZone must be an IANA time zone such as Europe/Amsterdam") from None
    if old is None:
        attrs["timeZone"] = attrs.get("timeZone") or "Europe/Amsterdam"
        attrs["organizationId"] = tx.org
    merged = {**(old or {}), **attrs}
    attrs["fullName"] = f"{merged['firstName']} {merged['lastName']}"


@hook("prepare", "candidates")
def prepare_candidate(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A phone in international digits, a known status and assignee (S12)."""
    if "phone" in attrs:
        phone = attrs["phone"].replace(" ", "").lstrip("+")
        if not DIGITS.fullmatch(phone):
            raise invalid("phone", "phone must be international digits such as 31612345678")
        attrs["phone"] = phone
    if attrs.get("email") is not None and not EMAIL.match(attrs["email"]):
        raise invalid("email", "email is not an e-mail address")
    for name, rtype in (("candidateStatusId", "candidateStatuses"), ("userId", "users")):
        if attrs.get(name) is not None and tx.get(rtype, attrs[name]) is None:
            raise invalid(name, f"no {rtype} with id {attrs[name]}")
    if old is None:
        attrs["organizationId"] = tx.org


@hook("after_delete", "users")
def unassign_candidates(tx: Tx, user: dict) -> None:
    """A deleted user's candidates are left without an assignee rather than pointing at nobody."""
    for candidate in tx.all("candidates", userId=user["id"]):
        changes.update(tx, "candidates", candidate, {"userId": None})


def existing_user(tx: Tx, user_id: object) -> dict:
    """The user an embed token is for; 404 when unknown (S34)."""
    user = tx.get("users", user_id) if isinstance(user_id, str) else None
    if user is None:
        raise ApiError(404, f"no users with id {user_id}")
    return user
