"""The one ingestion path: every response (web form, kiosk, invitation, API, import) is
stored by :func:`do_submit_response`.

Responses are not written to the audit log (volume); they are append-only data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Unit
from kokemus.analytics.rollups import bump_for_response
from kokemus.comments.ingest import after_answers_stored, prepare_free_text
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.journeys.models import Touchpoint
from kokemus.responses.models import Answer, Response, ResponseChannel
from kokemus.responses.signals import response_submitted
from kokemus.surveys.models import CollectionPoint, SurveyVersion
from kokemus.surveys.questions import clean_answers

IDEMPOTENCY_MAX = 100
# Kiosks send their own clock; allow some skew but no responses from the future.
CLOCK_SKEW = timedelta(minutes=10)


def _resolve(collection_point, unit, touchpoint, survey_version):
    if collection_point is not None:
        cp = collection_point
        if survey_version is None:
            survey_version = cp.survey.current_version
        elif survey_version.survey_id != cp.survey_id:
            raise ValidationError({"survey_version": _("The survey version does not belong to "
                                                       "this collection point.")})
        unit = unit or cp.unit
        touchpoint = touchpoint or cp.touchpoint
        if unit.pk != cp.unit_id:
            raise ValidationError({"unit": _("The unit does not match the collection point.")})
    if unit is None or survey_version is None:
        raise ValidationError({"survey_version": _("A response needs a unit and a survey.")})
    if not survey_version.is_published:
        raise ValidationError({"survey_version": _("This survey version is not published.")})
    org_id = unit.organisation_id
    if survey_version.survey.organisation_id != org_id or \
            (touchpoint is not None and touchpoint.organisation_id != org_id):
        raise ValidationError({"unit": _("The unit, touchpoint and survey must belong to the "
                                         "same organisation.")})
    return unit, touchpoint, survey_version


def do_submit_response(*, collection_point: CollectionPoint | None = None,
                       unit: Unit | None = None, touchpoint: Touchpoint | None = None,
                       survey_version: SurveyVersion | None = None,
                       answers: dict[str, object], language: str, channel: str,
                       submitted_at: datetime | None = None,
                       idempotency_key: str | None = None, consent_contact: bool = False,
                       contact: str = "", respondent_token: str = "",
                       actor: Actor = SYSTEM) -> tuple[Response, bool]:
    """Validate and store one response. Returns ``(response, created)``.

    A repeated ``idempotency_key`` (per organisation) returns the stored response and False
    without changing anything, also when two retries race each other.
    Raises ValidationError keyed by question key (or field name) on bad input.
    """
    unit, touchpoint, version = _resolve(collection_point, unit, touchpoint, survey_version)
    org_id = unit.organisation_id
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose Finnish, Swedish or English.")})
    if channel not in ResponseChannel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    key = (idempotency_key or "").strip()
    if len(key) > IDEMPOTENCY_MAX:
        raise ValidationError({"idempotency_key": _("The idempotency key is too long.")})
    now = timezone.now()
    if submitted_at is None:
        submitted_at = now
    elif timezone.is_naive(submitted_at):
        raise ValidationError({"submitted_at": _("The answer time needs a time zone.")})
    elif submitted_at > now + CLOCK_SKEW:
        raise ValidationError({"submitted_at": _("The answer time is in the future.")})

    with transaction.atomic():
        if key:
            existing = (Response.objects.filter(organisation_id=org_id, idempotency_key=key)
                        .order_by().first())
            if existing is not None:
                return existing, False
        cleaned = clean_answers(version.questions, answers, consent_contact=consent_contact,
                                contact=contact)
        consent_q = cleaned["consent_question"]
        consent_wording = {}
        if consent_q is not None and cleaned["consent"]:
            consent_wording = {"question": consent_q["key"], "language": language,
                               "text": pick(consent_q["text"], language),
                               "survey_version": version.pk}
        try:
            with transaction.atomic():  # savepoint: a racing duplicate key rolls back here
                response = Response.objects.create(
                    organisation_id=org_id, unit=unit, touchpoint=touchpoint,
                    survey_version=version, collection_point=collection_point,
                    channel=channel, language=language, submitted_at=submitted_at,
                    received_at=now, idempotency_key=key,
                    consent_contact=cleaned["consent"], contact=cleaned["contact"],
                    consent_wording=consent_wording,
                    respondent_token=(respondent_token or "")[:100])
                rows = _answer_rows(response, version, cleaned["values"])
                # Personal data leaves free text before it is stored (unless the
                # organisation keeps raw comments); named staff are noted first.
                mentions = prepare_free_text(org_id, rows)
                Answer.objects.bulk_create(rows)
                after_answers_stored(response, rows, mentions)
                # Rollups are bumped in the same transaction: counts never drift.
                bump_for_response(response, rows, unit.time_zone)
        except IntegrityError:
            if not key:
                raise
            existing = (Response.objects.filter(organisation_id=org_id, idempotency_key=key)
                        .order_by().first())
            if existing is None:
                raise
            return existing, False
        transaction.on_commit(
            lambda: response_submitted.send(sender=Response, response=response))
    return response, True


def _answer_rows(response: Response, version: SurveyVersion, values: dict) -> list[Answer]:
    rows = []
    for q in version.questions:
        if q["key"] not in values:
            continue
        value = values[q["key"]]
        base = {"organisation_id": response.organisation_id, "response": response,
                "question_key": q["key"], "question_type": q["type"]}
        if isinstance(value, list):
            rows.extend(Answer(**base, choice=v) for v in value)
        elif isinstance(value, int):
            rows.append(Answer(**base, value=value))
        elif q["type"] == "free_text":
            rows.append(Answer(**base, text=value))
        else:
            rows.append(Answer(**base, choice=value))
    return rows
