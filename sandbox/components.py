"""The embeddable components' blueprint: the pages (`embeddables`) and each component's JSON endpoints."""

from sandbox import embeddable_flows, embeddable_inbox, embeddable_schedules, embeddables  # noqa: F401 - add routes

bp = embeddables.bp
