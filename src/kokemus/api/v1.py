"""/api/v1 endpoints. Every query is limited to the token's organisation; another
organisation's ids give 404."""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.security import HttpBearer

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Unit
from kokemus.analytics.models import rollup_model
from kokemus.api import ratelimit
from kokemus.api.actions import authenticate_token
from kokemus.api.errors import ApiError, django_validation_details
from kokemus.api.models import ApiToken, TokenScope
from kokemus.api.schemas import (
    BatchIn,
    BatchOut,
    Channel,
    CollectionPointOut,
    Error,
    Id,
    Key,
    Language,
    Metric,
    MetricOut,
    ResponseIn,
    ResponseOut,
    ResponsePage,
    SubmitOut,
    UnitOut,
    VisitEventIn,
    VisitEventOut,
)
from kokemus.api.serialize import response_dict
from kokemus.invitations.actions import do_record_visit_event
from kokemus.journeys.models import Touchpoint
from kokemus.metrics import scores
from kokemus.metrics.suppression import SuppressionPolicy
from kokemus.responses.actions import do_submit_batch, do_submit_response
from kokemus.responses.models import Answer, Response
from kokemus.surveys.models import CollectionPoint, Survey, SurveyVersion
from kokemus.web.clientip import client_ip

MAX_PAGE = 500
MAX_METRIC_DAYS = 3660
POLICY = SuppressionPolicy()


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str) -> ApiToken | None:
        api_token = authenticate_token(token)
        if api_token is not None:
            ratelimit.check_request(api_token.pk)
        return api_token


router = Router(auth=TokenAuth())
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


def _token(request) -> ApiToken:
    return request.auth


def _require_write(request) -> ApiToken:
    token = _token(request)
    if not token.allows(TokenScope.WRITE):
        raise ApiError(403, "forbidden", "This token is read-only; a write token is needed.")
    return token


def _not_found(what: str):
    return ApiError(404, "not_found", f"No such {what} in this organisation.")


# --- Submissions ----------------------------------------------------------------------

class _Lookup:
    """Per-request cache of the referenced objects, all limited to one organisation."""

    def __init__(self, org_id: int):
        self.org_id = org_id
        self.cache: dict[tuple[str, int], Any] = {}

    def _get(self, kind: str, pk: int | None, query):
        if pk is None:
            return None
        key = (kind, pk)
        if key not in self.cache:
            self.cache[key] = query.filter(pk=pk).first()
        obj = self.cache[key]
        if obj is None:
            raise _not_found(kind.replace("_", " "))
        return obj

    def collection_point(self, pk):
        return self._get("collection_point", pk, CollectionPoint.objects.select_related(
            "survey", "unit").filter(organisation_id=self.org_id))

    def unit(self, pk):
        return self._get("unit", pk, Unit.objects.filter(organisation_id=self.org_id))

    def touchpoint(self, pk):
        return self._get("touchpoint", pk,
                         Touchpoint.objects.filter(organisation_id=self.org_id))

    def survey(self, pk):
        return self._get("survey", pk, Survey.objects.filter(organisation_id=self.org_id))

    def survey_version(self, pk):
        return self._get("survey_version", pk, SurveyVersion.objects.select_related(
            "survey").filter(survey__organisation_id=self.org_id))


def _submission(lookup: _Lookup, data: ResponseIn, token: ApiToken) -> dict[str, Any]:
    """Resolve and check one API item into do_submit_response keyword arguments."""
    cp = lookup.collection_point(data.collection_point)
    unit = lookup.unit(data.unit)
    touchpoint = lookup.touchpoint(data.touchpoint)
    version = lookup.survey_version(data.survey_version)
    if version is None and data.survey is not None:
        survey = lookup.survey(data.survey)
        version = survey.current_version
        if version is None:
            raise DjangoValidationError({"survey": "This survey has no published version."})
    if cp is None and unit is None:
        raise DjangoValidationError({"unit": "Give a collection point or a unit."})
    if cp is None and version is None:
        raise DjangoValidationError({"survey": "Give a survey or a survey version."})
    if cp is not None and not cp.is_active:
        raise DjangoValidationError({"collection_point": "This collection point is inactive."})
    submitted_at = data.submitted_at
    if submitted_at is not None and timezone.is_naive(submitted_at):
        raise DjangoValidationError({"submitted_at": "Give the time with a time zone."})
    return {"collection_point": cp, "unit": unit, "touchpoint": touchpoint,
            "survey_version": version, "answers": data.answers, "language": data.language,
            "channel": data.channel, "submitted_at": submitted_at,
            "idempotency_key": data.idempotency_key, "consent_contact": data.consent_contact,
            "contact": data.contact, "respondent_token": data.respondent_token}


@router.post("/responses", response={200: SubmitOut, 201: SubmitOut, **ERRORS},
             summary="Submit one response", tags=["responses"])
def submit_response(request, payload: ResponseIn):
    """Store one response. 201 when created; 200 with status "duplicate" when the
    idempotency key was already used (nothing is changed)."""
    token = _require_write(request)
    ratelimit.take_batch_items(token.pk, 1)
    response, created = do_submit_response(**_submission(_Lookup(token.organisation_id), payload,
                                                         token))
    return Status(201 if created else 200,
                  {"id": response.pk, "status": "created" if created else "duplicate"})


def _pydantic_details(exc: pydantic.ValidationError) -> dict:
    out: dict[str, list[str]] = {}
    for e in exc.errors(include_url=False):
        field = ".".join(str(p) for p in e.get("loc", ())) or "__all__"
        out.setdefault(field, []).append(str(e.get("msg", "")))
    return out


@router.post("/responses/batch", response={200: BatchOut, **ERRORS},
             summary="Submit up to 1,000 responses", tags=["responses"])
def submit_batch(request, payload: BatchIn):
    """Each item is validated and stored on its own; the result lists, per item, its
    index, status (created, duplicate or invalid), id and errors."""
    token = _require_write(request)
    ratelimit.take_batch_items(token.pk, len(payload.items))
    lookup = _Lookup(token.organisation_id)
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "duplicate": 0, "invalid": 0}
    valid: list[tuple[dict, dict]] = []  # (result item, submit kwargs)
    for index, raw in enumerate(payload.items):
        item: dict[str, Any] = {"index": index, "id": None, "errors": None}
        results.append(item)
        try:
            valid.append((item, _submission(lookup, ResponseIn.model_validate(raw), token)))
        except pydantic.ValidationError as exc:
            item.update(status="invalid", errors=_pydantic_details(exc))
        except DjangoValidationError as exc:
            item.update(status="invalid", errors=django_validation_details(exc))
        except ApiError as exc:
            item.update(status="invalid", errors={"__all__": [exc.message]})
    # One transaction with bulk inserts; each item validated as a single submission is.
    for (item, _kwargs), result in zip(valid, do_submit_batch([k for _i, k in valid]),
                                       strict=True):
        if result.status == "invalid":
            item.update(status="invalid", errors=result.errors)
        else:
            item.update(status=result.status, id=result.response.pk)
    for item in results:
        counts[item["status"]] += 1
    return {"created": counts["created"], "duplicates": counts["duplicate"],
            "invalid": counts["invalid"], "results": results}


# --- Listing ----------------------------------------------------------------------------

def encode_cursor(submitted_at: datetime, pk: int) -> str:
    raw = json.dumps([submitted_at.astimezone(UTC).isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        moment = datetime.fromisoformat(stamp)
        if timezone.is_naive(moment) or not isinstance(pk, int) or not 0 < pk < 2**53:
            raise ValueError
        return moment, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise ApiError(422, "invalid_cursor", "The cursor is not valid.",
                       {"cursor": ["Use next_cursor from a previous page."]}) from None


def _aware(moment: datetime | None, field: str = "time") -> datetime | None:
    """A time filter in UTC. Python accepts offsets up to ±23:59 but PostgreSQL only
    ±15:59, and the calendar's edges overflow when shifted: normalise, or refuse (422)."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, "invalid_time", "The time is outside the supported range.",
                       {field: ["Give a time between years 1 and 9999."]}) from None


@router.get("/responses", response={200: ResponsePage, **ERRORS},
            summary="List responses (newest first)", tags=["responses"])
def list_responses(request, unit: Id | None = None, touchpoint: Id | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   channel: Channel | None = None, language: Language | None = None,
                   cursor: Key | None = None,
                   limit: int = Query(100, ge=1, le=MAX_PAGE)):
    """Responses ordered by (submitted_at, id) descending. ``unit`` includes the units
    below it. ``since`` is inclusive, ``until`` exclusive; times without a zone are UTC."""
    token = _token(request)
    org_id = token.organisation_id
    qs = Response.objects.filter(organisation_id=org_id)
    if unit is not None:
        u = Unit.objects.filter(organisation_id=org_id, pk=unit).first()
        if u is None:
            raise _not_found("unit")
        qs = qs.filter(unit__path__startswith=u.path)
    if touchpoint is not None:
        if not Touchpoint.objects.filter(organisation_id=org_id, pk=touchpoint).exists():
            raise _not_found("touchpoint")
        qs = qs.filter(touchpoint_id=touchpoint)
    since, until = _aware(since, "since"), _aware(until, "until")
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    if channel:
        qs = qs.filter(channel=channel)
    if language:
        qs = qs.filter(language=language)
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(Q(submitted_at__lt=moment) | Q(submitted_at=moment, pk__lt=pk))
    rows = list(qs.order_by("-submitted_at", "-id")
                .select_related("survey_version")
                .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("id")))
                [:limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].submitted_at, rows[-1].pk) if has_more else None
    return {"items": [response_dict(r) for r in rows], "next_cursor": next_cursor}


@router.get("/responses/{response_id}", response={200: ResponseOut, **ERRORS},
            summary="Read one response", tags=["responses"])
def get_response(request, response_id: Id):
    r = (Response.objects.select_related("survey_version")
         .filter(organisation_id=_token(request).organisation_id, pk=response_id).first())
    if r is None:
        raise _not_found("response")
    return response_dict(r)


# --- Units and collection points ----------------------------------------------------------

def _unit_dict(u: Unit) -> dict:
    return {"id": u.pk, "name": u.name, "parent": u.parent_id, "kind": u.kind,
            "sector": u.sector, "depth": u.depth, "time_zone": u.time_zone,
            "language": u.language, "archived": u.archived_at is not None}


@router.get("/units", response={200: list[UnitOut], **ERRORS}, summary="List units",
            tags=["units"])
def list_units(request):
    """Every unit of the organisation, tree order (parents before children)."""
    return [_unit_dict(u) for u in
            Unit.objects.filter(organisation_id=_token(request).organisation_id)]


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, summary="Read a unit",
            tags=["units"])
def get_unit(request, unit_id: Id):
    u = Unit.objects.filter(organisation_id=_token(request).organisation_id,
                            pk=unit_id).first()
    if u is None:
        raise _not_found("unit")
    return _unit_dict(u)


def _cp_dict(cp: CollectionPoint) -> dict:
    version = cp.survey.current_version
    return {"id": cp.pk, "code": cp.code, "url": cp.get_absolute_url(), "unit": cp.unit_id,
            "touchpoint": cp.touchpoint_id, "survey": cp.survey_id,
            "survey_version": version.pk if version else None, "channel": cp.channel,
            "is_active": cp.is_active}


@router.get("/collection-points", response={200: list[CollectionPointOut], **ERRORS},
            summary="List collection points", tags=["units"])
def list_collection_points(request, unit: Id | None = None):
    """Collection points (QR, link, kiosk); ``unit`` limits to one unit (not its subtree)."""
    qs = CollectionPoint.objects.filter(
        organisation_id=_token(request).organisation_id).select_related("survey")
    if unit is not None:
        qs = qs.filter(unit_id=unit)
    return [_cp_dict(cp) for cp in qs]


@router.get("/collection-points/{point_id}", response={200: CollectionPointOut, **ERRORS},
            summary="Read a collection point", tags=["units"])
def get_collection_point(request, point_id: Id):
    cp = CollectionPoint.objects.select_related("survey").filter(
        organisation_id=_token(request).organisation_id, pk=point_id).first()
    if cp is None:
        raise _not_found("collection point")
    return _cp_dict(cp)


# --- Metrics ----------------------------------------------------------------------------

SCALES = {"nps": "nps_points", "csat": "share_top2", "fft": "percent_positive",
          "smiley": "index_0_100", "expectations": "share_exceeded"}
VALUE_RANGE = {"nps": (0, 10), "csat": (1, 5), "fft": (1, 6), "smiley": (1, 4),
               "expectations": (1, 5)}


def value_counts(org_id: int, metric: str, units, touchpoint: int | None,
                 start: date, end: date) -> np.ndarray:
    """Answer counts per scale value (lowest first) from the DailyCount rollups."""
    lo, hi = VALUE_RANGE[metric]
    qs = rollup_model(touchpoint=touchpoint is not None).objects.filter(
        organisation_id=org_id, question_type=metric,
                                   day__gte=start, day__lte=end, value__gte=lo, value__lte=hi)
    if units is not None:
        qs = qs.filter(unit__in=units)
    if touchpoint is not None:
        qs = qs.filter(touchpoint_id=touchpoint)
    counts = np.zeros(hi - lo + 1)
    for row in qs.values("value").annotate(total=Sum("count")):
        counts[row["value"] - lo] += max(row["total"] or 0, 0)
    return counts


def estimate(metric: str, c: np.ndarray) -> scores.Estimate:
    if metric == "nps":
        return scores.nps(c[9:].sum(), c[7:9].sum(), c[:7].sum())
    if metric == "csat":
        return scores.top_box(c, boxes=2)
    if metric == "fft":
        return scores.fft_positive(*c)
    if metric == "smiley":
        return scores.smiley_index(c).index
    return scores.expectations_exceeded(c)


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


@router.get("/metrics", response={200: MetricOut, **ERRORS}, by_alias=True,
            summary="Read a score", tags=["metrics"])
def get_metric(request, metric: Metric, unit: Id | None = None,
               touchpoint: Id | None = None,
               date_from: date | None = Query(None, alias="from"),  # noqa: B008
               date_to: date | None = Query(None, alias="to")):  # noqa: B008
    """A score for a unit (with the units below it) or the whole organisation, optionally
    one touchpoint, over local days ``from``…``to`` inclusive (default: the last 30 days).
    Read from the daily rollups. With fewer answers than the suppression threshold the
    value, interval and n are null and ``suppressed`` is true.

    Scales: nps −100…100; csat share of the two best answers (0–1); fft percentage
    positive (0–100, "don't know" counted in the base); smiley index 0–100;
    expectations share of better-than-expected answers (0–1)."""
    token = _token(request)
    org = token.organisation
    units = None
    if unit is not None:
        u = Unit.objects.filter(organisation_id=org.pk, pk=unit).first()
        if u is None:
            raise _not_found("unit")
        units = Unit.objects.filter(organisation_id=org.pk, path__startswith=u.path)
    if touchpoint is not None and not Touchpoint.objects.filter(
            organisation_id=org.pk, pk=touchpoint).exists():
        raise _not_found("touchpoint")
    try:
        today = timezone.now().astimezone(ZoneInfo(org.time_zone)).date()
    except (ValueError, KeyError):
        today = timezone.localdate()
    end = date_to or today
    try:
        start = date_from or (end - timedelta(days=29))
    except OverflowError:
        start = date.min
    if start > end:
        raise ApiError(422, "validation_error", "'from' must not be after 'to'.",
                       {"from": ["Must not be after 'to'."]})
    if (end - start).days > MAX_METRIC_DAYS:
        raise ApiError(422, "validation_error", "The period is too long (at most 10 years).",
                       {"from": ["At most 3660 days."]})
    counts = value_counts(org.pk, metric, units, touchpoint, start, end)
    n = int(counts.sum())
    base = {"metric": metric, "unit": unit, "touchpoint": touchpoint, "from": start,
            "to": end, "scale": SCALES[metric]}
    if POLICY.is_suppressed(n):
        return {**base, "value": None, "low": None, "high": None, "n": None,
                "suppressed": True, "suppression_reason": POLICY.reason("unit")}
    est = estimate(metric, counts)
    return {**base, "value": _num(est.value), "low": _num(est.low), "high": _num(est.high),
            "n": n, "suppressed": False, "suppression_reason": None}



# --- Visit events -----------------------------------------------------------------------

@router.post("/visit-events", response={200: VisitEventOut, 201: VisitEventOut, **ERRORS},
             summary="Record a visit (sends a survey invitation later)", tags=["invitations"])
def record_visit_event(request, payload: VisitEventIn):
    """Calls the invitations app: the invitation is sent after the organisation's delay,
    outside quiet hours, unless the contact has opted out. 201 when created; 200 with
    status "duplicate" when ``external_id`` was already used."""
    token = _require_write(request)
    lookup = _Lookup(token.organisation_id)
    unit = lookup.unit(payload.unit)
    touchpoint = lookup.touchpoint(payload.touchpoint)
    if timezone.is_naive(payload.occurred_at):
        raise DjangoValidationError({"occurred_at": "Give the time with a time zone."})
    visit, created = do_record_visit_event(
        Actor(ip=client_ip(request) or None), token.organisation, unit=unit,
        touchpoint=touchpoint, occurred_at=payload.occurred_at, email=payload.email,
        phone=payload.phone, language=payload.language, external_id=payload.external_id)
    return Status(201 if created else 200,
                  {"id": visit.pk, "status": "created" if created else "duplicate"})
