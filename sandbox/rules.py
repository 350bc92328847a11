"""The per-resource rules: importing this module registers every module's hooks (see `sandbox.hooks`)."""

from sandbox import analysis, generation, graph, messaging, people, runs, subscriptions  # noqa: F401
