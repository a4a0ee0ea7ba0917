"""Optional TOTP two-step verification (RFC 6238) for logins.

A user must pass the verify step after logging in when they have a confirmed
authenticator, or when they are an administrator of an organisation whose policy
requires two-step verification for administrators (they are then sent to set one up).
The codes are computed with ``django_otp.oath.TOTP``; a device stores its secret and the
last accepted time step so a code cannot be replayed.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from urllib.parse import quote

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.oath import TOTP

from kokemus.accounts.models import Membership, Role
from kokemus.privacy.models import RetentionPolicy, TOTPDevice

SESSION_KEY = "kokemus_2fa_verified"
TOLERANCE = 1  # accept the previous and next 30 s step too (clock drift)
EXEMPT_PREFIXES = ("/static/", "/logout/", "/account/two-factor/", "/privacy/", "/healthz",
                   "/readyz", "/api/", "/r/", "/kiosk/", "/i/", "/optout/", "/language/")


def new_key() -> str:
    return secrets.token_hex(20)


def b32_secret(device: TOTPDevice) -> str:
    return b32encode(bytes.fromhex(device.key)).decode().rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    label = quote(f"kokemus:{device.user.email}")
    return f"otpauth://totp/{label}?secret={b32_secret(device)}&issuer=kokemus"


# Guessing a six-digit code must not be practical after a stolen password: five wrong
# codes lock the verify step for the user for 15 minutes (shared cache: all workers).
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def _failures_key(user_id: int) -> str:
    return f"kokemus:2fa:failures:{user_id}"


def is_locked(user_id: int) -> bool:
    from django.core.cache import cache

    return (cache.get(_failures_key(user_id)) or 0) >= MAX_FAILURES


def note_failure(user_id: int) -> None:
    from django.core.cache import cache

    key = _failures_key(user_id)
    if not cache.add(key, 1, timeout=LOCK_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=LOCK_SECONDS)


def clear_failures(user_id: int) -> None:
    from django.core.cache import cache

    cache.delete(_failures_key(user_id))


def verify_code(device: TOTPDevice, code: str) -> bool:
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    totp = TOTP(bytes.fromhex(device.key), step=30, digits=6)
    for drift in range(-TOLERANCE, TOLERANCE + 1):
        totp.drift = drift
        if totp.t() > device.last_t and totp.token() == int(code):
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=totp.t())
            device.last_t = totp.t()
            return True
    return False


def admin_requirement(user) -> bool:
    org_ids = (Membership.objects.active().filter(user=user, role=Role.ADMIN)
               .values_list("organisation_id", flat=True))
    return RetentionPolicy.objects.filter(organisation_id__in=list(org_ids),
                                          require_2fa_for_admins=True).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def needs_verification(request) -> str | None:
    """None, "verify" (has a device) or "setup" (required but has none)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.session.get(SESSION_KEY):
        return None
    if confirmed_device(user) is not None:
        return "verify"
    if admin_requirement(user):
        return "setup"
    return None


def safe_next(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


class TwoFactorMiddleware:
    """After AuthenticationMiddleware: logged-in users who must verify are sent to the
    verify (or set-up) page until they do. Add after ``axes.middleware.AxesMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES):
            step = needs_verification(request)
            if step is not None:
                url = reverse("two_factor_verify" if step == "verify" else "two_factor_setup")
                return redirect(f"{url}?next={quote(request.get_full_path())}")
        return self.get_response(request)
