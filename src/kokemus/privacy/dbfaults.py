"""DatabaseUnavailableMiddleware: a lost database connection answers 503 + Retry-After.

While PostgreSQL restarts (or a SQLite writer holds the lock past the busy timeout) the
views raise ``OperationalError``/``InterfaceError``. Without this they become 500s; with
it clients get ``503 Service Unavailable`` and ``Retry-After: 5`` and retry — with the same
idempotency key, so a retried submission is stored exactly once. The broken connection is
closed so the next request opens a fresh one (CONN_HEALTH_CHECKS does the same at the
start of the next request).

Add it to MIDDLEWARE right after SecurityMiddleware.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger("kokemus.dbfaults")
RETRY_AFTER = "5"


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request, exc):
        logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
        for conn in connections.all(initialized_only=True):
            try:
                if conn.connection is not None and not conn.is_usable():
                    conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail too
                pass
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": "unavailable",
                                     "message": "The service is briefly unavailable; retry.",
                                     "details": None}, status=503)
        else:
            response = HttpResponse(
                "<!doctype html><title>503</title><p>Palvelu on hetken poissa käytöstä. "
                "Yritä uudelleen. / Tjänsten är tillfälligt otillgänglig. / The service is "
                "briefly unavailable; please try again.</p>",
                status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = RETRY_AFTER
        response["Cache-Control"] = "no-store"
        return response
