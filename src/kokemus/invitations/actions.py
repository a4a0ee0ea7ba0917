"""Every state change of visit events and invitations (``do_*``), and the sender.

Visit events are ingestion data like responses: one event is not written to the audit log
(volume); uploads, settings changes and opt-outs are.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kokemus.accounts.audit import SYSTEM, Actor, record
from kokemus.accounts.models import Organisation, Unit
from kokemus.invitations import contact as contacts
from kokemus.invitations import sms
from kokemus.invitations.models import (
    ContactChannel,
    InvitationSettings,
    InvitationStatus,
    OptOut,
    SkipReason,
    SurveyInvitation,
    VisitEvent,
)
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.journeys.models import Touchpoint
from kokemus.surveys.models import CollectionPoint, SurveyStatus

logger = logging.getLogger(__name__)

CLOCK_SKEW = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RETRY_BASE = dt.timedelta(minutes=15)
STALE_AFTER = dt.timedelta(days=30)  # a visit older than this when due is not invited
SETTINGS_FIELDS = ["delay_minutes", "reminder_enabled", "reminder_after_days", "quiet_start",
                   "quiet_end", "contact_frequency_days", "link_valid_days"]


def settings_for(org: Organisation | int) -> InvitationSettings:
    org_id = org if isinstance(org, int) else org.pk
    found = InvitationSettings.objects.filter(organisation_id=org_id).first()
    return found or InvitationSettings(organisation_id=org_id)


@transaction.atomic
def do_update_settings(actor: Actor, org: Organisation, **fields) -> InvitationSettings:
    cfg = settings_for(org)
    before = {f: str(getattr(cfg, f)) for f in SETTINGS_FIELDS}
    for name, value in fields.items():
        if name not in SETTINGS_FIELDS:
            raise ValidationError({name: _("Unknown setting.")})
        setattr(cfg, name, value)
    if not 1 <= cfg.link_valid_days <= 90:
        raise ValidationError({"link_valid_days": _("Choose 1–90 days.")})
    if cfg.delay_minutes > 60 * 24 * 14:
        raise ValidationError({"delay_minutes": _("Use at most 14 days.")})
    cfg.save()
    after = {f: str(getattr(cfg, f)) for f in SETTINGS_FIELDS}
    record(actor, "invitation_settings.update", cfg, organisation=org,
           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return cfg


# --- Time rules ------------------------------------------------------------------------------

def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def outside_quiet_hours(at: dt.datetime, tz_name: str, start: dt.time,
                        end: dt.time) -> dt.datetime:
    """``at`` itself, or the end of the quiet period containing it (in the unit's zone)."""
    if start == end:
        return at
    tz = _zone(tz_name)
    local = at.astimezone(tz)
    t = local.time()
    if start > end:  # crosses midnight, e.g. 21:00–08:00
        if t >= start:
            day = local.date() + dt.timedelta(days=1)
        elif t < end:
            day = local.date()
        else:
            return at
    else:
        if not start <= t < end:
            return at
        day = local.date()
    return dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC)


# --- Visit events ----------------------------------------------------------------------------

def find_collection_point(unit: Unit, touchpoint: Touchpoint | None) -> CollectionPoint | None:
    """The active collection point for unit × touchpoint (else the unit's general one)."""
    base = (CollectionPoint.objects.select_related("survey", "unit", "touchpoint")
            .filter(organisation_id=unit.organisation_id, unit=unit, is_active=True,
                    survey__status=SurveyStatus.PUBLISHED, survey__archived_at__isnull=True)
            .order_by("-created_at", "-id"))
    if touchpoint is not None:
        cp = base.filter(touchpoint=touchpoint).first()
        if cp is not None:
            return cp
    return base.filter(touchpoint__isnull=True).first()


def _clean_contact(email: str, phone: str) -> tuple[str, str, str]:
    email_n = contacts.normalise_email(email) if email else ""
    phone_n = contacts.normalise_phone(phone) if phone else ""
    if email and not email_n:
        raise ValidationError({"email": _("“%(value)s” is not an e-mail address.")
                               % {"value": str(email)[:60]}})
    if phone and not phone_n:
        raise ValidationError({"phone": _("“%(value)s” is not a phone number.")
                               % {"value": str(phone)[:40]}})
    if email_n:
        return ContactChannel.EMAIL, email_n, phone_n
    if phone_n:
        return ContactChannel.SMS, email_n, phone_n
    raise ValidationError({"email": _("Give an e-mail address or a phone number.")})


def do_record_visit_event(actor: Actor, org: Organisation, *, unit: Unit,
                          touchpoint: Touchpoint | None = None, occurred_at: dt.datetime,
                          email: str = "", phone: str = "", language: str = "fi",
                          external_id: str = "") -> tuple[VisitEvent, bool]:
    """Store a visit and schedule its invitation. Returns ``(visit, created)``.

    With ``external_id`` the call is idempotent per organisation: a repeat returns the
    stored visit and False. Raises ValidationError keyed by field name on bad input.
    """
    del actor  # visit events are not audited one by one (volume); see the module docstring
    if unit is None or unit.organisation_id != org.pk:
        raise ValidationError({"unit": _("Choose a unit of this organisation.")})
    if unit.archived_at is not None:
        raise ValidationError({"unit": _("This unit is archived.")})
    if touchpoint is not None and touchpoint.organisation_id != org.pk:
        raise ValidationError({"touchpoint": _("Choose a touchpoint of this organisation.")})
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose Finnish, Swedish or English.")})
    external_id = (external_id or "").strip()
    if len(external_id) > 100:
        raise ValidationError({"external_id": _("Use at most 100 characters.")})
    if not isinstance(occurred_at, dt.datetime) or timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": _("The visit time needs a date, a time and a "
                                                "time zone.")})
    now = timezone.now()
    if occurred_at > now + CLOCK_SKEW:
        raise ValidationError({"occurred_at": _("The visit time is in the future.")})
    channel, email_n, phone_n = _clean_contact(email, phone)
    normalised = email_n if channel == ContactChannel.EMAIL else phone_n
    chash = contacts.contact_hash(org.pk, normalised)

    if external_id:
        existing = VisitEvent.objects.filter(organisation=org, external_id=external_id).first()
        if existing is not None:
            return existing, False
    cfg = settings_for(org)
    send_after = outside_quiet_hours(
        max(occurred_at + dt.timedelta(minutes=cfg.delay_minutes), now),
        unit.time_zone, cfg.quiet_start, cfg.quiet_end)
    try:
        with transaction.atomic():
            visit = VisitEvent.objects.create(
                organisation=org, unit=unit, touchpoint=touchpoint, occurred_at=occurred_at,
                channel=channel, email=email_n if channel == ContactChannel.EMAIL else "",
                phone=phone_n if channel == ContactChannel.SMS else "", contact_hash=chash,
                language=language, external_id=external_id, created_at=now)
            salt = secrets.token_hex(16)
            inv = SurveyInvitation(
                organisation=org, visit=visit, contact_hash=chash, channel=channel,
                language=language, salt=salt,
                token_hash=contacts.token_hash(contacts.link_token(salt)),
                optout_hash=contacts.token_hash(contacts.optout_token(salt)),
                collection_point=find_collection_point(unit, touchpoint),
                send_after=send_after, created_at=now)
            if OptOut.objects.filter(organisation=org, contact_hash=chash).exists():
                inv.status = InvitationStatus.SKIPPED
                inv.skip_reason = SkipReason.OPTED_OUT
                _erase_contact(visit, now)
            inv.save()
    except IntegrityError:
        if not external_id:
            raise
        existing = VisitEvent.objects.filter(organisation=org, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    if inv.status == InvitationStatus.SCHEDULED:
        transaction.on_commit(lambda: schedule_run(send_after))
    return visit, True


def _erase_contact(visit: VisitEvent, now: dt.datetime) -> None:
    if visit.email or visit.phone:
        visit.email = ""
        visit.phone = ""
        visit.contact_erased_at = now
        if visit.pk:
            visit.save(update_fields=["email", "phone", "contact_erased_at"])


# --- Opt-out ---------------------------------------------------------------------------------

def find_by_optout_token(token: str) -> SurveyInvitation | None:
    if not token or len(token) > 64:
        return None
    return (SurveyInvitation.objects.select_related("organisation")
            .filter(optout_hash=contacts.token_hash(token)).first())


@transaction.atomic
def do_opt_out(actor: Actor, inv: SurveyInvitation) -> bool:
    """Opt the invitation's contact out of every invitation of the organisation."""
    now = timezone.now()
    _optout, created = OptOut.objects.get_or_create(organisation_id=inv.organisation_id,
                                                    contact_hash=inv.contact_hash)
    pending = SurveyInvitation.objects.filter(organisation_id=inv.organisation_id,
                                              contact_hash=inv.contact_hash,
                                              status=InvitationStatus.SCHEDULED)
    pending.update(status=InvitationStatus.SKIPPED, skip_reason=SkipReason.OPTED_OUT)
    SurveyInvitation.objects.filter(organisation_id=inv.organisation_id,
                                    contact_hash=inv.contact_hash,
                                    reminder_sent_at__isnull=True).update(reminder_due_at=None)
    VisitEvent.objects.filter(organisation_id=inv.organisation_id,
                              contact_hash=inv.contact_hash,
                              contact_erased_at__isnull=True).update(email="", phone="",
                                                                      contact_erased_at=now)
    if created:
        record(actor, "invitation.opt_out", inv, organisation=inv.organisation)
    return created


# --- Answering -------------------------------------------------------------------------------

def find_by_link_token(token: str) -> SurveyInvitation | None:
    if not token or len(token) > 64:
        return None
    return (SurveyInvitation.objects
            .select_related("organisation", "collection_point__survey",
                            "collection_point__unit", "collection_point__touchpoint", "visit")
            .filter(token_hash=contacts.token_hash(token)).first())


def do_answer_invitation(inv: SurveyInvitation, *, answers: dict, language: str,
                         contact: str = ""):
    """Store the response through ``do_submit_response`` and use up the link."""
    from kokemus.responses.actions import do_submit_response

    now = timezone.now()
    with transaction.atomic():
        locked = SurveyInvitation.objects.select_for_update().get(pk=inv.pk)
        if locked.used_at is not None:
            raise ValidationError({"form": _("This link has already been used.")})
        if locked.is_expired:
            raise ValidationError({"form": _("This link has expired.")})
        cp = inv.collection_point
        response, _created = do_submit_response(
            collection_point=cp, survey_version=cp.survey.current_version, answers=answers,
            language=language, channel="invitation", idempotency_key=f"invitation:{inv.pk}",
            contact=contact)
        locked.used_at = now
        locked.response = response
        locked.status = InvitationStatus.ANSWERED
        locked.reminder_due_at = None if locked.reminder_sent_at is None \
            else locked.reminder_due_at
        locked.save(update_fields=["used_at", "response", "status", "reminder_due_at"])
        _erase_contact(locked.visit, now)
    return response


# --- Sending ---------------------------------------------------------------------------------

def _links(inv: SurveyInvitation) -> tuple[str, str]:
    link = settings.SITE_URL + reverse("invitation_respond",
                                       args=[contacts.link_token(inv.salt)])
    optout = settings.SITE_URL + reverse("invitation_optout",
                                         args=[contacts.optout_token(inv.salt)])
    return link, optout


def _render(inv: SurveyInvitation, cfg: InvitationSettings, reminder: bool) -> dict:
    lang = inv.language if inv.language in LANGUAGES else "fi"
    visit = inv.visit
    link, optout = _links(inv)
    tz = _zone(visit.unit.time_zone)
    context = {
        "organisation": inv.organisation.name, "unit": visit.unit.name,
        "touchpoint": pick(visit.touchpoint.name, lang) if visit.touchpoint else "",
        "link": link, "optout_link": optout, "reminder": reminder,
        "expires": inv.expires_at.astimezone(tz).strftime("%d.%m.%Y") if inv.expires_at
        else "", "visit_date": visit.occurred_at.astimezone(tz).strftime("%d.%m.%Y"),
    }
    with translation.override(lang):
        if inv.channel == ContactChannel.SMS:
            body = render_to_string(f"invitations/email/sms_{lang}.txt", context).strip()
            return {"body": body, "optout": optout}
        subject = render_to_string(f"invitations/email/subject_{lang}.txt", context)
        body = render_to_string(f"invitations/email/body_{lang}.txt", context)
    return {"subject": " ".join(subject.split()), "body": body, "optout": optout}


def _deliver(inv: SurveyInvitation, cfg: InvitationSettings, reminder: bool) -> None:
    msg = _render(inv, cfg, reminder)
    if inv.channel == ContactChannel.SMS:
        sms.send_sms(inv.visit.phone, msg["body"])
        return
    email = EmailMessage(msg["subject"], msg["body"], settings.DEFAULT_FROM_EMAIL,
                         [inv.visit.email], headers={
                             "List-Unsubscribe": f"<{msg['optout']}>",
                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                             "Auto-Submitted": "auto-generated"})
    email.send(fail_silently=False)


def _skip(inv: SurveyInvitation, reason: str, now: dt.datetime) -> None:
    inv.status = InvitationStatus.SKIPPED
    inv.skip_reason = reason
    inv.save(update_fields=["status", "skip_reason"])
    _erase_contact(inv.visit, now)


def _send_first(inv: SurveyInvitation, cfg: InvitationSettings, now: dt.datetime) -> str:
    visit = inv.visit
    when = outside_quiet_hours(now, visit.unit.time_zone, cfg.quiet_start, cfg.quiet_end)
    if when > now:
        inv.send_after = when
        inv.save(update_fields=["send_after"])
        return "postponed"
    if OptOut.objects.filter(organisation_id=inv.organisation_id,
                             contact_hash=inv.contact_hash).exists():
        _skip(inv, SkipReason.OPTED_OUT, now)
        return "skipped"
    if now - visit.occurred_at > STALE_AFTER:
        _skip(inv, SkipReason.STALE, now)
        return "skipped"
    if cfg.contact_frequency_days and SurveyInvitation.objects.filter(
            organisation_id=inv.organisation_id, contact_hash=inv.contact_hash,
            sent_at__gt=now - dt.timedelta(days=cfg.contact_frequency_days)
    ).exclude(pk=inv.pk).exists():
        _skip(inv, SkipReason.FREQUENCY, now)
        return "skipped"
    cp = inv.collection_point
    if cp is None or not cp.is_active or cp.survey.status != SurveyStatus.PUBLISHED:
        cp = find_collection_point(visit.unit, visit.touchpoint)
        if cp is None:
            _skip(inv, SkipReason.NO_SURVEY, now)
            return "skipped"
        inv.collection_point = cp
    inv.expires_at = now + dt.timedelta(days=cfg.link_valid_days)
    try:
        _deliver(inv, cfg, reminder=False)
    except Exception as exc:  # noqa: BLE001 — any backend error: retry later, then give up
        logger.warning("invitation %s: sending failed: %s", inv.pk, exc)
        inv.attempts += 1
        inv.last_error = str(exc)[:300]
        if inv.attempts >= MAX_ATTEMPTS:
            inv.status = InvitationStatus.FAILED
            inv.save(update_fields=["attempts", "last_error", "status"])
            _erase_contact(visit, now)
        else:
            inv.send_after = now + RETRY_BASE * inv.attempts
            inv.save(update_fields=["attempts", "last_error", "send_after"])
        return "failed"
    inv.status = InvitationStatus.SENT
    inv.sent_at = now
    inv.last_error = ""
    inv.reminder_due_at = None
    if cfg.reminder_enabled:
        due = outside_quiet_hours(now + dt.timedelta(days=cfg.reminder_after_days),
                                  visit.unit.time_zone, cfg.quiet_start, cfg.quiet_end)
        if due < inv.expires_at:
            inv.reminder_due_at = due
    inv.save(update_fields=["status", "sent_at", "expires_at", "reminder_due_at",
                            "collection_point", "last_error"])
    if inv.reminder_due_at is None:
        _erase_contact(visit, now)
    return "sent"


def _send_reminder(inv: SurveyInvitation, cfg: InvitationSettings, now: dt.datetime) -> str:
    visit = inv.visit
    when = outside_quiet_hours(now, visit.unit.time_zone, cfg.quiet_start, cfg.quiet_end)
    if when > now:
        inv.reminder_due_at = when
        inv.save(update_fields=["reminder_due_at"])
        return "postponed"
    inv.reminder_sent_at = now  # at most one reminder, also when it fails
    inv.reminder_due_at = None
    inv.save(update_fields=["reminder_sent_at", "reminder_due_at"])
    if not OptOut.objects.filter(organisation_id=inv.organisation_id,
                                 contact_hash=inv.contact_hash).exists():
        try:
            _deliver(inv, cfg, reminder=True)
        except Exception as exc:  # noqa: BLE001
            logger.warning("invitation %s: reminder failed: %s", inv.pk, exc)
            _erase_contact(visit, now)
            return "failed"
    _erase_contact(visit, now)
    return "reminded"


def _due_first(now):
    return Q(status=InvitationStatus.SCHEDULED, send_after__lte=now)


def _due_reminder(now):
    return Q(status=InvitationStatus.SENT, reminder_due_at__lte=now, reminder_sent_at__isnull=True,
             used_at__isnull=True, expires_at__gt=now)


def send_due(now: dt.datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Send every due invitation and reminder; safe to run in several workers at once."""
    now = now or timezone.now()
    counts = {"sent": 0, "reminded": 0, "skipped": 0, "failed": 0, "postponed": 0,
              "expired": 0}
    done = 0
    while limit is None or done < limit:
        ids = list(SurveyInvitation.objects.filter(_due_first(now) | _due_reminder(now))
                   .order_by("send_after", "id").values_list("id", flat=True)[:100])
        if not ids:
            break
        progressed = 0
        for pk in ids:
            with transaction.atomic():
                inv = (SurveyInvitation.objects.select_for_update(skip_locked=True, of=("self",))
                       .select_related("visit__unit", "visit__touchpoint", "organisation",
                                       "collection_point__survey")
                       .filter(Q(pk=pk) & (_due_first(now) | _due_reminder(now))).first())
                if inv is None:
                    continue  # another worker has it, or it is no longer due
                cfg = settings_for(inv.organisation_id)
                if inv.status == InvitationStatus.SCHEDULED:
                    outcome = _send_first(inv, cfg, now)
                else:
                    outcome = _send_reminder(inv, cfg, now)
                counts[outcome] += 1
                progressed += 1
                done += 1
        if not progressed:
            break
    counts["expired"] = erase_expired(now)
    return counts


def erase_expired(now: dt.datetime) -> int:
    """Erase contacts of invitations whose link expired unanswered."""
    visits = VisitEvent.objects.filter(contact_erased_at__isnull=True,
                                       invitation__expires_at__lte=now)
    return visits.update(email="", phone="", contact_erased_at=now)


def next_due_at() -> dt.datetime | None:
    agg = SurveyInvitation.objects.aggregate(
        first=Min("send_after", filter=Q(status=InvitationStatus.SCHEDULED)),
        reminder=Min("reminder_due_at", filter=Q(status=InvitationStatus.SENT,
                                                 reminder_sent_at__isnull=True,
                                                 used_at__isnull=True)))
    times = [t for t in agg.values() if t is not None]
    return min(times) if times else None


def schedule_run(at: dt.datetime | None) -> None:
    """Enqueue ``send_due_invitations`` to run at ``at`` (rounded up to 5 minutes), once."""
    if at is None:
        return
    try:
        from kokemus.invitations.tasks import enqueue_send_at

        enqueue_send_at(at)
    except Exception:  # noqa: BLE001 — scheduling is best effort; `invitations send-due` too
        logger.exception("could not schedule invitation sending")


# --- Uploads ---------------------------------------------------------------------------------

VISIT_COLUMNS = {
    "unit": ("unit", "unit_id", "yksikkö", "toimipiste", "enhet"),
    "touchpoint": ("touchpoint", "touchpoint_key", "touchpoint_id", "kosketuspiste",
                   "kontaktpunkt"),
    "time": ("time", "occurred_at", "visit_time", "datetime", "date", "aika", "käyntiaika",
             "tid"),
    "email": ("email", "e-mail", "sähköposti", "e-post"),
    "phone": ("phone", "mobile", "puhelin", "matkapuhelin", "telefon"),
    "language": ("language", "lang", "kieli", "språk"),
    "external_id": ("external_id", "external id", "id", "visit_id", "tunniste"),
}


def match_visit_columns(header: list[str]) -> dict[str, int]:
    found = {}
    lowered = [h.strip().lower() for h in header]
    for field, names in VISIT_COLUMNS.items():
        for i, h in enumerate(lowered):
            if h in names:
                found[field] = i
                break
    return found


def do_upload_visits(actor: Actor, org: Organisation, path, *, units, filename: str = "",
                     max_rows: int = 100_000) -> dict:
    """Record a visit event per row of a CSV/XLSX file; returns counts and row errors.

    ``units`` limits which units the uploader may use. Row numbers count the header as 1.
    """
    from kokemus.imports.reader import ReadError, open_table
    from kokemus.imports.values import parse_datetime, parse_language

    try:
        table = open_table(path)
    except ReadError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    with table:
        header = table.header
        cols = match_visit_columns(header)
        missing = [c for c in ("unit", "time") if c not in cols]
        if "email" not in cols and "phone" not in cols:
            missing.append("email/phone")
        if missing:
            raise ValidationError({"file": _("Missing columns: %(columns)s.")
                                   % {"columns": ", ".join(missing)}})
        by_id = {str(u.pk): u for u in units}
        by_name: dict[str, list[Unit]] = {}
        for u in units:
            by_name.setdefault(u.name.strip().lower(), []).append(u)
        tps = list(Touchpoint.objects.filter(organisation=org, archived_at__isnull=True))
        tp_by_id = {str(t.pk): t for t in tps}
        tp_by_key: dict[str, list[Touchpoint]] = {}
        for t in tps:
            tp_by_key.setdefault(t.key.lower(), []).append(t)
        tz = _zone(org.time_zone)
        result = {"created": 0, "existing": 0, "bad": 0, "errors": []}

        def cell(row, field):
            i = cols.get(field)
            return row[i].strip() if i is not None and i < len(row) and row[i] else ""

        for rownum, row, problem in table.rows():
            if rownum - 1 > max_rows:
                result["errors"].append({"row": rownum, "field": "",
                                         "message": _("Too many rows; the rest were not read.")})
                break
            if problem:
                result["bad"] += 1
                result["errors"].append({"row": rownum, "field": "", "message": problem})
                continue
            if not any(c.strip() for c in row if c):
                continue
            errors = {}
            raw_unit = cell(row, "unit")
            unit = by_id.get(raw_unit)
            if unit is None:
                matches = by_name.get(raw_unit.lower(), [])
                unit = matches[0] if len(matches) == 1 else None
                if not raw_unit:
                    errors["unit"] = _("The unit is missing.")
                elif len(matches) > 1:
                    errors["unit"] = _("“%(value)s” matches several units; use the unit id.") \
                        % {"value": raw_unit[:60]}
                elif unit is None:
                    errors["unit"] = _("Unknown unit “%(value)s”.") % {"value": raw_unit[:60]}
            touchpoint = None
            raw_tp = cell(row, "touchpoint")
            if raw_tp:
                touchpoint = tp_by_id.get(raw_tp)
                if touchpoint is None:
                    matches = tp_by_key.get(raw_tp.lower(), [])
                    touchpoint = matches[0] if len(matches) == 1 else None
                    if touchpoint is None:
                        errors["touchpoint"] = _("Unknown touchpoint “%(value)s”.") \
                            % {"value": raw_tp[:60]}
            occurred, time_error = parse_datetime(row[cols["time"]] if cols["time"] < len(row)
                                                  else "", tz)
            if time_error:
                errors["time"] = time_error
            language = org.default_language or "fi"
            if cell(row, "language"):
                language = parse_language(cell(row, "language"))
                if language is None:
                    errors["language"] = _("Unknown language “%(value)s”.") \
                        % {"value": cell(row, "language")[:20]}
            if not errors:
                try:
                    _visit, created = do_record_visit_event(
                        actor, org, unit=unit, touchpoint=touchpoint, occurred_at=occurred,
                        email=cell(row, "email"), phone=cell(row, "phone"), language=language,
                        external_id=cell(row, "external_id"))
                except ValidationError as exc:
                    errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
                else:
                    result["created" if created else "existing"] += 1
                    continue
            result["bad"] += 1
            for field, message in errors.items():
                if len(result["errors"]) < 1000:
                    result["errors"].append({"row": rownum, "field": field, "message": message})
    record(actor, "visit_events.upload", None, organisation=org,
           changes={"file": filename[:100], "created": result["created"],
                    "existing": result["existing"], "bad": result["bad"]})
    return result


SYSTEM_ACTOR = SYSTEM
