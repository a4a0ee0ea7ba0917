"""Listing with cursor pagination, filters, metrics from the rollups, rate limits."""

from datetime import timedelta

import numpy as np
import pytest
from django.test import override_settings
from django.utils import timezone

from kokemus.analytics import rollups
from kokemus.metrics import scores
from kokemus.metrics.suppression import SuppressionPolicy
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Answer, Response
from tests.api.conftest import assert_json_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(tree, survey, touchpoint):
    version = survey.current_version
    base = timezone.now() - timedelta(days=3)
    out = []
    for i in range(57):
        unit = tree.kamppi if i % 3 else tree.oulu
        # Several responses share a timestamp, so the cursor must break ties by id.
        out.append(do_submit_response(
            unit=unit, touchpoint=touchpoint if i % 2 else None, survey_version=version,
            answers={"nps": i % 11, "csat": 1 + i % 5, "fft": 1 + i % 6, "smiley": 1 + i % 4,
                     "expectations": 1 + i % 5},
            language="fi" if i % 4 else "sv", channel="link" if i % 5 else "kiosk",
            submitted_at=base + timedelta(minutes=i // 4))[0])
    return out


def test_cursor_pagination_returns_each_response_once(api, many):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        r = api.get("/api/v1/responses", params)
        assert r.status_code == 200, r.content
        body = r.json()
        seen += [x["id"] for x in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 57
    assert set(seen) == {r.pk for r in many}
    assert pages == 9
    # newest first
    times = [Response.objects.get(pk=i).submitted_at for i in seen]
    assert times == sorted(times, reverse=True)


def test_filters(api, many, tree, touchpoint):
    def ids(**params):
        return {x["id"] for x in api.get("/api/v1/responses",
                                         {"limit": 500, **params}).json()["items"]}
    assert ids(unit=tree.south.pk) == {r.pk for r in many if r.unit_id == tree.kamppi.pk}
    assert ids(touchpoint=touchpoint.pk) == {r.pk for r in many if r.touchpoint_id}
    assert ids(channel="kiosk") == {r.pk for r in many if r.channel == "kiosk"}
    assert ids(language="sv") == {r.pk for r in many if r.language == "sv"}
    middle = sorted(r.submitted_at for r in many)[20]
    assert ids(since=middle.isoformat()) == {r.pk for r in many if r.submitted_at >= middle}
    assert ids(until=middle.isoformat()) == {r.pk for r in many if r.submitted_at < middle}
    item = api.get("/api/v1/responses", {"limit": 1}).json()["items"][0]
    assert "contact" not in item and set(item["answers"]) >= {"nps", "csat"}


def test_bad_cursor_and_limit(api, many):
    assert_json_error(api.get("/api/v1/responses", {"cursor": "bm9wZQ"}), 422, "invalid_cursor")
    assert_json_error(api.get("/api/v1/responses", {"limit": 501}), 422)
    assert_json_error(api.get("/api/v1/responses", {"limit": 0}), 422)


def _counts(qtype, lo, hi, **filters):
    c = np.zeros(hi - lo + 1)
    for a in Answer.objects.filter(question_type=qtype, **filters):
        c[a.value - lo] += 1
    return c


@pytest.mark.parametrize("metric", ["nps", "csat", "fft", "smiley", "expectations"])
def test_metrics_match_kokemus_metrics(api, many, org, metric):
    rollups.rebuild(org.pk)
    r = api.get("/api/v1/metrics", {"metric": metric})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) >= {"value", "low", "high", "n", "suppressed", "from", "to"}
    lo, hi = {"nps": (0, 10), "csat": (1, 5), "fft": (1, 6), "smiley": (1, 4),
              "expectations": (1, 5)}[metric]
    c = _counts(metric, lo, hi)
    expected = {
        "nps": lambda: scores.nps(c[9:].sum(), c[7:9].sum(), c[:7].sum()),
        "csat": lambda: scores.top_box(c, boxes=2),
        "fft": lambda: scores.fft_positive(*c),
        "smiley": lambda: scores.smiley_index(c).index,
        "expectations": lambda: scores.expectations_exceeded(c),
    }[metric]()
    assert body["suppressed"] is False
    assert body["n"] == 57
    assert body["value"] == pytest.approx(float(expected.value))
    assert body["low"] == pytest.approx(float(expected.low))
    assert body["high"] == pytest.approx(float(expected.high))


def test_metrics_per_unit_touchpoint_and_suppression(api, many, org, tree, touchpoint):
    rollups.rebuild(org.pk)
    body = api.get("/api/v1/metrics", {"metric": "nps", "unit": tree.south.pk,
                                       "touchpoint": touchpoint.pk}).json()
    c = _counts("nps", 0, 10, response__unit=tree.kamppi, response__touchpoint=touchpoint)
    assert body["n"] == int(c.sum())
    assert body["value"] == pytest.approx(float(scores.nps(c[9:].sum(), c[7:9].sum(),
                                                           c[:7].sum()).value))
    # A period with fewer answers than the threshold is suppressed: no value, no n.
    day = min(r.submitted_at for r in many).astimezone(timezone.get_current_timezone()).date()
    body = api.get("/api/v1/metrics", {"metric": "csat", "unit": tree.oulu.pk,
                                       "from": (day - timedelta(days=9)).isoformat(),
                                       "to": (day - timedelta(days=1)).isoformat()}).json()
    assert body["suppressed"] is True
    assert body["value"] is None and body["n"] is None
    assert SuppressionPolicy().min_unit_n == 5
    assert_json_error(api.get("/api/v1/metrics", {"metric": "nps", "from": "2025-02-01",
                                                  "to": "2025-01-01"}), 422)
    assert_json_error(api.get("/api/v1/metrics", {"metric": "bogus"}), 422)


@override_settings(KOKEMUS_API_REQUESTS_PER_MINUTE=3)
def test_request_rate_limit(api):
    for _ in range(3):
        assert api.get("/api/v1/units").status_code == 200
    r = api.get("/api/v1/units")
    assert_json_error(r, 429, "rate_limited")
    assert 1 <= int(r["Retry-After"]) <= 60


@override_settings(KOKEMUS_API_BATCH_ITEMS_PER_SECOND=0.5, KOKEMUS_API_BATCH_BURST=5)
def test_batch_item_rate_limit(api, point):
    # A slow refill (0.5 items/s) keeps the test independent of how long the first
    # batch takes on a busy machine.
    items = [{"collection_point": point.pk, "language": "fi", "answers": {"nps": 1}}] * 5
    assert api.post("/api/v1/responses/batch", {"items": items}).status_code == 200
    r = api.post("/api/v1/responses/batch", {"items": items})
    assert_json_error(r, 429, "rate_limited")
    assert int(r["Retry-After"]) >= 1


def test_units_and_collection_points(api, tree, point):
    units = api.get("/api/v1/units").json()
    assert {u["id"] for u in units} == {tree.root.pk, tree.south.pk, tree.north.pk,
                                        tree.kamppi.pk, tree.kallio.pk, tree.oulu.pk}
    cps = api.get("/api/v1/collection-points", {"unit": tree.kamppi.pk}).json()
    assert [c["code"] for c in cps] == [point.code]
    assert api.get(f"/api/v1/collection-points/{point.pk}").json()["survey_version"]
    assert_json_error(api.get("/api/v1/collection-points/999999"), 404)


def test_unknown_paths_and_methods_are_json(api):
    assert_json_error(api.get("/api/v2/nothing"), 404, "not_found")
    assert_json_error(api.client.delete("/api/v1/units", headers=api.headers), 405)
    assert api.get("/api/openapi.json").status_code == 200
    docs = api.get("/api/docs")
    assert docs.status_code == 200 and "swagger-init.js" in docs.content.decode()


def test_time_filters_with_extreme_offsets_are_not_server_errors(api, point):
    """Regression (found by schemathesis on PostgreSQL): offsets beyond ±15:59 or dates at
    the edge of the calendar must be normalised or refused with 422, never a 500."""
    for since in ("0866-10-13T12:36:03+20:58", "2026-01-01T00:00:00-23:59",
                  "0001-01-01T00:00:00+23:00", "9999-12-31T23:59:59-23:00"):
        r = api.get("/api/v1/responses", {"since": since})
        assert r.status_code in (200, 422), (since, r.status_code, r.content[:200])
        r = api.get("/api/v1/responses", {"until": since})
        assert r.status_code in (200, 422), (since, r.status_code, r.content[:200])
