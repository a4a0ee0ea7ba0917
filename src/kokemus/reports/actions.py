"""Report schedules (state changes, audited) and their delivery."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Membership, Organisation, Unit
from kokemus.reports import periods
from kokemus.reports.models import DeliveryStatus, Frequency, ReportDelivery, ReportSchedule

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 50
MAX_ATTEMPTS = 5


def clean_emails(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").replace("\n", ",").split(",")
    out = []
    for raw in value or []:
        email = str(raw).strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"emails": _("“%(email)s” is not an e-mail address.")
                                   % {"email": email[:80]}}) from None
        if email not in out:
            out.append(email)
    return out


def do_create_schedule(actor: Actor, organisation: Organisation, *, unit: Unit,
                       frequency: str, emails=(), members=()) -> ReportSchedule:
    if unit.organisation_id != organisation.pk:
        raise ValidationError({"unit": _("Choose a unit of this organisation.")})
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Choose monthly or weekly.")})
    emails = clean_emails(emails)
    members = [m for m in members if m.organisation_id == organisation.pk]
    if not emails and not members:
        raise ValidationError({"emails": _("Give at least one recipient.")})
    if len(emails) + len(members) > MAX_RECIPIENTS:
        raise ValidationError({"emails": _("At most %(n)s recipients.") % {"n": MAX_RECIPIENTS}})
    with transaction.atomic():
        schedule = ReportSchedule.objects.create(
            organisation=organisation, unit=unit, frequency=frequency, emails=emails,
            created_by=actor.user)
        schedule.members.set(members)
        record(actor, "report_schedule.created", schedule, organisation=organisation,
               changes={"unit": unit.pk, "frequency": frequency, "emails": emails,
                        "members": [m.pk for m in members]})
    transaction.on_commit(schedule_next_run)
    return schedule


def do_set_schedule_active(actor: Actor, schedule: ReportSchedule, active: bool):
    with transaction.atomic():
        before = schedule.active
        schedule.active = active
        schedule.save(update_fields=["active"])
        record(actor, "report_schedule.updated", schedule,
               changes={"active": [before, active]})
    return schedule


def do_delete_schedule(actor: Actor, schedule: ReportSchedule) -> None:
    with transaction.atomic():
        record(actor, "report_schedule.deleted", schedule,
               changes={"unit": schedule.unit_id, "frequency": schedule.frequency})
        schedule.delete()


# --- Delivery ----------------------------------------------------------------------------

def recipients_for(schedule: ReportSchedule) -> list[str]:
    """The schedule's addresses plus the e-mails of members who can still see the unit."""
    out = list(schedule.emails or [])
    for m in (Membership.objects.active().filter(pk__in=schedule.members.values("pk"),
                                                 user__is_active=True)
              .select_related("unit", "user")):
        if m.can_see_unit(schedule.unit) and m.user.email not in out:
            out.append(m.user.email)
    return sorted(set(out))


def due_period(schedule: ReportSchedule, today: date) -> tuple[date, date] | None:
    """The last complete period, unless it ended before the schedule existed."""
    start, end = periods.last_complete(schedule.frequency, today)
    created = timezone.localtime(schedule.created_at).date()
    if end < created:
        return None
    return start, end


def deliver(schedule: ReportSchedule, start: date, end: date) -> ReportDelivery:
    """Render and e-mail one report; log the attempt (idempotent per schedule and period)."""
    from kokemus.reports.report import render

    delivery, _created = ReportDelivery.objects.get_or_create(
        schedule=schedule, period_start=start,
        defaults={"organisation_id": schedule.organisation_id, "period_end": end,
                  "status": DeliveryStatus.FAILED})
    if delivery.status == DeliveryStatus.SENT:
        return delivery
    delivery.attempts += 1
    unit, org = schedule.unit, schedule.organisation
    recipients = recipients_for(schedule)
    delivery.recipients = len(recipients)
    if not recipients:
        delivery.status = DeliveryStatus.NO_RECIPIENTS
        delivery.error = ""
        delivery.save()
        return delivery
    try:
        report = render(org, unit, start, end)
        language = unit.language or org.default_language
        with translation.override(language):
            label = periods.label(start, end)
            subject = _("Customer experience report: %(unit)s, %(period)s") % {
                "unit": unit.name, "period": label}
            url = settings.SITE_URL.rstrip("/") + reverse("reports_index", args=[org.slug])
            body = _("Attached is the customer experience report of %(unit)s for %(period)s."
                     ) % {"unit": unit.name, "period": label}
            if url:
                body += "\n\n" + _("Reports and schedules: %(url)s") % {"url": url}
            body += "\n\n" + _("You receive this because %(org)s added you to the report's "
                               "recipients.") % {"org": org.name}
        msg = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to=[],
                           bcc=recipients)
        msg.attach(report.filename, report.pdf, "application/pdf")
        msg.send()
    except Exception as exc:  # noqa: BLE001 - logged and retried on the next run
        log.exception("report delivery %s failed", delivery.pk)
        delivery.status = DeliveryStatus.FAILED
        delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        delivery.save()
        return delivery
    delivery.status = DeliveryStatus.SENT
    delivery.error = ""
    delivery.size = len(report.pdf)
    delivery.sent_at = timezone.now()
    delivery.save()
    return delivery


def send_due(today: date | None = None) -> dict[str, int]:
    """Deliver every active schedule's last complete period that has not been sent yet
    (failed deliveries are retried up to MAX_ATTEMPTS times)."""
    from kokemus.reports.report import local_today

    counts = {"sent": 0, "failed": 0, "no_recipients": 0, "skipped": 0}
    schedules = (ReportSchedule.objects.filter(active=True, organisation__archived_at__isnull=True,
                                               unit__archived_at__isnull=True)
                 .select_related("organisation", "unit"))
    for schedule in schedules:
        period = due_period(schedule, today or local_today(schedule.unit))
        if period is None:
            counts["skipped"] += 1
            continue
        existing = ReportDelivery.objects.filter(schedule=schedule,
                                                 period_start=period[0]).first()
        if existing and (existing.status != DeliveryStatus.FAILED
                         or existing.attempts >= MAX_ATTEMPTS):
            counts["skipped"] += 1
            continue
        delivery = deliver(schedule, *period)
        counts[delivery.status] += 1
    return counts


def schedule_next_run() -> None:
    """Queue ``send_due_reports`` for the next full hour (once), when the task backend can
    defer; ``kokemus reports send-due`` from cron does the same work."""
    import datetime as dt

    from kokemus.reports.tasks import send_due_reports

    backend = send_due_reports.get_backend()
    if not backend.supports_defer:
        return
    now = timezone.now()
    run_after = (now + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    try:
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=send_due_reports.module_path,
                                       status="READY").exists():
            return
    except ImportError:  # pragma: no cover
        pass
    send_due_reports.using(run_after=run_after).enqueue()
