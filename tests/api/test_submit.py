"""Submitting responses: single, batch of 1,000, idempotency, JSON errors, body limit."""

import json

import pytest

from kokemus.accounts.models import Unit
from kokemus.responses.models import Response
from tests.api.conftest import assert_json_error

pytestmark = pytest.mark.django_db


def test_submit_single_and_duplicate(api, point):
    body = {"collection_point": point.pk, "language": "fi", "answers": {"nps": 9},
            "idempotency_key": "pos-1"}
    r = api.post("/api/v1/responses", body)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "created"
    rid = r.json()["id"]
    stored = Response.objects.get(pk=rid)
    assert stored.channel == "api" and stored.unit_id == point.unit_id
    r = api.post("/api/v1/responses", body)
    assert r.status_code == 200
    assert r.json() == {"id": rid, "status": "duplicate"}
    assert Response.objects.count() == 1


def test_submit_with_unit_and_survey(api, tree, survey):
    r = api.post("/api/v1/responses", {"unit": tree.oulu.pk, "survey": survey.pk,
                                       "language": "sv", "answers": {"nps": 3},
                                       "submitted_at": "2025-03-01T10:00:00+02:00"})
    assert r.status_code == 201, r.content
    assert Response.objects.get().unit_id == tree.oulu.pk


def test_invalid_answers_are_422_json(api, point):
    r = api.post("/api/v1/responses", {"collection_point": point.pk, "language": "fi",
                                       "answers": {"nps": 11}})
    body = assert_json_error(r, 422, "validation_error")
    assert "nps" in body["details"]
    assert not Response.objects.exists()


def test_schema_errors_are_422_json(api, point):
    body = assert_json_error(api.post("/api/v1/responses", {"collection_point": point.pk}),
                             422, "validation_error")
    assert isinstance(body["details"], list)
    assert_json_error(api.post("/api/v1/responses", b"{not json"), 400, "bad_request")
    assert_json_error(api.post("/api/v1/responses", {"collection_point": 10**30,
                                                     "language": "fi", "answers": {}}), 422)


def test_naive_time_is_refused(api, point):
    r = api.post("/api/v1/responses", {"collection_point": point.pk, "language": "fi",
                                       "answers": {"nps": 5},
                                       "submitted_at": "2025-03-01T10:00:00"})
    assert "submitted_at" in assert_json_error(r, 422)["details"]


def test_other_organisations_ids_are_404(api, outsider, survey):
    foreign = Unit.objects.filter(organisation__slug="toinen").first()
    r = api.post("/api/v1/responses", {"unit": foreign.pk, "survey": survey.pk,
                                       "language": "fi", "answers": {"nps": 9}})
    assert_json_error(r, 404, "not_found")


def test_body_over_2_mb_is_413(api, point):
    big = json.dumps({"items": [{"answers": {"x": "a" * 1000}}] * 2200})
    assert len(big) > 2 * 1024 * 1024
    assert_json_error(api.post("/api/v1/responses/batch", big), 413, "payload_too_large")


def test_batch_of_1000_mixed(api, tree, point, survey):
    items, expected = [], []
    for i in range(1000):
        kind = i % 5
        if kind == 0:  # invalid answer
            items.append({"collection_point": point.pk, "language": "fi",
                          "answers": {"nps": 12}})
            expected.append("invalid")
        elif kind == 1:  # missing language (schema error)
            items.append({"collection_point": point.pk, "answers": {"nps": 5}})
            expected.append("invalid")
        elif kind == 2 and i % 10 == 2:  # unknown unit
            items.append({"unit": 999999, "survey": survey.pk, "language": "fi",
                          "answers": {"nps": 5}})
            expected.append("invalid")
        elif i % 10 == 8:  # repeats the idempotency key of item i - 4 (created)
            items.append({"unit": tree.kallio.pk, "survey": survey.pk, "language": "en",
                          "answers": {"nps": 2}, "idempotency_key": f"k{i - 4}"})
            expected.append("duplicate")
        else:
            items.append({"unit": tree.kallio.pk, "survey": survey.pk, "language": "en",
                          "answers": {"nps": i % 11, "csat": 1 + i % 5},
                          "idempotency_key": f"k{i}"})
            expected.append("created")
    r = api.post("/api/v1/responses/batch", {"items": items})
    assert r.status_code == 200, r.content[:500]
    body = r.json()
    statuses = [x["status"] for x in body["results"]]
    assert [x["index"] for x in body["results"]] == list(range(1000))
    assert statuses == expected
    n_created = expected.count("created")
    assert body["created"] == n_created and body["invalid"] == expected.count("invalid")
    assert Response.objects.count() == n_created
    created_ids = {x["id"] for x in body["results"] if x["status"] == "created"}
    assert created_ids == set(Response.objects.values_list("pk", flat=True))
    for x in body["results"]:
        if x["status"] == "invalid":
            assert x["id"] is None and x["errors"]
        if x["status"] == "duplicate":
            assert x["id"] == body["results"][x["index"] - 4]["id"]
    # The whole batch again: everything with a key is now a duplicate.
    r = api.post("/api/v1/responses/batch", {"items": items[:10]})
    assert r.status_code == 200
    assert Response.objects.count() == n_created + 0


def test_batch_over_1000_is_refused(api, point):
    items = [{"collection_point": point.pk, "language": "fi", "answers": {"nps": 1}}] * 1001
    assert_json_error(api.post("/api/v1/responses/batch", {"items": items}), 422)
    assert not Response.objects.exists()


def test_batch_item_that_is_not_an_object(api, point):
    r = api.post("/api/v1/responses/batch", {"items": [1]})
    assert_json_error(r, 422)


def test_visit_event(api, read_api, tree, outsider):
    body = {"unit": tree.kamppi.pk, "occurred_at": "2025-03-01T10:00:00+02:00",
            "email": "asiakas@example.com", "language": "fi", "external_id": "visit-1"}
    assert_json_error(read_api.post("/api/v1/visit-events", body), 403)
    r = api.post("/api/v1/visit-events", body)
    assert r.status_code == 201, r.content
    r2 = api.post("/api/v1/visit-events", body)
    assert r2.status_code == 200 and r2.json() == {"id": r.json()["id"], "status": "duplicate"}
    foreign = Unit.objects.filter(organisation__slug="toinen").first()
    assert_json_error(api.post("/api/v1/visit-events", {**body, "unit": foreign.pk}), 404)
    bad = {**body, "external_id": "", "email": "", "phone": ""}
    assert_json_error(api.post("/api/v1/visit-events", bad), 422)
