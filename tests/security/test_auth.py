"""Two-step verification (TOTP), security headers on every page, `check --deploy` with
production settings, and the 503 answer when the database is away."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import RequestFactory, override_settings
from django_otp.oath import totp

from kokemus.privacy import actions, twofactor
from kokemus.privacy.dbfaults import DatabaseUnavailableMiddleware
from kokemus.privacy.models import TOTPDevice
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

MIDDLEWARE_2FA = [*settings.MIDDLEWARE, "kokemus.privacy.twofactor.TwoFactorMiddleware"]


def code(device, offset=0):
    return f"{totp(bytes.fromhex(device.key), step=30, t0=0, digits=6, drift=offset):06d}"


@override_settings(MIDDLEWARE=MIDDLEWARE_2FA, AXES_ENABLED=False)
def test_totp_setup_then_verify_after_login(client, admin, org):
    client.force_login(admin)
    assert client.get(f"/o/{org.slug}/").status_code == 200  # no device, not required
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=admin)
    assert client.post("/account/two-factor/", {"code": "000000"}).status_code == 400
    assert client.post("/account/two-factor/", {"code": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # a fresh login must pass the verify step
    client.logout()
    response = client.post("/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    blocked = client.get(f"/o/{org.slug}/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(
        "/account/two-factor/verify/")
    # replaying the code used at set-up is refused
    assert client.post("/account/two-factor/verify/", {"code": code(device)}).status_code == 400
    device.refresh_from_db()
    ok = client.post("/account/two-factor/verify/",
                     {"code": code(device, offset=1), "next": f"/o/{org.slug}/"})
    assert ok.status_code == 302 and ok["Location"] == f"/o/{org.slug}/"
    assert client.get(f"/o/{org.slug}/").status_code == 200


@override_settings(MIDDLEWARE=MIDDLEWARE_2FA)
def test_org_requiring_2fa_sends_admins_to_setup(client, admin, staff, org):
    from kokemus.accounts.audit import SYSTEM

    actions.do_set_policy(SYSTEM, org, free_text_months=24, contact_months=12,
                          require_2fa_for_admins=True)
    client.force_login(admin)
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/?next=")
    client.force_login(staff)  # the requirement is for administrators
    assert client.get(f"/o/{org.slug}/").status_code == 200


def test_verify_code_rejects_garbage(admin):
    device = TOTPDevice.objects.create(user=admin, key=twofactor.new_key(), confirmed=True)
    for bad in ["", "12345", "abcdef", "1234567", None]:
        assert not twofactor.verify_code(device, bad)
    assert twofactor.verify_code(device, code(device))


@pytest.mark.parametrize("path", ["/login/", "/privacy/", "/password-reset/", "/api/docs",
                                  "/healthz"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = response.get("Content-Security-Policy", "")
    assert csp, path
    script = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookie_settings():
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.PASSWORD_HASHERS[-2].endswith("Argon2PasswordHasher") or any(
        "Argon2" in h for h in settings.PASSWORD_HASHERS)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {**os.environ,
           "DEBUG": "false", "KOKEMUS_TESTING": "false",
           "SECRET_KEY": "x9!" + os.urandom(48).hex(),
           "SITE_URL": "https://palaute.example.fi",
           "ALLOWED_HOSTS": "palaute.example.fi",
           "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_SECONDS": "31536000",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
           "KOKEMUS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kokemus.settings"}
    env.pop("DATABASE_URL", None)
    # The browser tests' conftest sets this for Playwright; production never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([sys.executable, "-m", "django", "check", "--deploy",
                             "--fail-level", "WARNING"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_errors_become_503_with_retry_after():
    def broken(request):
        raise OperationalError("server closed the connection unexpectedly")

    mw = DatabaseUnavailableMiddleware(broken)
    for path in ["/r/abc/", "/api/v1/responses"]:
        response = mw(RequestFactory().post(path))
        assert response.status_code == 503 and response["Retry-After"] == "5"
    assert mw.process_exception(RequestFactory().get("/"), ValueError()) is None


def test_totp_window_is_time_based(admin):
    device = TOTPDevice.objects.create(user=admin, key=twofactor.new_key(), confirmed=True)
    stale = f"{totp(bytes.fromhex(device.key), t0=0, drift=-5):06d}"
    assert not twofactor.verify_code(device, stale)
    assert time.time() > 0


@override_settings(MIDDLEWARE=MIDDLEWARE_2FA)
def test_verify_step_is_throttled_against_guessing(client, admin, org):
    """Five wrong codes lock the verify step for this user (a six-digit code would
    otherwise fall to guessing after a stolen password); the right code is then refused too."""
    device = TOTPDevice.objects.create(user=admin, key=os.urandom(20).hex(), confirmed=True)
    client.force_login(admin)
    for _ in range(twofactor.MAX_FAILURES):
        assert client.post("/account/two-factor/verify/", {"code": "000000"}).status_code == 400
    locked = client.post("/account/two-factor/verify/", {"code": code(device)})
    assert locked.status_code == 429
    assert not client.session.get(twofactor.SESSION_KEY)
