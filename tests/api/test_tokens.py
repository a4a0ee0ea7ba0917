"""Tokens: stored hashed, scoped, revocable, last_used_at; the management pages."""

import hashlib

import pytest
from django.urls import reverse

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog
from kokemus.api.actions import do_create_token, do_revoke_token
from kokemus.api.models import ApiToken
from tests.api.conftest import ApiClient, assert_json_error

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed(org):
    token, raw = do_create_token(SYSTEM, org, name="X", scope="read")
    assert raw.startswith("kok_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {getattr(stored, f.attname) for f in ApiToken._meta.fields}
    assert stored.prefix == raw[:12]


def test_no_or_bad_token_is_401_json(org):
    assert_json_error(ApiClient(None).get("/api/v1/units"), 401, "unauthorized")
    r = assert_json_error(ApiClient("kok_wrong").get("/api/v1/units"), 401)
    assert r["message"]
    resp = ApiClient("kok_wrong").get("/api/v1/units")
    assert resp["WWW-Authenticate"].startswith("Bearer")


def test_read_scope_reads_but_cannot_write(read_api, point):
    assert read_api.get("/api/v1/units").status_code == 200
    r = read_api.post("/api/v1/responses", {"collection_point": point.pk, "language": "fi",
                                           "answers": {"nps": 9}})
    assert_json_error(r, 403, "forbidden")


def test_write_implies_read(api, point):
    assert api.get("/api/v1/units").status_code == 200
    assert api.get("/api/v1/collection-points").status_code == 200


def test_revoked_token_is_refused(org, write_token):
    token, raw = write_token
    client = ApiClient(raw)
    assert client.get("/api/v1/units").status_code == 200
    do_revoke_token(SYSTEM, token)
    assert_json_error(client.get("/api/v1/units"), 401)


def test_last_used_at_is_recorded(write_token, api):
    token, _raw = write_token
    assert token.last_used_at is None
    api.get("/api/v1/units")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_sees_only_its_organisation(api, outsider):
    from kokemus.accounts.models import Unit  # noqa: PLC0415
    foreign = Unit.objects.filter(organisation__slug="toinen").first()
    ids = {u["id"] for u in api.get("/api/v1/units").json()}
    assert foreign.pk not in ids
    assert_json_error(api.get(f"/api/v1/units/{foreign.pk}"), 404, "not_found")
    assert_json_error(api.get("/api/v1/responses", {"unit": foreign.pk}), 404)
    assert_json_error(api.get("/api/v1/metrics", {"unit": foreign.pk, "metric": "nps"}), 404)


# --- Pages --------------------------------------------------------------------------------

def test_admin_creates_token_shown_once_and_revokes(admin_client, org):
    url = reverse("api_token_list", args=[org.slug])
    assert admin_client.get(url).status_code == 200
    r = admin_client.post(url, {"name": "Kassajärjestelmä", "scope": "write"})
    assert r.status_code == 200
    token = ApiToken.objects.get(organisation=org)
    html = r.content.decode()
    raw = html.split('id="shown-value" type="text" readonly value="')[1].split('"')[0]
    assert hashlib.sha256(raw.encode()).hexdigest() == token.token_hash
    assert r["Cache-Control"] == "no-store"
    assert raw not in admin_client.get(url).content.decode()  # never shown again
    assert AuditLog.objects.filter(action="api_token.create", object_id=str(token.pk)).exists()
    r = admin_client.post(reverse("api_token_revoke", args=[org.slug, token.pk]))
    assert r.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditLog.objects.filter(action="api_token.revoke").exists()


def test_token_form_errors(admin_client, org):
    r = admin_client.post(reverse("api_token_list", args=[org.slug]), {"name": "", "scope": "x"})
    assert r.status_code == 400
    assert not ApiToken.objects.exists()


def test_pages_are_admin_only(manager_client, outsider_client, org, write_token):
    url = reverse("api_token_list", args=[org.slug])
    assert manager_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    token = write_token[0]
    assert outsider_client.post(
        reverse("api_token_revoke", args=[org.slug, token.pk])).status_code == 404


def test_outsider_cannot_revoke_other_org_token(outsider_client, outsider, write_token):
    token = write_token[0]
    r = outsider_client.post(reverse("api_token_revoke", args=["toinen", token.pk]))
    assert r.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_nav_item_for_admins(admin_client, org):
    from kokemus.web.nav import _ITEMS
    item = next(i for i in _ITEMS if i.url_name == "api_token_list")
    assert (item.min_role, item.order) == ("admin", 90)
