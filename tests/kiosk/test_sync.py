"""POST /kiosk/<token>/sync: idempotency, per-item errors, limits, revoked tokens."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.kiosk.actions import do_revoke_kiosk
from kokemus.kiosk.models import KioskDevice
from kokemus.responses.models import Response
from kokemus.surveys.actions import do_close_survey
from tests.kiosk.helpers import item, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def kiosk(tree):
    return register(tree)


def post(token, body, raw=False):
    data = body if raw else json.dumps(body)
    return Client().post(f"/kiosk/{token}/sync", data=data, content_type="application/json")


def test_items_are_stored_once_with_kiosk_channel(kiosk):
    device, token = kiosk
    items = [item(v) for v in (1, 2, 3, 4)]
    resp = post(token, {"responses": items})
    assert resp.status_code == 200
    body = resp.json()
    assert [r["status"] for r in body["results"]] == ["created"] * 4
    assert [r["key"] for r in body["results"]] == [i["idempotency_key"] for i in items]
    stored = Response.objects.filter(collection_point=device.collection_point)
    assert stored.count() == 4
    assert set(stored.values_list("channel", flat=True)) == {"kiosk"}
    assert sorted(r.answers.get().value for r in stored) == [1, 2, 3, 4]
    # A retry of the whole batch (the reply was lost) stores nothing new.
    again = post(token, {"responses": items}).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 4
    assert stored.count() == 4
    device.refresh_from_db()
    assert device.synced_count == 4 and device.last_sync_at is not None


def test_submitted_at_is_kept(kiosk):
    device, token = kiosk
    when = timezone.now() - timedelta(minutes=3)
    one = item(submitted_at=when.isoformat())
    post(token, {"responses": [one]})
    assert Response.objects.get().submitted_at == when


def test_duplicate_inside_one_batch(kiosk):
    _device, token = kiosk
    one = item()
    body = post(token, {"responses": [one, dict(one)]}).json()
    assert [r["status"] for r in body["results"]] == ["created", "duplicate"]
    assert Response.objects.count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"answers": {"smiley": 9}}, "smiley"),
    ({"answers": {"nope": 1, "smiley": 2}}, "nope"),
    ({"answers": {}}, "smiley"),
    ({"answers": "4"}, "answers"),
    ({"answers": {"smiley": {"x": 1}}}, "answers"),
    ({"answers": {"smiley": [[1]]}}, "answers"),
    ({"language": "de"}, "language"),
    ({"language": None}, "language"),
    ({"submitted_at": "yesterday"}, "submitted_at"),
    ({"submitted_at": 12345}, "submitted_at"),
    ({"submitted_at": "2030-01-01T10:00:00"}, "submitted_at"),  # naive
    ({"idempotency_key": "x" * 101}, "idempotency_key"),
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"idempotency_key": 42}, "idempotency_key"),
    ({"idempotency_key": "has space"}, "idempotency_key"),
    ({"contact": ["a"]}, "contact"),
])
def test_invalid_items_get_per_item_errors(kiosk, change, field):
    _device, token = kiosk
    good = item()
    bad = item(**change)
    resp = post(token, {"responses": [bad, good]})
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert results[0]["status"] == "invalid"
    assert field in results[0]["errors"]
    assert results[1]["status"] == "created"
    assert Response.objects.count() == 1


def test_future_answer_time_is_rejected_but_small_skew_is_not(kiosk):
    _device, token = kiosk
    now = timezone.now()
    far = item(submitted_at=(now + timedelta(minutes=6)).isoformat())
    near = item(submitted_at=(now + timedelta(minutes=2)).isoformat())
    results = post(token, {"responses": [far, near]}).json()["results"]
    assert [r["status"] for r in results] == ["invalid", "created"]


def test_answer_time_before_registration_is_rejected(kiosk):
    device, token = kiosk
    old = item(submitted_at=(device.created_at - timedelta(days=2)).isoformat())
    assert post(token, {"responses": [old]}).json()["results"][0]["status"] == "invalid"


@pytest.mark.parametrize("entry", [None, 1, "x", [], True])
def test_non_object_items(kiosk, entry):
    _device, token = kiosk
    results = post(token, {"responses": [entry]}).json()["results"]
    assert results == [{"key": None, "status": "invalid", "errors": results[0]["errors"]}]


def test_long_key_is_echoed_truncated(kiosk):
    _device, token = kiosk
    result = post(token, {"responses": [item(idempotency_key="k" * 500)]}).json()["results"][0]
    assert result["status"] == "invalid" and len(result["key"]) == 100


def test_keys_are_namespaced_per_device(tree, kiosk):
    device, token = kiosk
    other, other_token = register(tree, cp=device.collection_point, name="Toinen")
    one = item()
    assert post(token, {"responses": [one]}).json()["results"][0]["status"] == "created"
    assert post(other_token, {"responses": [one]}).json()["results"][0]["status"] == "created"
    assert Response.objects.count() == 2
    assert Response.objects.filter(idempotency_key__startswith="kiosk:").count() == 2


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"", b"[1, 2]", b'{"responses": 3}',
                                  b'{"other": []}', b"null", b"[" * 5000 + b"]" * 5000])
def test_malformed_json_is_400(kiosk, body):
    _device, token = kiosk
    resp = post(token, body, raw=True)
    assert resp.status_code == 400
    assert resp["Content-Type"] == "application/json"
    assert resp.json()["message"]


def test_too_many_items_is_413(kiosk):
    _device, token = kiosk
    resp = post(token, {"responses": [item() for _ in range(201)]})
    assert resp.status_code == 413
    assert Response.objects.count() == 0


def test_batch_of_200_is_accepted(kiosk):
    _device, token = kiosk
    resp = post(token, {"responses": [item((i % 4) + 1) for i in range(200)]})
    assert resp.status_code == 200 and resp.json()["created"] == 200


def test_oversized_body_is_413(kiosk):
    _device, token = kiosk
    resp = post(token, {"responses": [item(answers={"smiley": 4, "pad": "x" * 300_000})]})
    assert resp.status_code == 413
    assert resp.json()["error"] == "too_large"


def test_revoked_and_unknown_tokens_are_404(kiosk):
    device, token = kiosk
    do_revoke_kiosk(SYSTEM, device)
    resp = post(token, {"responses": [item()]})
    assert resp.status_code == 404 and resp.json()["error"] == "removed"
    assert post("nope", {"responses": []}).status_code == 404
    assert Client().get(f"/kiosk/{token}/").status_code == 404
    assert Client().get(f"/kiosk/{token}/sw.js").status_code == 404
    assert Response.objects.count() == 0


def test_get_is_405(kiosk):
    _device, token = kiosk
    assert Client().get(f"/kiosk/{token}/sync").status_code == 405


def test_closed_survey_keeps_answers_on_device(kiosk):
    device, token = kiosk
    do_close_survey(SYSTEM, device.collection_point.survey)
    resp = post(token, {"responses": [item()]})
    assert resp.status_code == 410 and resp.json()["error"] == "closed"
    assert Client().get(f"/kiosk/{token}/").status_code == 410


def test_token_is_stored_hashed(kiosk):
    device, token = kiosk
    assert token not in device.token_hash
    assert KioskDevice.objects.by_token(token) == device
