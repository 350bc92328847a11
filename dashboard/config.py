"""The dashboard's settings: the only module that reads the environment."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_SCHEMES = {"sqlite": "sqlite", "postgres": "postgresql+psycopg",
                    "postgresql": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg"}


class ConfigError(ValueError):
    """A setting has a value the dashboard cannot start with; the message names the variable."""


@dataclass(frozen=True)
class Config:
    """Every setting the dashboard runs with, validated."""

    instance_path: Path
    secret_key: str
    database_url: str
    api_url: str | None  # None = the embedded sandbox
    api_key: str
    webhook_secret: str
    app_origin: str
    redis_url: str | None
    frame_ancestors: str
    port: int
    web_concurrency: int
    sandbox_time_scale: float
    sandbox_strict: bool = False
    live_ping_seconds: int = 25
    trusted_proxy_count: int = 0
    sso_header: str | None = None
    sso_trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Where browsers reach us (PUBLIC_URL), as an origin; None on a laptop, where loopback is the origin.
    public_origin: str | None = None
    # The Host names we answer to (TRUSTED_HOSTS): anything else is DNS rebinding or a misdirected request.
    trusted_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    # The address gunicorn listens on (HOST): loopback unless opened on purpose (the Procfile binds 0.0.0.0).
    host: str = "127.0.0.1"
    # The embedded sandbox's partner key: generated, never the public demo value (its routes are off anyway).
    sandbox_partner_key: str = ""
    sync_seconds: int = 60  # the read model's incremental sync interval (SYNC_SECONDS)

    @property
    def embedded_sandbox(self) -> bool:
        """True when the dashboard talks to its own sandbox rather than a configured API."""
        return self.api_url is None

    @property
    def recrubo_api_url(self) -> str:
        """The API base URL the client uses, over real HTTP even for the embedded sandbox."""
        return self.api_url or f"http://127.0.0.1:{self.port}/sandbox/public/v2"

    def sandbox_settings(self) -> dict[str, str]:
        """The embedded sandbox's SANDBOX_* settings, for the app mounted at /sandbox and its engine process alike:
        the dashboard's key and secret, its instance folder, and its own webhook receiver."""
        return {"SANDBOX_DATABASE": str(self.instance_path / "sandbox.db"),
                "SANDBOX_API_KEY": self.api_key,
                "SANDBOX_WEBHOOK_SECRET": self.webhook_secret,
                "SANDBOX_PARTNER_KEY": self.sandbox_partner_key,
                # Webhooks flow for real: the sandbox's organization posts to this dashboard's own receiver
                # (the seeded subscriptions are the recommended ones, reference §8.5).
                "SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{self.port}/webhooks/recrubo",
                "SANDBOX_TIME_SCALE": str(self.sandbox_time_scale),
                # Served at /sandbox by the gevent worker, whose engine runs in a process of its own (gunicorn.conf.py).
                "SANDBOX_MOUNT": "/sandbox",
                "SANDBOX_ENGINE": "external",
                # Strict: the embedded sandbox answers only what the reference documents, as the real API would.
                "SANDBOX_STRICT": "1" if self.sandbox_strict else "0"}


def load(environ: Mapping[str, str] | None = None, check_services: bool = True) -> Config:
    """Build a Config from an environment mapping (os.environ by default), or raise ConfigError."""
    env = os.environ if environ is None else environ
    instance = _instance_folder(env.get("INSTANCE_PATH"))
    redis_url = _redis_url(env.get("REDIS_URL"), check_services)
    api_url = _api_url(env.get("RECRUBO_API_URL"))
    public_origin = _origin("PUBLIC_URL", env["PUBLIC_URL"]) if env.get("PUBLIC_URL") else None
    return Config(
        instance_path=instance,
        secret_key=env.get("SECRET_KEY") or stored_secret(instance, "secret_key"),
        database_url=_database_url(env.get("DATABASE_URL"), instance),
        api_url=api_url,
        **_api_secrets(env, instance, api_url),
        app_origin=_origin("RECRUBO_APP_ORIGIN", env.get("RECRUBO_APP_ORIGIN") or "https://recrubo.app"),
        redis_url=redis_url,
        frame_ancestors=parse_frame_ancestors(env.get("FRAME_ANCESTORS") or "'self'"),
        port=_integer("PORT", env.get("PORT") or "8000", 0, 65535),
        web_concurrency=_integer("WEB_CONCURRENCY", env.get("WEB_CONCURRENCY") or "1", 1, 64),
        sandbox_time_scale=_positive_float("SANDBOX_TIME_SCALE", env.get("SANDBOX_TIME_SCALE") or "1"),
        sandbox_strict=_flag("SANDBOX_STRICT", env.get("SANDBOX_STRICT")),
        live_ping_seconds=_integer("LIVE_PING_SECONDS", env.get("LIVE_PING_SECONDS") or "25", 1, 300),
        sync_seconds=_integer("SYNC_SECONDS", env.get("SYNC_SECONDS") or "60", 1, 86400),
        trusted_proxy_count=_integer("TRUSTED_PROXY_COUNT", env.get("TRUSTED_PROXY_COUNT") or "0", 0, 10),
        public_origin=public_origin,
        trusted_hosts=_trusted_hosts(env.get("TRUSTED_HOSTS"), public_origin),
        host=_host(env.get("HOST") or "127.0.0.1", embedded=api_url is None),
        **_single_sign_on(env.get("SSO_HEADER"), env.get("SSO_TRUSTED_PROXIES")),
    )


def _api_secrets(env: Mapping[str, str], instance: Path, api_url: str | None) -> dict[str, str]:
    """The API key and webhook secret: required for a real API, generated once into `instance/` for the
    embedded sandbox, so no install ever runs on a key or secret that is published anywhere."""
    if api_url is not None:
        for name in ("RECRUBO_API_KEY", "RECRUBO_WEBHOOK_SECRET"):
            if not env.get(name):
                raise ConfigError(f"{name} is required when RECRUBO_API_URL is set (see README, Security)")
        return {"api_key": env["RECRUBO_API_KEY"], "webhook_secret": env["RECRUBO_WEBHOOK_SECRET"]}
    return {"api_key": env.get("RECRUBO_API_KEY") or stored_secret(instance, "sandbox_api_key"),
            "webhook_secret": env.get("RECRUBO_WEBHOOK_SECRET") or stored_secret(instance, "webhook_secret"),
            "sandbox_partner_key": stored_secret(instance, "sandbox_partner_key")}


def _instance_folder(value: str | None) -> Path:
    instance = Path(value or PROJECT_ROOT / "instance").resolve()
    try:
        instance.mkdir(parents=True, exist_ok=True)
        probe = instance / f".writable.{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise ConfigError(f"INSTANCE_PATH {str(instance)!r} must be a folder the dashboard can create and "
                          f"write ({error.strerror or error})") from None
    return instance


def _trusted_hosts(value: str | None, public_origin: str | None) -> tuple[str, ...]:
    hosts = ["localhost", "127.0.0.1", "::1"] if value is None or not value.strip() else []
    for item in (value or "").replace(",", " ").split():
        host = item.lower()
        bare = host.lstrip(".")
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*|\[?[0-9a-f:.]+\]?", bare):
            raise ConfigError(f"TRUSTED_HOSTS must list host names such as dashboard.example.com or "
                              f".example.com (a leading dot admits subdomains), got {item!r}")
        hosts.append(host.strip("[]"))
    if public_origin:
        hosts.append(urlsplit(public_origin).hostname or "")
    return tuple(dict.fromkeys(host for host in hosts if host))


def _host(value: str, embedded: bool) -> str:
    try:
        host = str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise ConfigError(f"HOST must be an IP address to listen on, such as 127.0.0.1 or 0.0.0.0, "
                          f"got {value!r}") from None
    if embedded and host not in ("127.0.0.1", "0.0.0.0", "::"):
        # The dashboard calls its embedded sandbox at 127.0.0.1: the listener must include loopback.
        raise ConfigError(f"HOST must be 127.0.0.1, 0.0.0.0 or :: on the embedded sandbox, got {value!r}")
    return host


def load_or_exit(environ: Mapping[str, str] | None = None) -> Config:
    """Load the settings, or print one line naming the bad variable and exit with status 2."""
    try:
        return load(environ)
    except ConfigError as error:
        print(f"recrubo-dashboard: configuration error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _flag(name: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (true or false), got {value!r}")


def _api_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"RECRUBO_API_URL must be an http(s) URL such as "
                          f"https://api.recrubo.app/public/v2, got {value!r}")
    return value.rstrip("/")


def _origin(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(f"{name} must be an origin such as https://recrubo.app, got {value!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"  # as browsers send an Origin


def _database_url(value: str | None, instance: Path) -> str:
    if not value:
        return f"sqlite:///{instance / 'dashboard.db'}"
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in DATABASE_SCHEMES:
        raise ConfigError(f"DATABASE_URL must start with sqlite:// or postgresql://, got scheme {scheme!r}")
    if scheme == "sqlite" and rest.startswith("/") is False and rest not in ("", "/:memory:"):
        # A relative sqlite path is taken inside the instance folder, wherever the server starts.
        return f"sqlite:///{instance / rest}"
    return f"{DATABASE_SCHEMES[scheme]}://{rest}"


def _redis_url(value: str | None, check: bool) -> str | None:
    if not value:
        return None
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {value!r}")
    if check:
        import redis

        try:
            redis.Redis.from_url(value, socket_connect_timeout=2, socket_timeout=2).ping()
        except (redis.RedisError, OSError) as error:
            password = urlsplit(value).password
            shown = value.replace(f":{password}@", ":***@") if password else value
            raise ConfigError(f"REDIS_URL {shown} is unreachable: {error}") from None
    return value


def parse_frame_ancestors(value: str) -> str:
    """Normalize a space-separated list of CSP framing sources ('self', 'none', origins) or raise ConfigError."""
    sources = []
    for source in value.replace(",", " ").split():
        if source.lower() in ("self", "'self'", "none", "'none'"):
            sources.append(f"'{source.strip(chr(39)).lower()}'")
            continue
        parts = urlsplit(source)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
                or parts.query or any(char in source for char in ";'\""):
            raise ConfigError(f"FRAME_ANCESTORS must be 'self', 'none' or origins like "
                              f"https://intranet.example.com separated by spaces, got {source!r}")
        sources.append(f"{parts.scheme}://{parts.netloc}")
    if not sources:
        raise ConfigError("FRAME_ANCESTORS must name at least one source, e.g. 'self'")
    if "'none'" in sources and len(sources) > 1:
        raise ConfigError("FRAME_ANCESTORS cannot combine 'none' with other sources")
    return " ".join(dict.fromkeys(sources))


def _single_sign_on(header: str | None, proxies: str | None) -> dict:
    if not header:
        return {}
    if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
        raise ConfigError(f"SSO_HEADER must be a header name such as X-Forwarded-Email, got {header!r}")
    if not proxies:
        raise ConfigError("SSO_HEADER needs SSO_TRUSTED_PROXIES: the addresses of the proxy that sets it, "
                          "e.g. 10.0.0.5 or 10.0.0.0/24")
    networks = []
    for item in proxies.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"SSO_TRUSTED_PROXIES must list IP addresses or networks, got {item!r}") from None
    return {"sso_header": header, "sso_trusted_proxies": tuple(networks)}


def _integer(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return number


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise ConfigError(f"{name} must be a positive number, got {value!r}")
    return number


def stored_secret(instance: Path, name: str) -> str:
    """Read a generated secret from the instance folder, creating it once (safe across workers and processes)."""
    path = instance / name
    if not path.exists():
        # Written aside and linked into place, so a second worker never reads a half-written secret.
        temporary = instance / f".{name}.{os.getpid()}"
        temporary.write_text(secrets.token_urlsafe(32))
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()
