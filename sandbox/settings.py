"""The sandbox's settings, read from the config mapping handed to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sandbox.defaults import DEMO_API_KEY, DEMO_PARTNER_KEY, DEMO_WEBHOOK_SECRET
from sandbox.egress import parse_allow_list

SEED_MODES = ("demo", "none")
# "threads": the app runs its engine in its own process; "external": another process runs it (engine_process).
ENGINE_MODES = ("threads", "external")
ENV_NAMES = ("SANDBOX_DATABASE", "SANDBOX_API_KEY", "SANDBOX_WEBHOOK_SECRET", "SANDBOX_WEBHOOK_URL",
             "SANDBOX_TIME_SCALE", "SANDBOX_SEED", "SANDBOX_PARTNER_KEY", "SANDBOX_EMBED_TOKEN_SECONDS",
             "SANDBOX_MOUNT", "SANDBOX_ENGINE", "SANDBOX_STRICT", "SANDBOX_WEBHOOK_ALLOW")
# The secrets an embedded sandbox (SANDBOX_MOUNT set) must be given: the public demo values open it to anyone.
EMBEDDED_SECRETS = (("SANDBOX_API_KEY", DEMO_API_KEY), ("SANDBOX_PARTNER_KEY", DEMO_PARTNER_KEY),
                    ("SANDBOX_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET))
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


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
    # How long an embed token lives, in real seconds (S34: one hour); shorter only to test token refresh.
    embed_token_seconds: float = 3600.0
    # Where the app is mounted (the dashboard's "/sandbox"), for links the engine builds outside any request.
    mount: str = ""
    engine: str = "threads"
    # Answer only what the reference documents (sandbox/strict.py; README "Strict mode").
    strict: bool = False
    # Origins (`scheme://host:port`) that may receive webhooks although private or loopback (SANDBOX_WEBHOOK_ALLOW).
    webhook_allow: tuple[str, ...] = ()
    # Mounted inside the dashboard (SANDBOX_MOUNT set): the API answers only that dashboard; management is off.
    embedded: bool = False

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
    engine = str(config.get("SANDBOX_ENGINE") or "threads").lower()
    if engine not in ENGINE_MODES:
        raise ValueError(f"SANDBOX_ENGINE must be one of {', '.join(ENGINE_MODES)}, not {engine!r}")
    strict = str(config.get("SANDBOX_STRICT") or "").strip().lower()
    if strict not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(f"SANDBOX_STRICT must be 1 or 0 (true/false, yes/no, on/off), not {strict!r}")
    mount = str(config.get("SANDBOX_MOUNT") or "").strip()
    if mount:
        for name, demo in EMBEDDED_SECRETS:
            if not str(config.get(name) or "").strip() or str(config.get(name)) == demo:
                raise ValueError(f"{name} must be set to a secret of its own (not the public demo value) when the "
                                 f"sandbox is embedded (SANDBOX_MOUNT={mount})")
    return Settings(
        database=Path(config.get("SANDBOX_DATABASE") or "instance/sandbox.db"),
        api_key=str(config.get("SANDBOX_API_KEY") or DEMO_API_KEY),
        partner_key=str(config.get("SANDBOX_PARTNER_KEY") or DEMO_PARTNER_KEY),
        webhook_secret=str(config.get("SANDBOX_WEBHOOK_SECRET") or DEMO_WEBHOOK_SECRET),
        webhook_url=config.get("SANDBOX_WEBHOOK_URL") or None,
        time_scale=scale,
        seed=seed,
        embed_token_seconds=float(config.get("SANDBOX_EMBED_TOKEN_SECONDS") or 3600),
        mount=mount.rstrip("/"),
        embedded=bool(mount),
        engine=engine,
        strict=strict in TRUE_WORDS,
        webhook_allow=parse_allow_list(str(config.get("SANDBOX_WEBHOOK_ALLOW") or "")),
    )


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The SANDBOX_* variables that are set, as a config mapping for `load_settings` or `create_app`."""
    return {name: environ[name] for name in ENV_NAMES if environ.get(name)}
