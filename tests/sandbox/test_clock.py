"""No time ahead of the clock: nothing the demo seed or the engine writes is dated after now, over the API."""

from __future__ import annotations

import re
import time
from datetime import datetime

from sandbox.schema import RESOURCES
from tests.support.sandboxes import as_org, new_organization, serve
from tests.support.waiting import wait_until

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
# A planned moment, not a record of one: when a pending webhook delivery will be tried again (S32).
PLANNED = {"nextAttemptAt"}


def stamps(value: object, where: str) -> list[tuple[str, str]]:
    """Every timestamp inside an attribute value (attempts are lists of objects), with where it was found."""
    if isinstance(value, dict):
        return [found for key, item in value.items() if key not in PLANNED for found in stamps(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in stamps(item, f"{where}[{index}]")]
    return [(where, value)] if isinstance(value, str) and TIMESTAMP.match(value) else []


def test_no_seeded_or_engine_written_time_is_ahead_of_the_clock(tmp_path):
    api, stop = serve(tmp_path)  # demo data, engine running 200 times faster
    try:
        # The two queued demo runs play out, with their messages, deliveries and webhook logs.
        wait_until(lambda: not api.all("/flow-runs?filter[status]=queued,running"), 60,
                   "the demo's queued runs finished")
        found = []
        for spec in RESOURCES.values():
            if "L" in spec.methods:
                for resource in api.all(f"/{spec.path}"):
                    found += stamps(resource["attributes"], f"{spec.type}/{resource['id']}")
        now = time.time()
        assert len({where.split("/")[0] for where, _ in found}) >= 10  # every kind of resource was looked at
        ahead = [(where, stamp) for where, stamp in found if datetime.fromisoformat(stamp).timestamp() > now]
        assert not ahead, ahead[:10]
    finally:
        stop()


def test_a_new_organizations_statuses_are_not_dated_after_it_was_made(tmp_path):
    api, stop = serve(tmp_path, SANDBOX_SEED="none")
    try:
        token = new_organization(api)["attributes"]["token"]
        now = time.time()
        for listed in (api.all("/candidate-statuses"),
                       as_org(api, token, "GET", "/candidate-statuses?page[size]=200").json()["data"]):
            assert len(listed) == 7
            assert [s["attributes"]["name"] for s in listed][:2] == ["New", "Contacted"]  # still in order
            assert all(datetime.fromisoformat(s["attributes"]["createdAt"]).timestamp() <= now for s in listed)
    finally:
        stop()
