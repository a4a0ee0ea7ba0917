"""Swagger UI for /api/docs without inline scripts: Swagger UI's files ship inside
django-ninja and are served locally (no CDN); a static file starts it. The page's own
Content-Security-Policy allows inline *styles* (Swagger UI sets them), never inline scripts."""

from __future__ import annotations

import json

from django.shortcuts import render
from django.urls import reverse
from ninja.openapi.docs import DocsBase

DOCS_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
])


class KokemusSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        settings = {"url": reverse(f"{api.urls_namespace}:openapi-json", kwargs=kwargs),
                    "layout": "BaseLayout", "deepLinking": True}
        response = render(request, "api/docs.html", {
            "title": api.title, "swagger_settings": json.dumps(settings)})
        response["Content-Security-Policy"] = DOCS_CSP
        return response
