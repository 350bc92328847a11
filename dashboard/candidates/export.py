"""A candidate's timeline as CSV: UTF-8 with a byte order mark (so spreadsheet programs read accents), one row per
entry in the page's order, written row by row as the response streams."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from dashboard.recrubo.candidate_timeline import Entry

BOM = "\ufeff"
HEADER = ["Time", "Kind", "What", "Detail", "Channel", "Steps reached", "Answers", "Events behind it", "Reference"]
KINDS = {"message": "Message", "run": "Flow run", "bot": "Chatbot", "candidate": "Candidate"}
# A cell a spreadsheet would run as a formula (=, +, -, @ first) is kept as text with a leading apostrophe.
FORMULA = re.compile(r"^[=+\-@\t\r]")


def cell(value: object) -> str:
    """A value as a safe CSV cell."""
    text = "" if value is None else str(value)
    return f"'{text}" if FORMULA.match(text) else text


def line(values: Iterable[object]) -> str:
    """One CSV line."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell(value) for value in values])
    return buffer.getvalue()


def row(entry: Entry) -> list[object]:
    """An entry's cells, in HEADER's order."""
    channel = (entry.thread or {}).get("channel") or ""
    answers = "; ".join(f"{key}: {value}" for key, value in sorted(entry.answers.items()))
    return [entry.at, KINDS.get(entry.kind, entry.kind), entry.title, entry.detail, channel, " → ".join(entry.steps),
            answers, len(entry.events), entry.key]


def rows(entries: Iterable[Entry]) -> Iterator[str]:
    """The CSV text, a line at a time, the byte order mark first."""
    yield BOM + line(HEADER)
    for entry in entries:
        yield line(row(entry))


def file_name(name: str) -> str:
    """A download's file name from the candidate's name (ASCII letters, digits and dashes)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "candidate"
    return f"{slug[:60]}-timeline.csv"
