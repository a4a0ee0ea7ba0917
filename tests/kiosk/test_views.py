"""Kiosk admin pages, the public kiosk page and its service worker."""

import re

import pytest
from django.test import Client

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog
from kokemus.kiosk.models import KioskDevice
from kokemus.surveys.actions import do_create_collection_point
from kokemus.surveys.models import CollectionChannel
from tests.kiosk.helpers import register, smiley_point
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db


def test_list_shows_never_and_requires_manager(tree, manager_client, staff_client,
                                               outsider_client):
    device, _token = register(tree)
    resp = manager_client.get("/o/testi/kiosks/")
    assert resp.status_code == 200
    assert device.name in resp.content.decode()
    assert b'id="kiosk-table"' in resp.content
    assert staff_client.get("/o/testi/kiosks/").status_code == 403
    assert outsider_client.get("/o/testi/kiosks/").status_code == 404


def test_nav_item_for_managers(tree, manager_client, staff_client):
    assert b'href="/o/testi/kiosks/"' in manager_client.get("/o/testi/").content
    assert b'href="/o/testi/kiosks/"' not in staff_client.get("/o/testi/").content


def test_register_with_existing_point_shows_token_once(tree, admin_client):
    cp = smiley_point(tree)
    resp = admin_client.post("/o/testi/kiosks/new/", {"name": "Ovi", "unit": tree.kamppi.pk,
                                                      "collection_point": cp.pk})
    assert resp.status_code == 200
    html = resp.content.decode()
    url = re.search(r'id="kiosk-url">([^<]+)<', html).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    device = KioskDevice.objects.get()
    assert device.collection_point == cp and device.unit == tree.kamppi
    assert KioskDevice.objects.by_token(token) == device
    assert "data:image/svg+xml" in html
    assert AuditLog.objects.filter(action="kiosk.register").count() == 1
    # The list never shows the token again.
    assert token not in admin_client.get("/o/testi/kiosks/").content.decode()
    assert Client().get(f"/kiosk/{token}/").status_code == 200


def test_register_with_survey_creates_kiosk_point(tree, admin_client):
    survey = make_survey(tree.org, template="smiley")
    resp = admin_client.post("/o/testi/kiosks/new/", {"name": "Ovi", "unit": tree.kallio.pk,
                                                      "survey": survey.pk})
    assert resp.status_code == 200
    device = KioskDevice.objects.get()
    assert device.collection_point.channel == CollectionChannel.KIOSK
    assert device.collection_point.unit == tree.kallio


def test_register_rejects_point_of_other_unit(tree, admin_client):
    cp = smiley_point(tree)  # Kamppi
    resp = admin_client.post("/o/testi/kiosks/new/", {"name": "Ovi", "unit": tree.oulu.pk,
                                                      "collection_point": cp.pk})
    assert resp.status_code == 400
    assert not KioskDevice.objects.exists()


def test_register_needs_point_or_survey(tree, admin_client):
    resp = admin_client.post("/o/testi/kiosks/new/", {"name": "Ovi", "unit": tree.oulu.pk})
    assert resp.status_code == 400


def test_manager_cannot_use_units_outside_scope(tree, manager_client):
    survey = make_survey(tree.org, template="smiley")
    resp = manager_client.post("/o/testi/kiosks/new/", {"name": "X", "unit": tree.oulu.pk,
                                                        "survey": survey.pk})
    assert resp.status_code == 400
    assert not KioskDevice.objects.exists()


def test_revoke(tree, admin_client, outsider_client):
    device, token = register(tree)
    assert outsider_client.post(f"/o/testi/kiosks/{device.pk}/revoke/").status_code == 404
    resp = admin_client.post(f"/o/testi/kiosks/{device.pk}/revoke/")
    assert resp.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert AuditLog.objects.filter(action="kiosk.revoke").count() == 1
    resp = Client().get(f"/kiosk/{token}/")
    assert resp.status_code == 404
    assert b"data-removed" in resp.content


def test_kiosk_page_has_no_inline_script_or_style(tree):
    _device, token = register(tree)
    resp = Client().get(f"/kiosk/{token}/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "style=" not in html and "<style" not in html
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert html.count("data-block=") == 3  # fi, sv, en
    assert 'data-value="4"' in html
    assert "Content-Security-Policy" in resp.headers


def test_kiosk_page_renders_other_question_types(tree):
    survey = make_survey(tree.org, template="nps_why_consent")
    cp = do_create_collection_point(SYSTEM, survey, unit=tree.kamppi)
    _device, token = register(tree, cp=cp)
    html = Client().get(f"/kiosk/{token}/").content.decode()
    assert 'name="fi-nps"' in html and 'name="en-improve"' in html
    assert "data-show-if" in html and "kiosk__send" in html


def test_service_worker(tree):
    _device, token = register(tree)
    resp = Client().get(f"/kiosk/{token}/sw.js")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/javascript")
    assert resp["Service-Worker-Allowed"] == f"/kiosk/{token}/"
    body = resp.content.decode()
    assert "__ASSETS__" not in body and "/static/kokemus/kiosk.js" in body
