"""Launching flow runs on every thread of a sandbox through its public API, as the dashboard's launch form does."""

from __future__ import annotations

import json

import requests
from common import ROOT  # noqa: F401  (first: it puts the checkout on sys.path)

from tests.support.servers import API_KEY


class RunLauncher:
    """Launch flow runs on every message thread of a sandbox through its public API (as the dashboard's
    launch form does), one active run per thread as the API allows, relaunching as runs end."""

    def __init__(self, api_url: str, api_key: str = API_KEY) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/vnd.api+json",
                                  "Content-Type": "application/vnd.api+json"})
        flows = self.list("flows", 50)
        threads = self.list("message-threads", 100)
        # A generated or built flow with nodes: the demo's warehouse / screening flows are such.
        self.flow_ids = [flow["id"] for flow in flows] or []
        self.thread_ids = [thread["id"] for thread in threads]
        self.launched = self.refused = 0

    def list(self, path: str, size: int) -> list[dict]:
        """The first `size` resources of a list."""
        response = self.http.get(f"{self.api_url}/{path}", params={"page[size]": size}, timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    def total(self, path: str, **filters: str) -> int:
        """How many resources of a list match `filters`."""
        params = {"page[size]": 1, **{f"filter[{name}]": value for name, value in filters.items()}}
        response = self.http.get(f"{self.api_url}/{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()["meta"]["total"]

    def launch(self, thread_id: str, number: int = 0) -> bool:
        """Start a run of one of the flows on a thread; False when the API refuses (thread busy)."""
        flow_id = self.flow_ids[number % len(self.flow_ids)]
        body = {"data": {"type": "flowRuns", "attributes": {"flowId": flow_id, "messageThreadId": thread_id}}}
        response = self.http.post(f"{self.api_url}/flow-runs", data=json.dumps(body), timeout=30)
        if response.status_code in (200, 201):
            self.launched += 1
            return True
        self.refused += 1
        return False

    def launch_everywhere(self, round_number: int = 0) -> int:
        """One launch attempt on every thread; return how many started."""
        return sum(self.launch(thread_id, round_number + index) for index, thread_id in enumerate(self.thread_ids))

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()
