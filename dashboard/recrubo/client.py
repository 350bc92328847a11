"""The one Recrubo JSON:API client: URLs, headers, documents, pagination, `included` and errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from dashboard.recrubo.compat import Compatibility
from dashboard.recrubo.ids import InvalidId, is_id, require_id, segment

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/vnd.api+json"
# (connect, read) seconds: a dead API is reported quickly, a slow list still loads.
TIMEOUT = (3.05, 20)
MAX_PAGE_SIZE = 200
# Where each resource type lives (reference §4): the one place a type becomes a path.
PATHS = {"organizations": "organizations", "users": "users", "candidates": "candidates",
         "messageThreads": "message-threads", "conversations": "conversations", "messages": "messages",
         "messageTemplates": "message-templates", "flows": "flows", "nodes": "nodes", "nodeActions": "node-actions",
         "nodeTransitions": "node-transitions", "flowRuns": "flow-runs", "flowGenerations": "flow-generations",
         "vacancies": "vacancy", "vacancyAnalyses": "vacancy-analyses", "webhooks": "webhooks"}
# The only paths the client builds: a collection, or a collection and an id (checked, then escaped).
COLLECTIONS = frozenset(PATHS.values()) | {"embed/authenticate"}


class Resource(dict):
    """A JSON:API resource as a plain mapping: `id`, `type`, its attributes and resolved relationships.

    The raw `relationships` object stays beside the mapping (not in it), for `relations.related_id`.
    """

    relationships: Mapping[str, Any] = MappingProxyType({})

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Page:
    """One page of a list: its resources and the API's `meta` counts."""

    items: list[Resource]
    meta: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many resources the whole list has (`meta.total`), or this page's count without it."""
        return int(self.meta.get("total", len(self.items)))

    @property
    def max_page(self) -> int:
        """The last page number (`meta.maxPage`), 1 without it."""
        return int(self.meta.get("maxPage", 1) or 1)


class RecruboError(Exception):
    """Any failure talking to Recrubo, with a sentence a recruiter can read and the API's `errors`."""

    def __init__(self, message: str, status: int | None = None, errors: list | None = None,
                 kind: str = "error") -> None:
        super().__init__(message)
        self.message, self.status, self.errors = message, status, errors or []
        self.kind = kind  # unreachable | rejected | not_found | invalid | bad_id | error

    def field_errors(self) -> dict[str, str]:
        """Validation messages keyed by the attribute their `source.pointer` names."""
        messages = {}
        for error in self.errors:
            pointer = (error.get("source") or {}).get("pointer", "") if isinstance(error, dict) else ""
            if pointer:
                messages[pointer.rsplit("/", 1)[-1]] = _detail_text(error)
        return messages


def client() -> "RecruboClient":
    """The current app's client."""
    return current_app.extensions["recrubo"]


class RecruboClient:
    """A pooled, authenticated session on one Recrubo API base URL."""

    def __init__(self, base_url: str, api_key: str, timeout: tuple[float, float] = TIMEOUT) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        # What this API showed it supports (includes probed, fallbacks taken), for the settings page.
        self.compat = Compatibility(self.base_url)
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "Accept": MEDIA_TYPE})
        # Only idempotent reads are retried: a retried POST could launch a flow run twice.
        retries = Retry(total=2, connect=2, read=1, backoff_factor=0.2, allowed_methods={"GET", "HEAD"},
                        status_forcelist=(502, 503, 504), raise_on_status=False)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=retries)
        for scheme in ("http://", "https://"):
            self.http.mount(scheme, adapter)

    def get(self, collection: str, id_: str, include: str | None = None) -> Resource:
        """One resource of a collection (`flow-runs`) by id, with the named relationships resolved from `included`."""
        document = self._read(collection, id_, {}, include)
        return _resource(document["data"], _index(document))

    def find(self, type_: str, id_: str, include: str | None = None) -> Resource | None:
        """One resource of a type by id, or None when the API has no such resource (404)."""
        try:
            return self.get(PATHS[type_], id_, include)
        except RecruboError as error:
            if error.kind == "not_found":
                return None
            raise

    def list(self, path: str, filters: Mapping[str, Any] | None = None, sort: str = "-createdAt",
             page: int = 1, size: int = 25, include: str | None = None) -> Page:
        """One page of a list; `filters` keys are field names or `field][op` pairs."""
        params: dict[str, Any] = {"sort": sort, "page[number]": page, "page[size]": min(size, MAX_PAGE_SIZE)}
        for name, value in (filters or {}).items():
            if value not in (None, ""):
                params[f"filter[{name}]"] = ",".join(value) if isinstance(value, (list, tuple)) else value
        document = self._read(path, None, params, include)
        index = _index(document)
        return Page([_resource(item, index) for item in document.get("data") or []], document.get("meta") or {})

    def iterate(self, path: str, filters: Mapping[str, Any] | None = None, sort: str = "createdAt",
                include: str | None = None, size: int = MAX_PAGE_SIZE) -> Iterator[Resource]:
        """Every resource of a list, page after page, until `meta.maxPage` or a short page."""
        number = 1
        while True:
            page = self.list(path, filters, sort=sort, page=number, size=size, include=include)
            yield from page.items
            if number >= page.max_page or len(page.items) < size:
                return
            number += 1

    def _read(self, collection: str, id_: str | None, params: dict[str, Any], include: str | None) -> dict:
        """GET with the includes this API is known (or documented) to accept; a 400 for them, without."""
        path = resource_path(collection, id_)
        names = [name for name in (include or "").split(",") if name and self._may_include(collection, name, path)]
        if not names:
            return self._request("GET", path, params=params or None)
        try:
            return self._request("GET", path, params={**params, "include": ",".join(names)})
        except RecruboError as error:
            if error.status != 400:
                raise
            for name in names:
                self.compat.remember_include(collection, name, False, path)
            return self._request("GET", path, params=params or None)

    def _may_include(self, collection: str, name: str, path: str) -> bool:
        """Whether to ask for an include: documented, or an earlier probe of this base URL said yes."""
        known = self.compat.include_known(collection, name)
        return self._probe_include(collection, name, path) if known is None else known

    def _probe_include(self, collection: str, name: str, path: str) -> bool:
        """Ask for an undocumented include once on a one-item list; remember a yes or a 400's no."""
        try:
            self._request("GET", collection, params={"sort": "-createdAt", "page[size]": 1, "include": name})
        except RecruboError as error:
            if error.status == 400:
                self.compat.remember_include(collection, name, False, path)
            return False  # any other failure is not an answer: probed again on the next need
        self.compat.remember_include(collection, name, True, path)
        return True

    def create(self, path: str, type_: str, attributes: Mapping[str, Any],
               relationships: Mapping[str, Any] | None = None) -> Resource:
        """POST a new resource and return it as created."""
        data: dict[str, Any] = {"type": type_, "attributes": dict(attributes)}
        data.update({"relationships": dict(relationships)} if relationships else {})
        return _resource(self._request("POST", path, json={"data": data})["data"], {})

    def update(self, collection: str, type_: str, id_: str, attributes: Mapping[str, Any]) -> Resource | None:
        """PATCH a resource of a collection by id; None when the API answers 204."""
        data = {"type": type_, "id": id_, "attributes": dict(attributes)}
        document = self._request("PATCH", resource_path(collection, id_), json={"data": data})
        return _resource(document["data"], {}) if document.get("data") else None

    def delete(self, collection: str, id_: str) -> None:
        """DELETE a resource of a collection by id."""
        self._request("DELETE", resource_path(collection, id_))

    def ping(self) -> None:
        """Raise RecruboError unless the API answers an authenticated request within seconds."""
        self._request("GET", "organizations", params={"page[size]": 1}, timeout=(2, 5))

    def post_json(self, path: str, body: Mapping[str, Any]) -> dict:
        """POST a body that is not a JSON:API resource (e.g. /embed/authenticate) and return the reply."""
        return self._request("POST", path, json=dict(body))

    def _request(self, method: str, path: str, params: Mapping | None = None, json: Any = None,
                 timeout: tuple[float, float] | None = None) -> dict:
        url = f"{self.base_url}/{path if path in COLLECTIONS else resource_path(*path.split('/', 1))}"
        headers = {"Content-Type": MEDIA_TYPE} if json is not None else None
        try:
            response = self.http.request(method, url, params=params, json=json, headers=headers,
                                         timeout=timeout or self.timeout, allow_redirects=False)
        except requests.RequestException as error:
            late = isinstance(error, requests.Timeout)
            log.warning("recrubo %s %s %s: %s", method, path, "timed out" if late else "unreachable", error)
            raise RecruboError("The Recrubo API did not answer in time. Please try again in a moment." if late else
                               "The Recrubo API can't be reached right now. Your data is safe; please try again in "
                               "a moment.", kind="unreachable") from None
        if response.status_code == 204:
            return {}
        try:
            # Parse JSON whatever the Content-Type: the real API is not strict about it.
            document = response.json()
        except ValueError:
            document = None
        if response.status_code >= 400 or not isinstance(document, dict):
            raise _error(method, path, response.status_code, document)
        return document


def resource_path(collection: str, id_: str | None = None) -> str:
    """The API path of a collection, or of one resource in it: the id checked against the reference's shape and
    escaped as one path segment, so an id from a URL or a webhook can never point the API key elsewhere."""
    if collection not in COLLECTIONS:
        raise ValueError(f"not a Recrubo collection: {collection!r}")
    try:
        return collection if id_ is None else f"{collection}/{segment(require_id(id_))}"
    except InvalidId:
        raise RecruboError("That address names an item by something that is not a Recrubo id (ids are letters, "
                           "digits and dashes).", 400, kind="bad_id") from None


def _error(method: str, path: str, status: int, document: Any) -> RecruboError:
    errors = document.get("errors", []) if isinstance(document, dict) else []
    details = "; ".join(_detail_text(error) for error in errors if isinstance(error, dict))
    log.warning("recrubo %s %s answered %s: %r", method, path, status, details or "no error body")
    if status in (401, 403):
        return RecruboError("Recrubo refused the dashboard's API key. An administrator needs to check "
                            "RECRUBO_API_KEY.", status, errors, "rejected")
    if status == 404:
        return RecruboError("That item no longer exists in Recrubo (it may have been deleted).",
                            status, errors, "not_found")
    if status in (400, 409, 422):
        return RecruboError(f"Recrubo did not accept this: {details or 'the request was invalid'}.",
                            status, errors, "invalid")
    if status == 429:
        return RecruboError("Recrubo is busy (too many requests). Please try again in a minute.",
                            status, errors, "unreachable")
    if status < 400:
        return RecruboError("The Recrubo API sent a reply the dashboard could not read.", status, errors)
    return RecruboError("The Recrubo API had a problem answering. Please try again in a moment.",
                        status, errors, "unreachable" if status >= 500 else "error")


def _detail_text(error: Mapping) -> str:
    detail = error.get("detail")
    if isinstance(detail, Mapping):  # provider errors (e.g. Meta) arrive as objects
        detail = detail.get("message") or str(detail)
    return str(detail or error.get("title") or "error")


def parse_resource(data: Mapping) -> Resource:
    """A bare JSON:API resource object (e.g. a webhook's `resource`) as the client's plain Resource."""
    return _resource(data, {})


def _index(document: Mapping) -> dict[tuple[str, str], Mapping]:
    return {(item.get("type"), item.get("id")): item for item in document.get("included") or []
            if isinstance(item, Mapping)}


def _resource(data: Mapping, included: Mapping[tuple[str, str], Mapping], depth: int = 0) -> Resource:
    resource = Resource(data.get("attributes") or {})
    resource["id"], resource["type"] = _checked_id(data.get("id")), data.get("type")
    if isinstance(data.get("relationships"), Mapping):
        resource.relationships = data["relationships"]
    for name, relationship in resource.relationships.items():
        if name in resource or not isinstance(relationship, Mapping) or "data" not in relationship:
            continue  # attributes win; links-only relationships stay unresolved
        linkage = relationship["data"]
        resource[name] = [_linked(item, included, depth) for item in linkage] if isinstance(linkage, list) else \
            _linked(linkage, included, depth) if isinstance(linkage, Mapping) else None
    return resource


def _linked(linkage: Mapping, included: Mapping, depth: int) -> Resource:
    target = included.get((linkage.get("type"), linkage.get("id")))
    if target is None or depth >= 2:  # depth bound: included resources may point back at each other
        return Resource(id=_checked_id(linkage.get("id")), type=linkage.get("type"))
    return _resource(target, included, depth + 1)


def _checked_id(value: Any) -> Any:
    # An id goes into paths, element ids, selectors and channels: one of another shape is not read at all.
    if value is not None and not is_id(value):
        raise RecruboError("The Recrubo API sent an item whose id is not a Recrubo id.", kind="error")
    return value
