"""Every API error is JSON ``{"code": "...", "message": "...", "details": ...}``."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils import translation
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("kokemus.api")

MAX_BODY_BYTES = 2 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers or {}


def error_response(status: int, code: str, message: str, details=None,
                   headers=None) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message, "details": details},
                            status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def django_validation_details(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _plain_errors(errors) -> list[dict]:
    out = []
    for e in errors or []:
        out.append({"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
                    "type": str(e.get("type", ""))})
    return out


STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
                413: "payload_too_large", 415: "unsupported_media_type",
                422: "validation_error", 429: "rate_limited"}


def install(api) -> None:
    """Replace ninja's default exception handlers."""

    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @api.exception_handler(NinjaValidationError)
    def _validation(request, exc: NinjaValidationError):
        return error_response(422, "validation_error", "The request is not valid.",
                              _plain_errors(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request, exc: DjangoValidationError):
        return error_response(422, "validation_error", "The request is not valid.",
                              django_validation_details(exc))

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc: AuthenticationError):
        return error_response(401, "unauthorized",
                              "Send a valid API token: Authorization: Bearer <token>.",
                              headers={"WWW-Authenticate": 'Bearer realm="kokemus"'})

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        code = STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.message))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return error_response(404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return error_response(403, "forbidden", "This token may not do that.")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return error_response(413, "payload_too_large", "The request body is larger than 2 MB.")

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request, exc):
        return error_response(400, "bad_request", "The request could not be processed.")

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("Unexpected API error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "An unexpected error occurred.")


def json_guard(view):
    """Wrap an API URL callback: refuse big bodies (413) before parsing, and turn any
    non-JSON error response (e.g. 405 from routing) or escaped exception into JSON."""
    from functools import wraps

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "bad_request", "Content-Length is not a number.")
        if length > MAX_BODY_BYTES:
            return error_response(413, "payload_too_large",
                                  "The request body is larger than 2 MB.")
        try:
            with translation.override("en"):
                response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404, "not_found", "No such API endpoint.")
        except (OperationalError, InterfaceError):
            raise  # DatabaseUnavailableMiddleware answers 503 + Retry-After
        except Exception:
            logger.exception("Unexpected API error on %s %s", request.method, request.path)
            return error_response(500, "internal_error", "An unexpected error occurred.")
        ctype = response.get("Content-Type", "")
        if response.status_code >= 400 and "json" not in ctype:
            headers = {}
            if response.has_header("Allow"):
                headers["Allow"] = response["Allow"]
            status = response.status_code
            return error_response(status, STATUS_CODES.get(status, "error"),
                                  "The request could not be processed.", headers=headers)
        return response

    return wrapper


def not_found_view(request, *args, **kwargs):
    return error_response(404, "not_found", "No such API endpoint.")
