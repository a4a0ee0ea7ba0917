"""The WSGI application: a short middleware chain for the public form's submissions.

A POST to ``/r/<code>/`` is an anonymous respondent's answer: no session, no login, no
CSRF cookie (the view is ``csrf_exempt``: abuse is limited by the rate limit and the
honeypot), no messages, no htmx, no replica pin. Of the site's middleware it needs only
what makes its answer safe and honest: the security headers (``SecurityMiddleware``,
``XFrameOptionsMiddleware``, ``SecurityHeadersMiddleware``: HSTS and HTTPS redirect,
nosniff, referrer policy, frame denial, CSP) and the 503 with ``Retry-After`` when the
database is away (``DatabaseUnavailableMiddleware``); the handler adds the
``Content-Length`` that ``CommonMiddleware`` adds on the full chain. Those run in the order of
``settings.MIDDLEWARE``; the others cost about a third of a millisecond of CPU per
submission (a fifth of the public form's CPU on the production server), for nothing.
Every other request, including GET of the form, takes the full chain.

``kokemus.wsgi.application`` is :class:`Application`; tests drive it directly.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

from kokemus.surveys.public_views import CODE_RE

# The middleware a public submission runs, as a filter over settings.MIDDLEWARE (their
# order is the site's).
PUBLIC_SUBMISSION_MIDDLEWARE = frozenset({
    "django.middleware.security.SecurityMiddleware",
    "kokemus.privacy.dbfaults.DatabaseUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kokemus.web.middleware.SecurityHeadersMiddleware",
})
PUBLIC_SUBMISSION_PATH = re.compile(rf"/r/{CODE_RE.pattern}/")


def public_submission_middleware() -> list[str]:
    return [path for path in settings.MIDDLEWARE if path in PUBLIC_SUBMISSION_MIDDLEWARE]


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with a given (synchronous) middleware list."""

    def __init__(self, middleware: list[str]):
        self.middleware = list(middleware)
        super().__init__()

    def load_middleware(self, is_async=False):
        """As Django's, for synchronous middleware from ``self.middleware``."""
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(self.middleware):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def get_response(self, request):
        response = super().get_response(request)
        # As CommonMiddleware does on the full chain: keep-alive clients need the length.
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response


class Application:
    """Public submissions through :class:`LeanHandler`, everything else through Django's
    full handler."""

    def __init__(self):
        self.full = WSGIHandler()
        self.lean = LeanHandler(public_submission_middleware())

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and \
                PUBLIC_SUBMISSION_PATH.fullmatch(environ.get("PATH_INFO", "")):
            return self.lean(environ, start_response)
        return self.full(environ, start_response)
