"""The one way the suite waits for something: poll a condition until it holds, for a bounded time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], seconds: float = 10, message: str = "the condition held",
               every: float = 0.05) -> T:
    """Call `condition` until it returns something truthy and return that; after `seconds`, fail saying
    `message` did not happen. An exception `condition` raises ends the wait at once (it is the failure)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {message}")
        time.sleep(every)
