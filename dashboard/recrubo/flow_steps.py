"""A flow and its steps as the API gives them: each step with its actions and links, read with documented includes
and filters only (reference §3.5, §3.6). The flow page draws them; the funnel's pushes read them here when the
read model has none yet (steps come by sync, not by webhook: §8.5)."""

from __future__ import annotations

from dashboard.recrubo.client import Resource, client
from dashboard.recrubo.relations import checked_id

# Step ids per node-transitions request: enough for most flows in one, short enough for any URL limit.
LINK_BATCH = 40


def flow_and_steps(flow_id: str) -> tuple[Resource, list[Resource]]:
    """A flow and its steps, each with its `nodeActions` and `nodeTransitions`."""
    api = client()
    flow = api.get("flows", flow_id)
    nodes = list(api.iterate("nodes", filters={"flowId": flow_id}, include="nodeActions"))
    links: dict[str, list[Resource]] = {node.id: [] for node in nodes}
    ids = list(links)
    for start in range(0, len(ids), LINK_BATCH):
        for link in api.iterate("node-transitions", filters={"nodeId": ids[start:start + LINK_BATCH]}):
            checked_id(api, link, "exitNode")  # a link without a target is drawn nowhere: say so once
            links.setdefault(checked_id(api, link, "node") or "", []).append(link)
    for node in nodes:
        node["nodeTransitions"] = links[node.id]
    return flow, nodes
