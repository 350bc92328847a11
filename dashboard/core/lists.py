"""What every list page reads from its URL (filters, sort, page), so any list state can be shared."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flask import abort, request

from dashboard.db.listing import Found
from dashboard.recrubo.client import Page
from dashboard.recrubo.ids import is_id

PAGE_SIZE = 25


@dataclass(frozen=True)
class ListQuery:
    """A list's state as its URL carries it: filter values, a sort key and a page number."""

    filters: dict[str, str] = field(default_factory=dict)
    sort: str = ""
    page: int = 1

    def get(self, name: str) -> str:
        """One filter's value, empty when unset."""
        return self.filters.get(name, "")

    def args(self, **changes: str | int) -> dict[str, str | int]:
        """Query-string arguments for this state with `changes` applied; empty values are left out."""
        values: dict[str, str | int] = {**self.filters, "sort": self.sort, "page": self.page, **changes}
        return {key: value for key, value in values.items() if value not in ("", None) and
                not (key == "page" and value == 1)}


def page_number() -> int:
    """The `page` query parameter as a page number from 1."""
    return max(1, request.args.get("page", 1, type=int) or 1)


# A filter whose value is a Recrubo id: anything else is a 400 that says so, never sent on to the API.
ID = is_id


def id_args(name: str, limit: int) -> list[str]:
    """The non-empty values of query parameter `name` (at most `limit`), all Recrubo ids, or a readable 400."""
    values = [value for value in request.args.getlist(name) if value][:limit]
    if not all(is_id(value) for value in values):
        abort(400, description=f"A {name} in this address is not a Recrubo id (letters, digits and dashes).")
    return values


def parse(filters: Mapping[str, Iterable[str] | Callable[[str], bool] | None], sorts: Mapping[str, str]) -> ListQuery:
    """Read the list state from the request; values outside a filter's choices or an unknown sort are dropped,
    and a filter checked by `ID` that holds no Recrubo id is a readable 400."""
    values = {}
    for name, choices in filters.items():
        value = request.args.get(name, "").strip()[:200]
        if value and choices is not None and not callable(choices):
            value = one_or_more(request.args.getlist(name), choices)
        if value and callable(choices) and not choices(value):
            abort(400, description=f"A {name} in this address is not a Recrubo id (letters, digits and dashes).")
        if value and (choices is None or callable(choices) or value in choices):
            values[name] = value
    sort = request.args.get("sort", "")
    return ListQuery(values, sort if sort in sorts else next(iter(sorts)), page_number())


def one_or_more(given: list[str], choices: Iterable[str]) -> str:
    """A choice filter's values (`status=exception&status=timeout`, or comma-separated `status=exception,timeout`)
    as one comma-separated value in the choices' order, or the named group among the choices (a key holding a
    comma, e.g. `exception,timeout`) that means the same; unknown values are dropped."""
    choices = list(choices)
    wanted = {part.strip() for value in given for part in value[:200].split(",")}
    kept = [choice for choice in choices if "," not in choice and choice in wanted]
    group = next((choice for choice in choices if "," in choice and set(choice.split(",")) == set(kept)), None)
    return group or ",".join(kept)


def empty_page() -> Page:
    """A list page with nothing on it, for a search that cannot match anything."""
    return Page([], {"total": 0, "maxPage": 1})


def model_page(found: Found, size: int = PAGE_SIZE) -> Page:
    """A page read from the read model, counted as the API counts its pages (`meta.total`, `meta.maxPage`)."""
    return Page(found.items, {"total": found.total, "maxPage": max(1, -(-found.total // size))})
