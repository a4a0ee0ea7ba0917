"""The WSGI application: public submissions take the short middleware chain
(kokemus.web.lean), everything else the full one. Driven through the real WSGI callable."""

from __future__ import annotations

import io
import sys
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings

from kokemus.responses.models import Response
from kokemus.surveys import public_views
from kokemus.web import lean
from kokemus.wsgi import application
from tests.surveys.helpers import make_point

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("fresh_public_form")]


def call(method, path, data=None, query="", headers=None):
    body = urlencode(data or {}).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
               "QUERY_STRING": query, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
               "HTTP_HOST": "testserver", "REMOTE_ADDR": "192.0.2.10",
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.errors": sys.stderr, **(headers or {})}
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = response_headers

    result = application(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        result.close()
    names = {}
    for name, value in seen["headers"]:
        names.setdefault(name.lower(), []).append(value)
    return seen["status"], names, content


@pytest.fixture
def cp(org, tree):
    return make_point(org, tree.kamppi)


SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options",
                    "referrer-policy", "permissions-policy")


def test_the_short_chain_is_the_site_order_of_the_security_middleware():
    chain = lean.public_submission_middleware()
    assert set(chain) == lean.PUBLIC_SUBMISSION_MIDDLEWARE
    assert chain == sorted(chain, key=settings.MIDDLEWARE.index)
    assert application.lean.middleware == chain


def test_a_submission_takes_the_short_chain_and_keeps_the_security_headers(cp, monkeypatch):
    calls = []
    monkeypatch.setattr(application.lean, "get_response",
                        lambda request, _real=application.lean.get_response:
                        calls.append(request.path) or _real(request))
    status, headers, _ = call("POST", f"/r/{cp.code}/", {"q-nps": "9", "q-liked": "Hyvä",
                                                         "idem": "lean-key-000000001"},
                              query="lang=sv")
    assert status == 302 and calls == [f"/r/{cp.code}/"]
    assert headers["location"] == [f"/r/{cp.code}/thanks/?lang=sv"]
    assert all(name in headers for name in SECURITY_HEADERS), headers
    assert "set-cookie" not in headers  # no session, CSRF or replica-pin cookie
    assert headers["content-length"] == ["0"]  # keep-alive clients need it
    assert "no-cache" in headers["cache-control"][0]
    response = Response.objects.get()
    assert response.language == "sv" and response.answers.count() == 2


def test_the_language_without_lang_comes_from_the_request(cp):
    status, _h, _c = call("POST", f"/r/{cp.code}/", {"q-nps": "9", "idem": "lean-key-000000002"},
                          headers={"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"})
    assert status == 302
    assert Response.objects.get().language == "en"


def test_bad_input_and_the_rate_limit_on_the_short_chain(cp):
    status, headers, content = call("POST", f"/r/{cp.code}/", {"q-nps": "11"}, query="lang=fi")
    assert status == 400 and "content-security-policy" in headers
    assert b"q-nps" in content  # the form again, with its error
    with override_settings(KOKEMUS_RESPOND_RATE_LIMIT=1):
        status, headers, _ = call("POST", f"/r/{cp.code}/", {"q-nps": "5"})
        assert status == 429 and "x-frame-options" in headers
    assert Response.objects.count() == 0


def test_a_lost_database_is_a_503_with_retry_after_on_the_short_chain(cp, monkeypatch):
    def gone(**_kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(public_views, "do_submit_response", gone)
    status, headers, _ = call("POST", f"/r/{cp.code}/", {"q-nps": "9"})
    assert status == 503 and headers["retry-after"] == ["5"]


def test_other_requests_take_the_full_chain(cp):
    status, headers, content = call("GET", f"/r/{cp.code}/", headers={
        "HTTP_ACCEPT_LANGUAGE": "sv"})
    assert status == 200 and "Accept-Language" in headers["vary"][0]  # LocaleMiddleware
    status, headers, _ = call("POST", "/login/", {"username": "x", "password": "y"})
    assert status == 403  # CSRF applies to everything but the public form
