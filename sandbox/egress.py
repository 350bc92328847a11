"""Where webhooks may go: never to a loopback, private, link-local, multicast, reserved or unspecified address
(IPv4 or IPv6, IPv4 inside IPv6 included), unless it is the configured receiver (SANDBOX_WEBHOOK_URL) or an
origin listed in SANDBOX_WEBHOOK_ALLOW. Checked when a URL is stored and again, on the resolved addresses the
delivery then connects to, when a webhook is sent (so a name cannot be rebound in between)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from sandbox.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
KINDS = ("unspecified", "loopback", "link_local", "multicast", "private", "reserved")
MAX_ADDRESSES = 3  # a delivery tries at most this many of the (all checked) addresses a name resolves to


class Refused(Exception):
    """A webhook target the sandbox will not post to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked delivery target: where to connect (checked addresses) and what to ask for there."""

    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        """The Host header: the name, with the port unless it is the scheme's default."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if DEFAULT_PORTS[self.scheme] == self.port else f"{name}:{self.port}"


def origin(url: str) -> str | None:
    """`scheme://host:port` of an http(s) URL (port always written, host lower-case), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme.lower()}://{host.lower()}:{port}"


def parse_allow_list(value: str) -> tuple[str, ...]:
    """SANDBOX_WEBHOOK_ALLOW: comma-separated origins such as http://127.0.0.1:8000; ValueError when malformed."""
    allowed = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if origin(item) is None or parts.path not in ("", "/") or parts.query or parts.username:
            raise ValueError(f"SANDBOX_WEBHOOK_ALLOW must list origins such as http://127.0.0.1:8000, not {item!r}")
        allowed.append(origin(item))
    return tuple(allowed)


def allowed(url: str, settings: Settings) -> bool:
    """Whether a URL is the configured receiver itself or on an origin SANDBOX_WEBHOOK_ALLOW lists."""
    if origin(url) in settings.webhook_allow:
        return True
    receiver = settings.webhook_url
    if not receiver or origin(url) != origin(receiver):
        return False
    mine, theirs = urlsplit(url.strip()), urlsplit(receiver.strip())
    return (mine.path or "/", mine.query) == (theirs.path or "/", theirs.query)


def address_kind(address: Address) -> str | None:
    """Why an address may not receive webhooks ("loopback", "private", ...), or None for a public one."""
    if address.version == 6:
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and address_kind(inner):
            return f"{address_kind(inner)} (IPv4 {inner} inside IPv6)"
    for kind in KINDS:
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


def literal(host: str) -> Address | None:
    """The address a URL's host names literally, or None for a name."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address a host name resolves to (a literal stays itself); OSError when it does not resolve."""
    found = literal(host)
    if found is not None:
        return [found]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def check(url: str, addresses: list[Address], settings: Settings) -> None:
    """Raise Refused when any address is not public and the URL is not allowed anyway."""
    if allowed(url, settings):
        return
    for address in addresses:
        kind = address_kind(address)
        if kind:
            host = urlsplit(url).hostname
            shown = str(address) if literal(host or "") else f"{host} resolves to {address}, which"
            raise Refused(f"{shown} is a {kind} address: webhooks go only to public addresses, the configured "
                          f"receiver and the origins in SANDBOX_WEBHOOK_ALLOW")


def refusal(url: str, settings: Settings) -> str | None:
    """Why a webhook URL may not be stored, or None: checked by name now (a name that does not resolve yet is
    let through; every delivery checks again)."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
        check(url, resolve(parts.hostname or "", port), settings)
    except Refused as error:
        return str(error)
    except (OSError, ValueError, UnicodeError):
        return None
    return None


def target(url: str, settings: Settings) -> Target:
    """The checked target of a delivery; Refused when it may not be posted to, OSError when it does not resolve."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise Refused(f"{url!r} is not an http(s) URL")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise Refused(f"{url!r} has an invalid port") from None
    addresses = resolve(parts.hostname, port)
    check(url, addresses, settings)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port, path, tuple(str(a) for a in addresses[:MAX_ADDRESSES]))
