"""The vacancy analysis that shaped a flow generation: the newest analysis of the generation's vacancy text made
before the generation started.

Recrubo links neither to the other (reference §5.13, §5.15): a generation names its vacancy
(`parameters.vacancyId`), and an analysis keeps the text it read (`inputText`), which the dashboard sends as the
vacancy's description. The analyses come from the read model once it holds them all, else from the API, newest
first, at most LOOK_BACK of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from itertools import islice

from dashboard.db import listing
from dashboard.recrubo.client import RecruboClient, RecruboError
from dashboard.recrubo.ids import is_id

LOOK_BACK = 500


def _moment(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def shaping_analysis(api: RecruboClient, generation: Mapping) -> Mapping | None:
    """The analysis whose text is the generation's vacancy's description, newest first among those made before the
    generation; None when there was none (or the vacancy is gone)."""
    parameters = generation.get("parameters") if isinstance(generation.get("parameters"), Mapping) else {}
    vacancy_id = parameters.get("vacancyId")
    if not is_id(vacancy_id):
        return None
    try:
        vacancy = api.find("vacancies", vacancy_id)
    except RecruboError:
        return None
    text = _text(vacancy.get("description")) if vacancy else ""
    if not text:
        return None
    if listing.ready("vacancyAnalyses"):
        analyses = listing.vacancy_analyses(LOOK_BACK)
    else:
        analyses = list(islice(api.iterate("vacancy-analyses", sort="-createdAt"), LOOK_BACK))
    started = _moment(generation.get("createdAt"))
    for analysis in analyses:
        made = _moment(analysis.get("createdAt"))
        if started and made and made > started:
            continue
        if _text(analysis.get("inputText")) == text:
            return analysis
    return None
