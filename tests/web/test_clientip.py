"""The client's address behind trusted reverse proxies (kokemus.web.clientip)."""

import ipaddress

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import strategies as st

from kokemus.web.clientip import _address, client_ip


def request(peer, forwarded=None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(request("192.0.2.5", "203.0.113.1")) == "192.0.2.5"


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"])
@pytest.mark.parametrize("peer, forwarded, expected", [
    ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
    # the client's own claim on the left is not believed past an untrusted hop
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
    # two trusted hops (load balancer, then nginx)
    ("127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7"),
    ("127.0.0.1", "198.51.100.7:51234", "198.51.100.7"),
    ("127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
    # garbage: the walk stops at the last trusted hop
    ("127.0.0.1", "198.51.100.7, not-an-ip", "127.0.0.1"),
    ("127.0.0.1", "", "127.0.0.1"),
    ("127.0.0.1", None, "127.0.0.1"),
    # only trusted hops: the left-most of them
    ("127.0.0.1", "10.9.9.9", "10.9.9.9"),
    # an untrusted peer's header is ignored
    ("192.0.2.5", "198.51.100.7", "192.0.2.5"),
    ("", "198.51.100.7", ""),
])
def test_trusted_proxies(peer, forwarded, expected):
    assert client_ip(request(peer, forwarded)) == expected


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
@given(st.text(max_size=200))
def test_any_header_gives_the_proxy_or_an_address_it_was_sent(header):
    found = client_ip(request("127.0.0.1", header))
    sent = {_address(hop) for hop in header.split(",")}
    assert found == "127.0.0.1" or ipaddress.ip_address(found) in sent
