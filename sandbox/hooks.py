"""Per-resource rules the generic API handlers call around every write."""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

# stage -> resource type -> function. Stages:
#   check(attrs): checks of a write's attributes that may take time (a DNS lookup), before any transaction
#   prepare(tx, old, attrs): validate and complete attrs before a create (old is None) or an update
#   after(tx, old, new): side effects once a create (old is None) or an update is stored
#   before_delete(tx, record) / after_delete(tx, record)
#   received(tx, message): a candidate's message was stored (messages only: it feeds the thread's flow run)
_HOOKS: dict[str, dict[str, Callable]] = defaultdict(dict)


def hook(stage: str, *rtypes: str) -> Callable[[Callable], Callable]:
    """Register a function for a stage of the writes of the given resource types."""
    def register(fn: Callable) -> Callable:
        for rtype in rtypes:
            _HOOKS[stage][rtype] = fn
        return fn
    return register


def run(stage: str, rtype: str, *args) -> None:
    """Call the function registered for this stage and type, if any."""
    fn = _HOOKS[stage].get(rtype)
    if fn is not None:
        fn(*args)
