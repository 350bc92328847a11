"""What the tests of lists read from the read model share: the recruiter's spellings from issue 18, the rows of a
list page, and which threads a search should find in the API's data."""

from __future__ import annotations

import re

from dashboard.db.upsert import fold
from dashboard.recrubo.relations import related_id

SPELLINGS = ["chloe", "DEKKER", "Groot", "de groot", "stijn van dijk", "ozturk", "Joao"]


def row_ids(html: str, prefix: str) -> list[str]:
    """The ids of the rows of one kind, in page order."""
    return re.findall(rf'<tr id="{prefix}-([0-9a-f-]{{36}})"', html)


def expected_threads(snapshot: dict, typed: str) -> set[str]:
    """The threads whose candidate's name, phone or e-mail contains `typed`, case and accents ignored."""
    wanted = " ".join(fold(typed).split())
    people = {person.id for person in snapshot["candidates"] if wanted in fold(" ".join(
        str(person.get(name) or "") for name in ("firstName", "lastName", "phone", "email")))
        or wanted in fold(f"{person.get('firstName') or ''} {person.get('lastName') or ''}")}
    return {thread.id for thread in snapshot["threads"] if related_id(thread, "candidate") in people}
