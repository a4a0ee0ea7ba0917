"""Which webhook targets are allowed: http(s) only; no private/loopback addresses unless
``settings.KOKEMUS_WEBHOOK_ALLOW_PRIVATE`` is True (tests and local development)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(Exception):
    pass


def allow_private() -> bool:
    return bool(getattr(settings, "KOKEMUS_WEBHOOK_ALLOW_PRIVATE", False))


def check_url_syntax(url: str) -> tuple[str, int]:
    """Scheme and host checks without DNS; returns (host, port)."""
    if not url or len(url) > 500:
        raise UnsafeURL("Give a URL of at most 500 characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("The URL is not valid.") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Only http and https URLs are allowed.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL needs a host name.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL must not contain a user name or password.")
    port = port or (443 if parts.scheme == "https" else 80)
    if not allow_private():
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host.lower() in ("localhost",) or host.lower().endswith(".localhost"):
                raise UnsafeURL("Private and loopback addresses are not allowed.") from None
        else:
            if not _is_public(ip):
                raise UnsafeURL("Private and loopback addresses are not allowed.")
    return host, port


def _is_public(ip) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def check_url_target(url: str) -> None:
    """Full check before connecting: every address the host resolves to must be public."""
    host, port = check_url_syntax(url)
    if allow_private():
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host name could not be resolved: {exc}") from None
    for info in infos:
        if not _is_public(ipaddress.ip_address(info[4][0].split("%")[0])):
            raise UnsafeURL("The host resolves to a private or loopback address.")
