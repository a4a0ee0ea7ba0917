"""The client's IP address, also behind a reverse proxy.

Without ``TRUSTED_PROXIES`` the address is the TCP peer's (``REMOTE_ADDR``), and
``X-Forwarded-For`` is ignored: anyone can send that header. With it (comma-separated
addresses or networks, e.g. ``127.0.0.1,10.0.0.0/8``) and a request whose peer is one of
them, the header is read from the right, past every trusted hop, and the first address that
is not a trusted proxy is the client's. A malformed entry stops the walk at the last
trusted hop, so a forged header can never name an arbitrary address; only what the trusted
proxies themselves appended counts.

Used by the public form's per-device rate limit, login throttling (django-axes'
``AXES_CLIENT_IP_CALLABLE``) and the audit log.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def client_ip(request) -> str:
    """The client's address as a string ("" when the server was given none)."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    networks = trusted_networks()
    if not networks:
        return peer
    address = _address(peer)
    if address is None or not _trusted(address, networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    client = address
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        hop_address = _address(hop)
        if hop_address is None:
            break
        client = hop_address
        if not _trusted(hop_address, networks):
            break
    return str(client)
