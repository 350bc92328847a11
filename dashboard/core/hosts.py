"""The Host names the dashboard answers to (TRUSTED_HOSTS, PUBLIC_URL): a request for any other name is refused
before any part of the dashboard or the mounted sandbox runs. A page on an attacker's domain that rebinds its
name to our address (DNS rebinding) reaches us with the attacker's name in Host, and is turned away here."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

from werkzeug.wsgi import get_host

from dashboard.config import Config

log = logging.getLogger(__name__)
# Platform health probes (Kubernetes, say) send the pod's address as Host; /healthz exposes nothing.
ANY_HOST_PATHS = frozenset({"/healthz"})
REFUSAL = (b"Unknown host: this dashboard does not answer to the name this request was sent to. "
           b"Use its configured address.\n")
# A name or an IPv4 address, or an IPv6 address in brackets, then an optional port (werkzeug's rule, plus case).
HOST = re.compile(r"(?P<name>[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?", re.IGNORECASE)
LOOPBACK = "127.0.0.1"


def host_name(host: str | None) -> str | None:
    """The lower-case name in a Host value (`name:port`, `[v6]:port`), without port, brackets or a final dot;
    None when the value is not a host at all."""
    match = HOST.fullmatch(host or "")
    if match is None:
        return None
    return match.group("name").strip("[]").rstrip(".").lower() or None


def is_trusted(name: str | None, trusted: Iterable[str]) -> bool:
    """True when `name` (no port) is one of `trusted`; an entry with a leading dot (`.example.com`) admits the
    domain itself and every subdomain."""
    if not name:
        return False
    for entry in trusted:
        if entry.startswith("."):
            if name == entry[1:] or name.endswith(entry):
                return True
        elif name == entry:
            return True
    return False


def answered_hosts(config: Config) -> tuple[str, ...]:
    """The names this dashboard answers to: TRUSTED_HOSTS (with PUBLIC_URL's host), plus 127.0.0.1 on the
    embedded sandbox, which the dashboard calls (and which sends webhooks to) at that address whatever
    TRUSTED_HOSTS says. A rebinding page never sends a bare IP address as Host: it sends its own name."""
    hosts = config.trusted_hosts
    return (*hosts, LOOPBACK) if config.embedded_sandbox and LOOPBACK not in hosts else hosts


class TrustedHosts:
    """WSGI middleware: a request whose Host (after ProxyFix, X-Forwarded-Host's) is not trusted gets a short
    400 and one log line; everything else, and /healthz whatever its Host, goes on to `app`."""

    def __init__(self, app: Callable, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Serve a request for a trusted host, refuse any other."""
        host = get_host(environ)
        if environ.get("PATH_INFO") in ANY_HOST_PATHS or is_trusted(host_name(host), self.trusted):
            return self.app(environ, start_response)
        # %r: a Host header is whatever the client sent, control characters included.
        log.warning("refused a request for host %r %s %r: not a trusted host; if browsers use this address, "
                    "add it to TRUSTED_HOSTS or set PUBLIC_URL to it", host[:300],
                    environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")[:300])
        start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                           ("Content-Length", str(len(REFUSAL))),
                                           ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")])
        return [REFUSAL]
