"""Retention, respondent erasure and export (GDPR articles 5(1)(e), 15, 17 and 20).

* :func:`purge_expired` (scheduled daily, ``kokemus privacy purge``): per organisation,
  free text older than ``free_text_months`` is blanked (``Answer.text`` and
  ``CommentAnalysis.redacted``) and contact details older than ``contact_months`` are
  erased (``Response.contact`` and the follow-up cases' copies). Scores, choices, themes,
  sentiment and the rollup counts stay, so dashboards keep their numbers.
* :func:`do_erase_respondent` / :func:`export_respondent`: one respondent's data, found by
  the respondent token (``Response.respondent_token``), by the contact given in the form
  (``Response.contact``, exact match after trimming, case-insensitive) or by the keyed
  contact hash of the invitations sent to that address or number.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import SYSTEM, Actor, record
from kokemus.accounts.models import Organisation
from kokemus.privacy.models import RetentionPolicy

MAX_MONTHS = 120


def policy_for(org: Organisation | int) -> RetentionPolicy:
    org_id = org if isinstance(org, int) else org.pk
    policy = RetentionPolicy.objects.filter(organisation_id=org_id).first()
    return policy or RetentionPolicy(organisation_id=org_id)


def do_set_policy(actor: Actor, org: Organisation, *, free_text_months: int,
                  contact_months: int, require_2fa_for_admins: bool | None = None
                  ) -> RetentionPolicy:
    errors = {}
    for name, value in (("free_text_months", free_text_months),
                        ("contact_months", contact_months)):
        if not isinstance(value, int) or not 0 <= value <= MAX_MONTHS:
            errors[name] = _("Choose 0 to %(max)s months.") % {"max": MAX_MONTHS}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = policy_for(org)
        before = {"free_text_months": policy.free_text_months,
                  "contact_months": policy.contact_months,
                  "require_2fa_for_admins": policy.require_2fa_for_admins}
        policy.free_text_months = free_text_months
        policy.contact_months = contact_months
        if require_2fa_for_admins is not None:
            policy.require_2fa_for_admins = require_2fa_for_admins
        policy.updated_at = timezone.now()
        policy.save()
        after = {"free_text_months": policy.free_text_months,
                 "contact_months": policy.contact_months,
                 "require_2fa_for_admins": policy.require_2fa_for_admins}
        record(actor, "privacy.policy_changed", policy, organisation=org,
               changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return policy


def months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 - months, 12)
    year += moment.year
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _blank_free_text(answers_qs) -> int:
    from kokemus.comments.models import CommentAnalysis

    ids = list(answers_qs.exclude(text="").values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        answers_qs.model.objects.filter(pk__in=chunk).update(text="")
        CommentAnalysis.objects.filter(answer_id__in=chunk).update(redacted="")
    return len(ids)


def _erase_contacts(responses_qs, now) -> tuple[int, int]:
    from kokemus.improvement.models import FollowUpCase

    ids = list(responses_qs.values_list("pk", flat=True))
    n = responses_qs.model.objects.filter(pk__in=ids).exclude(contact="").update(contact="")
    cases = (FollowUpCase.objects.filter(response_id__in=ids)
             .filter(Q(contact_erased_at__isnull=True) | ~Q(contact=""))
             .update(contact="", contact_erased_at=now))
    return n, cases


def purge_organisation(org: Organisation, now: datetime | None = None) -> dict[str, int]:
    from kokemus.improvement.models import FollowUpCase
    from kokemus.responses.models import Answer, Response

    now = now or timezone.now()
    policy = policy_for(org)
    done = {"free_text": 0, "contacts": 0, "case_contacts": 0}
    with transaction.atomic():
        if policy.free_text_months:
            cutoff = months_before(now, policy.free_text_months)
            done["free_text"] = _blank_free_text(Answer.objects.filter(
                organisation=org, question_type="free_text", response__submitted_at__lt=cutoff))
        if policy.contact_months:
            cutoff = months_before(now, policy.contact_months)
            old = Response.objects.filter(organisation=org, submitted_at__lt=cutoff)
            done["contacts"], done["case_contacts"] = _erase_contacts(
                old.filter(Q(contact__gt="") | Q(followup_case__contact__gt="")), now)
            # Cases without a response (the response was deleted) go by their own age.
            done["case_contacts"] += (FollowUpCase.objects
                                      .filter(organisation=org, response__isnull=True,
                                              created_at__lt=cutoff)
                                      .exclude(contact="")
                                      .update(contact="", contact_erased_at=now))
        if any(done.values()):
            record(SYSTEM, "privacy.retention_purge", org, organisation=org, changes=done)
    return done


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    """Apply every organisation's retention policy. Returns the totals."""
    totals = {"organisations": 0, "free_text": 0, "contacts": 0, "case_contacts": 0}
    for org in Organisation.objects.order_by("pk"):
        done = purge_organisation(org, now)
        totals["organisations"] += 1
        for k, v in done.items():
            totals[k] += v
    return totals


# --- One respondent --------------------------------------------------------------------


def find_responses(org: Organisation, *, token: str = "", contact: str = ""):
    """The organisation's responses of one respondent (a queryset, possibly empty)."""
    from kokemus.invitations.contact import contact_hash, normalise_email, normalise_phone
    from kokemus.invitations.models import SurveyInvitation
    from kokemus.responses.models import Response

    token = (token or "").strip()
    contact = (contact or "").strip()
    if not token and not contact:
        raise ValidationError({"token": _("Give the respondent code or the contact.")})
    query = Q(pk__in=[])
    if token:
        query |= Q(respondent_token=token)
    if contact:
        query |= Q(contact__iexact=contact)
        normalised = normalise_email(contact) or normalise_phone(contact)
        if normalised:
            digest = contact_hash(org.pk, normalised)
            invited = (SurveyInvitation.objects.filter(organisation=org, contact_hash=digest,
                                                       response__isnull=False)
                       .values_list("response_id", flat=True))
            query |= Q(pk__in=list(invited))
    return Response.objects.filter(organisation=org).filter(query).order_by("submitted_at", "pk")


def export_respondent(actor: Actor, org: Organisation, *, token: str = "",
                      contact: str = "") -> dict:
    """Everything stored about one respondent, as JSON-ready data."""
    from kokemus.journeys.i18n import pick

    out = []
    for r in find_responses(org, token=token, contact=contact).select_related(
            "unit", "touchpoint", "survey_version"):
        answers = [{"question": a.question_key, "type": a.question_type, "value": a.value,
                    "choice": a.choice, "text": a.text} for a in r.answers.all()]
        out.append({
            "id": r.pk, "submitted_at": r.submitted_at.isoformat(),
            "received_at": r.received_at.isoformat(), "unit": r.unit.name,
            "touchpoint": pick(r.touchpoint.name, r.language) if r.touchpoint else None,
            "channel": r.channel, "language": r.language,
            "consent_contact": r.consent_contact, "consent_wording": r.consent_wording,
            "contact": r.contact, "respondent_token": r.respondent_token,
            "answers": answers,
        })
    record(actor, "privacy.respondent_exported", org, organisation=org,
           changes={"responses": len(out)})
    return {"organisation": org.name, "exported_at": timezone.now().isoformat(),
            "responses": out}


def do_erase_respondent(actor: Actor, org: Organisation, *, token: str = "",
                        contact: str = "", delete_responses: bool = False) -> dict[str, int]:
    """Remove one respondent's free text and contact details; with ``delete_responses``
    the responses themselves go too and the rollup counts are decremented."""
    from kokemus.analytics.rollups import bump_for_response
    from kokemus.invitations.contact import contact_hash, normalise_email, normalise_phone
    from kokemus.invitations.models import VisitEvent
    from kokemus.responses.models import Answer, Response

    now = timezone.now()
    with transaction.atomic():
        responses = list(find_responses(org, token=token, contact=contact)
                         .select_related("unit").select_for_update(of=("self",)))
        ids = [r.pk for r in responses]
        done = {"responses": len(ids), "free_text": 0, "contacts": 0, "case_contacts": 0,
                "deleted": 0, "visit_contacts": 0}
        done["free_text"] = _blank_free_text(Answer.objects.filter(response_id__in=ids))
        if ids:
            done["contacts"], done["case_contacts"] = _erase_contacts(
                Response.objects.filter(pk__in=ids), now)
        contact = (contact or "").strip()
        normalised = (normalise_email(contact) or normalise_phone(contact)) if contact else ""
        if normalised:
            done["visit_contacts"] = (VisitEvent.objects
                                      .filter(organisation=org,
                                              contact_hash=contact_hash(org.pk, normalised))
                                      .exclude(email="", phone="")
                                      .update(email="", phone="", contact_erased_at=now))
        if delete_responses:
            for r in responses:
                answers = list(Answer.objects.filter(response_id=r.pk))
                bump_for_response(r, answers, r.unit.time_zone, sign=-1)
                r.delete()
                done["deleted"] += 1
        record(actor, "privacy.respondent_erased", org, organisation=org, changes=done)
    return done
