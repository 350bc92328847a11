"""What a flow's funnel can honestly count from a run's `state` and `status`, decided from the flow's graph alone.

The API keeps no trace of the steps a run passed through: only `state` (the answers to the `ask` actions, under
each action's `variableName`, reference §5.12, §7.2) and `status`. So, per run:

- a step that asks something is reached when `state` holds an answer to one of its questions (a run still waiting
  on its question, or abandoned there, counts at the step before);
- a start step that asks nothing is reached by a run that answered anything or finished;
- an end step that asks nothing is reached through a link from a step that asks, by a finished run that answered
  that step, none of the other steps it links forward to and, when the links' conditions are simple comparisons of
  an answer with a word (`session.confirmed === "no"`), whose answers make that link the first that holds
  (reference §7.2-7.3: links are tried in `index` order);
- other steps that ask nothing (a `say` between two questions) cannot be told from `state`: no count;
- a link is taken when both its ends were reached (to an end step: as above); links back to an earlier step
  (a loop, "start over") are not counted, since a run keeps its old answers;
- a run left after a step when it reached it, reached none of the steps it links forward to, and ended
  `timeout`, `exception` or `cancelled`.

Each of these is a condition over one run (`dashboard.db.funnel.Cond`); `dashboard.db.funnel` counts them in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboard.db.funnel import Cond
from dashboard.recrubo.graph_walk import back_links
from dashboard.recrubo.relations import related_id

LEFT_EARLY = ("timeout", "exception", "cancelled")
# The conditions read here: one answer compared with a word or quoted text (no escapes), e.g. `session.x === "no"`.
SIMPLE = re.compile(r"""\s*session\.([A-Za-z_][\w\-]*)\s*(===|==|!==|!=)\s*
                        (?:"([^"\\]*)"|'([^'\\]*)'|([A-Za-z_][\w\-]*))\s*""", re.VERBOSE)


@dataclass
class Plan:
    """The conditions a funnel counts, each keyed by what it measures; None where `state` cannot tell."""

    variables: list[str] = field(default_factory=list)
    reached: dict[str, Cond | None] = field(default_factory=dict)
    left: dict[str, Cond | None] = field(default_factory=dict)
    edges: dict[tuple[str, str], Cond | None] = field(default_factory=dict)
    silent: Cond | None = None  # ended early without answering anything

    def measures(self) -> dict[str, Cond]:
        """Every countable condition by its key (`reached:<step>`, `left:<step>`, `edge:<from>:<to>`, `silent`)."""
        found = {f"reached:{step}": cond for step, cond in self.reached.items() if cond is not None}
        found.update({f"left:{step}": cond for step, cond in self.left.items() if cond is not None})
        found.update({f"edge:{a}:{b}": cond for (a, b), cond in self.edges.items() if cond is not None})
        if self.silent is not None:
            found["silent"] = self.silent
        return found


def ask_variables(node: Mapping[str, Any]) -> list[str]:
    """The variables a step's `ask` actions store answers in, in action order."""
    actions = sorted(node.get("nodeActions") or [], key=lambda action: action.get("index") or 0)
    return [str(action["variableName"]) for action in actions
            if action.get("actionType") == "ask" and action.get("variableName")]


def _links(node: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A step's links in `index` order: (target id, condition)."""
    ordered = sorted(node.get("nodeTransitions") or [], key=lambda item: item.get("index") or 0)
    return [(related_id(link, "exitNode") or "", link.get("condition")) for link in ordered]


def _forward(nodes: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each step's links that lead forward (a depth-first walk from the start drops the links back into it)."""
    ids = [node["id"] for node in nodes]
    links = {node["id"]: [] for node in nodes}
    for node in nodes:
        for link in sorted(node.get("nodeTransitions") or [], key=lambda item: item.get("index") or 0):
            target = related_id(link, "exitNode")
            if target in links and target not in links[node["id"]]:
                links[node["id"]].append(target)
    start = next((node["id"] for node in nodes if node.get("isStartFlow")), None)
    back = back_links(ids, links, start)
    return {node: [target for target in targets if (node, target) not in back] for node, targets in links.items()}


def condition(text: Any) -> Cond | None:
    """A link's condition as a run condition: `null` always holds; a simple comparison (SIMPLE) of an answer with a
    word; None for anything else (not read here). Bare `true`, `false`, `null` are not words (they are literals)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return ("always",)
    found = SIMPLE.fullmatch(str(text))
    if not found:
        return None
    name, operator, double, single, word = found.groups()
    if word in ("true", "false", "null"):
        return None
    equals: Cond = ("equals", name, double if double is not None else single if single is not None else word)
    return equals if operator in ("===", "==") else ("not", equals)


def _chosen(links: list[tuple[str, Any]], target: str) -> Cond | None:
    """The condition that a step's link to `target` is the first whose condition holds; None when one of the
    conditions up to it is not read here."""
    parts: list[Cond] = []
    for exit_id, text in links:
        cond = condition(text)
        if cond is None:
            return None
        if exit_id == target:
            taken = parts + ([] if cond == ("always",) else [cond])
            return ("and", taken) if taken else ("always",)
        if cond == ("always",):
            return None  # an earlier link always holds: this one is never taken
        parts.append(("not", cond))
    return None


def _any(conds: list[Cond]) -> Cond:
    return conds[0] if len(conds) == 1 else ("or", conds)


def plan(nodes: Sequence[Mapping[str, Any]]) -> Plan:
    """The funnel's conditions for a flow's steps (each with its `nodeActions` and `nodeTransitions`)."""
    result = Plan()
    by_id = {node["id"]: node for node in nodes}
    forward = _forward(nodes)
    asks = {node["id"]: ask_variables(node) for node in nodes}
    for variables in asks.values():
        result.variables += [name for name in variables if name not in result.variables]
    answered_any = _any([("var", name) for name in result.variables]) if result.variables else None
    finished = ("status", ("finished",))
    for node in nodes:
        if asks[node["id"]]:
            result.reached[node["id"]] = _any([("var", name) for name in asks[node["id"]]])
        elif node.get("isStartFlow"):
            result.reached[node["id"]] = ("or", [answered_any, finished]) if answered_any else finished
    # Links from a step that asks: to a step that asks, both answered; to an end step that asks nothing, finished
    # without answering any other step it leads to (when every other one asks, so it can be told).
    preds: dict[str, list[Cond]] = {}
    for source in forward:
        for target in forward[source]:
            edge: Cond | None = None
            here = result.reached.get(source)
            if here is not None and asks[target]:
                edge = ("and", [here, result.reached[target]])
            elif here is not None and by_id[target].get("isEndFlow"):
                others = [other for other in forward[source] if other != target]
                chosen = _chosen(_links(by_id[source]), target)
                if chosen is not None or all(asks[other] for other in others):
                    parts = [here, finished] + ([chosen] if chosen not in (None, ("always",)) else []) + [
                        ("not", result.reached[other]) for other in others if asks[other]]
                    edge = ("and", parts)
                    preds.setdefault(target, []).append(edge)
            result.edges[(source, target)] = edge
    for node in nodes:
        if node["id"] not in result.reached:
            found = preds.get(node["id"])
            complete = found and all(result.edges.get((source, node["id"])) is not None
                                     for source in forward if node["id"] in forward[source])
            result.reached[node["id"]] = _any(found) if complete else None
    for node in nodes:
        here = result.reached.get(node["id"])
        onward = [result.reached.get(target) for target in forward[node["id"]]]
        if here is None or node.get("isEndFlow") or any(cond is None for cond in onward):
            result.left[node["id"]] = None
            continue
        parts = [here, ("status", LEFT_EARLY)] + [("not", cond) for cond in onward]
        result.left[node["id"]] = ("and", parts)
    if answered_any is not None:
        result.silent = ("and", [("not", answered_any), ("status", LEFT_EARLY)])
    return result

