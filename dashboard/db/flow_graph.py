"""A flow's steps as the read model holds them, shaped as the API's `nodes` with their `nodeActions` and
`nodeTransitions`, for what renders a graph without asking the API (a live push of the funnel)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db.model import Node, NodeAction, NodeTransition, Row


def _shaped(row: Row) -> dict[str, Any]:
    attributes = json.loads(row.attributes or "{}")
    relations = json.loads(row.relations or "{}")
    shaped: dict[str, Any] = {**attributes, "id": row.id, "type": row.type}
    for name, related in relations.items():
        shaped[name] = {"id": related}
    return shaped


def flow_nodes(session: Session, flow_id: str) -> list[dict[str, Any]]:
    """The flow's steps in the order the API lists them (by index), each with its actions and links; empty when
    the model holds none."""
    nodes = session.scalars(select(Node).where(Node.flow_id == flow_id, ~Node.deleted)
                            .order_by(Node.position, Node.created_at, Node.id)).all()
    ids = [node.id for node in nodes]
    if not ids:
        return []
    actions = session.scalars(select(NodeAction).where(NodeAction.node_id.in_(ids), ~NodeAction.deleted)
                              .order_by(NodeAction.position, NodeAction.id)).all()
    links = session.scalars(select(NodeTransition).where(NodeTransition.node_id.in_(ids), ~NodeTransition.deleted)
                            .order_by(NodeTransition.position, NodeTransition.id)).all()
    shaped = {node.id: {**_shaped(node), "nodeActions": [], "nodeTransitions": []} for node in nodes}
    for action in actions:
        shaped[action.node_id]["nodeActions"].append(_shaped(action))
    for link in links:
        shaped[link.node_id]["nodeTransitions"].append(_shaped(link))
    return list(shaped.values())
