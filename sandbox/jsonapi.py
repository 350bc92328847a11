"""JSON:API documents: errors, resource objects, and the list query (filter, sort, page, include)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from sandbox.schema import RESOURCES, Resource
from sandbox.store import parse_time

MEDIA_TYPE = "application/vnd.api+json"
ERROR_CODES = {400: ("bad_request", "Bad Request"), 401: ("unauthorized", "Unauthorized"),
               403: ("forbidden", "Forbidden"), 404: ("not_found", "Not Found"),
               405: ("method_not_allowed", "Method Not Allowed"), 409: ("conflict", "Conflict"),
               413: ("payload_too_large", "Payload Too Large"),
               415: ("unsupported_media_type", "Unsupported Media Type"),
               422: ("validation_error", "Unprocessable Entity"), 500: ("internal_error", "Internal Server Error")}
OPERATORS = ("eq", "eql", "prefix", "suffix", "gt", "gte", "lt", "lte", "match")
MAX_PAGE_SIZE = 200


class ApiError(Exception):
    """A refusal that becomes a JSON:API `errors` document."""

    def __init__(self, status: int, detail: Any, pointer: str | None = None, parameter: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.pointer, self.parameter = status, detail, pointer, parameter
        self.code = code or ERROR_CODES[status][0]

    def document(self) -> dict:
        """The `errors` body of this refusal."""
        error = {"code": self.code, "status": self.status, "title": ERROR_CODES[self.status][1],
                 "detail": self.detail}
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            error["source"] = {"parameter": self.parameter}
        return {"errors": [error]}


def invalid(name: str, detail: str) -> ApiError:
    """A 422 pointing at one attribute."""
    return ApiError(422, detail, pointer=f"/data/attributes/{name}")


def snake_to_camel(name: str) -> str:
    """`created_at` → `createdAt`; camelCase passes unchanged."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def resource_object(spec: Resource, record: dict, base: str, linkage: dict | None = None) -> dict:
    """A stored record as a JSON:API resource object, with `links.related` for every relationship."""
    attributes = {a.name: record.get(a.name) for a in spec.attrs if a.name != "id"}
    relationships = {}
    for rel in spec.rels:
        target = RESOURCES[rel.target]
        if rel.attr:
            fk = record.get(rel.attr)
            related = f"{base}/{target.path}/{fk}" if fk else None
        else:
            related = f"{base}/{target.path}?filter[{rel.inverse}]={record['id']}"
        relationships[rel.name] = {"links": {"related": related}}
        if linkage is not None and rel.name in linkage:
            relationships[rel.name]["data"] = linkage[rel.name]
    return {"id": record["id"], "type": spec.type, "attributes": attributes, "relationships": relationships}


@dataclass
class ListQuery:
    """A parsed list request."""

    filters: list[tuple[str, str, list]] = field(default_factory=list)  # (field, operator, values)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    size: int = 25
    number: int = 1
    include: list[str] = field(default_factory=list)


def field_name(spec: Resource, raw: str, parameter: str) -> str:
    """An attribute name (camelCase or snake_case) or `id` of this resource; 400 otherwise."""
    name = snake_to_camel(raw)
    if name == "id" or name in spec.attr_map:
        return name
    raise ApiError(400, f"'{raw}' is not a field of {spec.type}", parameter=parameter)


def parse_include(spec: Resource, args: Mapping[str, str]) -> list[str]:
    """The relationships named by `include`, one level deep; 400 for unknown ones."""
    names = [n.strip() for n in args.get("include", "").split(",") if n.strip()]
    for name in names:
        if name not in spec.rel_map:
            raise ApiError(400, f"'{name}' is not a relationship of {spec.type}", parameter="include")
    return list(dict.fromkeys(names))


_BRACKETS = re.compile(r"^(filter|page)((?:\[[^\[\]]*\])+)$")


def parse_list_query(spec: Resource, args: Mapping[str, str]) -> ListQuery:
    """Read filter, sort, page and include parameters of a list request (S5–S8)."""
    query = ListQuery(include=parse_include(spec, args))
    for key in args:
        value = args[key]
        match = _BRACKETS.match(key)
        if not match:
            if key.startswith(("filter", "page")):
                raise ApiError(400, f"'{key}' is not a valid parameter", parameter=key)
            continue
        parts = re.findall(r"\[([^\[\]]*)\]", match.group(2))
        if match.group(1) == "page":
            if len(parts) != 1 or parts[0] not in ("size", "number"):
                raise ApiError(400, f"'{key}' is not a page parameter; use page[size] and page[number]",
                               parameter=key)
            try:
                number = int(value)
            except ValueError:
                number = 0
            if number < 1:
                raise ApiError(400, f"{key} must be a positive whole number", parameter=key)
            if parts[0] == "size":
                query.size = min(number, MAX_PAGE_SIZE)
            else:
                query.number = number
            continue
        if len(parts) not in (1, 2):
            raise ApiError(400, f"'{key}' is not a valid filter", parameter=key)
        name = field_name(spec, parts[0], key)
        operator = parts[1] if len(parts) == 2 else ("match" if "," in value else "eq")
        if operator not in OPERATORS:
            raise ApiError(400, f"'{operator}' is not a filter operator; use one of {', '.join(OPERATORS)}",
                           parameter=key)
        values = value.split(",") if operator == "match" else [value]
        query.filters.append((name, operator, [_comparable(spec, name, item, key) for item in values]))
    for raw in [s.strip() for s in args.get("sort", "").split(",") if s.strip()]:
        descending = raw.startswith("-")
        query.sort.append((field_name(spec, raw.lstrip("-"), "sort"), descending))
    return query


def _comparable(spec: Resource, name: str, text: str, parameter: str | None = None) -> Any:
    """A filter value converted to the attribute's kind, so numbers and times compare as such."""
    kind = "str" if name == "id" else spec.attr_map[name].kind
    if text == "null":
        return None
    try:
        if kind == "time":
            return parse_time(text)
        if kind == "int":
            return float(text)
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
    except ValueError:
        raise ApiError(400, f"'{text}' is not a valid value for {name}", parameter=parameter) from None
    return text


def _stored(spec: Resource, name: str, value: Any) -> Any:
    kind = "str" if name == "id" else spec.attr_map[name].kind
    if value is None:
        return None
    if kind == "time":
        return parse_time(value)
    if kind in ("object", "array", "any") and not isinstance(value, str):
        return str(value)
    return value


def _holds(spec: Resource, record: dict, name: str, operator: str, wanted: list) -> bool:
    actual = _stored(spec, name, record.get(name))
    if operator == "match":
        return actual in wanted
    target = wanted[0]
    if operator == "eq":
        return actual == target
    if actual is None or target is None:
        return False
    if operator == "eql":
        return str(actual).lower() == str(target).lower()
    if operator == "prefix":
        return str(actual).startswith(str(target))
    if operator == "suffix":
        return str(actual).endswith(str(target))
    try:
        return {"gt": actual > target, "gte": actual >= target, "lt": actual < target,
                "lte": actual <= target}[operator]
    except TypeError:
        return False


def apply_list_query(spec: Resource, records: list[dict], query: ListQuery) -> tuple[list[dict], dict]:
    """Filter, sort and cut one page of records; return the page and its `meta` (S7)."""
    chosen = [r for r in records if all(_holds(spec, r, *f) for f in query.filters)]
    keys = query.sort or [("createdAt", False)]
    # The id breaks ties (S6) in the direction of the first key: ids grow with time, so `-createdAt` is newest first.
    chosen.sort(key=lambda r: r["id"], reverse=keys[0][1])
    for name, descending in reversed(keys):
        present = [r for r in chosen if r.get(name) is not None]
        missing = [r for r in chosen if r.get(name) is None]
        present.sort(key=lambda r: _sort_key(spec, name, r.get(name)), reverse=descending)
        # Nulls sort first ascending and last descending, like a missing value being the smallest.
        chosen = missing + present if not descending else present + missing
    total = len(chosen)
    start = (query.number - 1) * query.size
    meta = {"total": total, "currentSize": query.size, "currentPage": query.number,
            "maxPage": max(1, math.ceil(total / query.size))}
    return chosen[start:start + query.size], meta


def _sort_key(spec: Resource, name: str, value: Any) -> Any:
    stored = _stored(spec, name, value)
    # Text sorts case-insensitively, like a database's natural-language collation.
    return (0, stored, "", "") if isinstance(stored, (int, float)) else (1, 0, str(stored).casefold(), str(stored))
