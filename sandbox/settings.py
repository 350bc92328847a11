"""The sandbox's settings, read from the config mapping handed to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sandbox.defaults import DEMO_API_KEY, DEMO_PARTNER_KEY, DEMO_WEBHOOK_SECRET

SEED_MODES = ("demo", "none")


@dataclass(frozen=True)
class Settings:
    """Everything the sandbox needs to know about its surroundings."""

    database: Path
    api_key: str
    partner_key: str
    webhook_secret: str
    webhook_url: str | None
    time_scale: float
    seed: str

    def scaled(self, seconds: float) -> float:
        """A real-time delay compressed by the time scale (S26)."""
        return seconds / self.time_scale


def load_settings(config: Mapping[str, Any] | None) -> Settings:
    """Settings from a mapping keyed by the SANDBOX_* names; missing keys take the defaults."""
    config = config or {}
    scale = float(config.get("SANDBOX_TIME_SCALE") or 1)
    if scale <= 0:
        raise ValueError(f"SANDBOX_TIME_SCALE must be positive, not {scale}")
    seed = str(config.get("SANDBOX_SEED") or "demo").lower()
    if seed not in SEED_MODES:
        raise ValueError(f"SANDBOX_SEED must be one of {', '.join(SEED_MODES)}, not {seed!r}")
    return Settings(
        database=Path(config.get("SANDBOX_DATABASE") or "instance/sandbox.db"),
        api_key=str(config.get("SANDBOX_API_KEY") or DEMO_API_KEY),
        partner_key=str(config.get("SANDBOX_PARTNER_KEY") or DEMO_PARTNER_KEY),
        webhook_secret=str(config.get("SANDBOX_WEBHOOK_SECRET") or DEMO_WEBHOOK_SECRET),
        webhook_url=config.get("SANDBOX_WEBHOOK_URL") or None,
        time_scale=scale,
        seed=seed,
    )
