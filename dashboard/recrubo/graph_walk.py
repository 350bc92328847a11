"""The links of a flow's graph that lead back (to a step the walk is still inside), found by a depth-first walk from
the start step: the drawing lays steps out without them, the funnel counts runs along the others."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def back_links(order: Sequence[str], links: Mapping[str, Sequence[str]], start: str | None) -> set[tuple[str, str]]:
    """Every (step, target) link that closes a cycle, walking from `start` first, then from each step in `order`
    not reached yet. Iterative: a 30-step chain must not hit the recursion limit."""
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1: on the walk's path, 2: done
    for root in ([start] if start else []) + list(order):
        if root in state:
            continue
        stack = [(root, iter(links[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(links[child])))
    return back
