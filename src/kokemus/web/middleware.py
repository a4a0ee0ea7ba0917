"""Middleware: the user's saved language, and security headers (CSP)."""

from __future__ import annotations

from django.conf import settings

# No 'unsafe-inline' for scripts or styles: every script is a static file and templates
# carry no style attributes. data: images are allowed for generated QR codes and charts.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
])


class UserLanguageMiddleware:
    """Use the language a logged-in user chose, unless the language cookie says otherwise.

    Runs before LocaleMiddleware, which reads the cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if user is not None and user.is_authenticated and user.language \
                and cookie not in request.COOKIES:
            request.COOKIES[cookie] = user.language
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=(), payment=()")
        return response
