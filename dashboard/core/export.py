"""Lists as CSV files: the same URL with `format=csv` answers every row of the list's filtered, sorted view.

One writer for every list: UTF-8 with a byte-order mark (so spreadsheet programs read "Chloé" and "Öztürk" as
typed), `text/csv; charset=utf-8`, a dated attachment name, and the rows streamed as they are read, a chunk at a
time (the lists read the read model in keyset chunks, `dashboard.db.chunks`), so 50,000 rows cost the memory of
one chunk (bench/export.py measures it). A blueprint answers `format=csv` with a few lines:

    if export.wanted():
        export.check(FILTERS, SORTS)
        return export.respond("flow-runs", HEADER, (as_row(run) for run in every_run(state)))
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from flask import Response, abort, request, stream_with_context
from flask.typing import ResponseReturnValue

from dashboard.core.errors import render_error

BOM = "\ufeff"
CHUNK = 500  # rows written per piece of the response, as the read model reads them
# Cells a spreadsheet program would read as a formula (or, with a tab or carriage return first, as one after it
# trims): CSV injection, https://owasp.org/www-community/attacks/CSV_Injection. A candidate can name themselves
# "=HYPERLINK(…)" over WhatsApp; OWASP's advice is to prefix such a cell with a single quote, which makes
# Excel, LibreOffice and Google Sheets show it as text. Numbers we write ourselves (cost) are left as numbers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NOT_READY = ("The dashboard is still copying this list from Recrubo. Export is available once the dashboard's copy "
             "is complete (see the list page); please try again in a few minutes.")


def wanted() -> bool:
    """True when the request asks for the CSV file (`format=csv`); any other format is a readable 400."""
    chosen = request.args.get("format", "")
    if chosen not in ("", "csv"):
        abort(400, description=f"This list can be exported as format=csv only, not {chosen[:40]!r}.")
    return chosen == "csv"


def check(filters: Mapping[str, Iterable[str] | Callable[[str], bool] | None], sorts: Iterable[str]) -> None:
    """A readable 400 for a filter value outside its choices or an unknown sort: a page drops such a value and shows
    the whole list, but a file that silently holds more than was asked for would mislead."""
    for name, choices in filters.items():
        if choices is None or callable(choices):
            continue  # free text (a search), or ids that `lists.parse` checks itself
        allowed = list(choices)
        for value in request.args.getlist(name):
            parts = [value] if value in allowed else [part.strip() for part in value.split(",") if part.strip()]
            unknown = [part for part in parts if part not in allowed]
            if unknown:
                abort(400, description=f"{name}={unknown[0][:40]!r} is not a choice of this list; it takes "
                                       f"{', '.join(choice for choice in allowed if ',' not in choice)}.")
    sort = request.args.get("sort", "")
    if sort and sort not in sorts:
        abort(400, description=f"sort={sort[:40]!r} is not a sort of this list; it takes {', '.join(sorts)}.")


def not_ready() -> ResponseReturnValue:
    """The readable 503 of an export asked for while the read model is still backfilling that list (the page reads
    the API meanwhile; the export reads only the dashboard's own copy)."""
    html, status = render_error("Export not available yet", NOT_READY, 503)
    return html, status, {"Retry-After": "60"}


def cell(value: Any) -> Any:
    """A value as written to the file: text that could start a formula gets a leading single quote (see
    FORMULA_STARTS); None is an empty cell; numbers and other text as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def utc(value: Any) -> str:
    """A timestamp (the API's ISO-8601 text, or a naive UTC datetime) as `YYYY-MM-DD HH:MM:SS` in UTC, which
    spreadsheet programs read as a date and time; the column's header says UTC."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def filename(name: str) -> str:
    """The attachment's name: the list's name and today's date (UTC), e.g. `flow-runs-2026-12-05.csv`."""
    return f"{name}-{datetime.now(timezone.utc).date().isoformat()}.csv"


def lines(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text (RFC 4180: quoted where needed, CRLF line ends), every cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue()


def chunked(rows: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """`rows` in lists of `size` (the last one shorter), for a column that is looked up a chunk at a time."""
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def respond(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """The CSV attachment of a list: the BOM and the header, then `rows` written CHUNK at a time as they are read
    (a generator inside the request's context, so the read model is read while the file downloads)."""

    def generate() -> Iterable[bytes]:
        yield (BOM + lines([header])).encode("utf-8")
        for chunk in chunked(rows):
            yield lines(chunk).encode("utf-8")

    response = Response(stream_with_context(generate()), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(name)}"'
    response.headers["Cache-Control"] = "no-store"  # candidates' names and numbers: not for shared caches
    return response


def related(resource: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    """The related resource `name` of a listed row when the read model joined it (else an empty mapping)."""
    found = resource.get(name) if resource else None
    return found if isinstance(found, Mapping) else {}


def person(candidate: Mapping[str, Any]) -> str:
    """A candidate's full name as the lists show it (empty when the model does not hold the candidate)."""
    return " ".join(part for part in (candidate.get("firstName"), candidate.get("lastName")) if part)
