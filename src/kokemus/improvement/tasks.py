"""Background tasks (run by `kokemus worker`): reminders, escalations, purges, notices."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kokemus.accounts.models import Membership, Role


def _send(recipients: list[str], subject: str, body: str) -> None:
    recipients = sorted({r for r in recipients if r})
    if recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _admins(organisation_id: int) -> list[str]:
    return list(Membership.objects.filter(organisation_id=organisation_id, role=Role.ADMIN,
                                          user__is_active=True)
                .values_list("user__email", flat=True))


def case_reminders(now=None) -> dict[str, int]:
    """Send "due tomorrow" reminders and overdue escalations once per case (idempotent)."""
    from kokemus.improvement.actions import local_date
    from kokemus.improvement.models import CLOSED_STATUSES, CaseReminder, CaseStatus, FollowUpCase

    now = now or timezone.now()
    counts = {"due_tomorrow": 0, "overdue": 0}
    cases = (FollowUpCase.objects.exclude(status__in=CLOSED_STATUSES)
             .select_related("organisation", "unit", "assignee"))
    for case in cases:
        today = local_date(now, case.unit.time_zone or "Europe/Helsinki")
        if case.due_date < today:
            kind = CaseReminder.OVERDUE
        elif case.due_date == today + timedelta(days=1) and case.status == CaseStatus.OPEN:
            kind = CaseReminder.DUE_TOMORROW
        else:
            continue
        if CaseReminder.objects.filter(case=case, kind=kind).exists():
            continue
        recipients = [case.assignee.email] if case.assignee else []
        if kind == CaseReminder.OVERDUE:
            recipients += _admins(case.organisation_id)
        url = reverse("case_detail", args=[case.organisation.slug, case.pk])
        with translation.override(case.organisation.default_language), transaction.atomic():
            CaseReminder.objects.create(organisation_id=case.organisation_id, case=case,
                                        kind=kind, recipients=sorted(set(recipients)))
            if kind == CaseReminder.OVERDUE:
                subject = _("Follow-up case %(id)s is overdue") % {"id": case.pk}
                body = _("The customer of case %(id)s (%(unit)s) was to be contacted by "
                         "%(due)s. Please contact them or reassign the case: %(url)s") % {
                    "id": case.pk, "unit": case.unit.name, "due": case.due_date, "url": url}
            else:
                subject = _("Follow-up case %(id)s is due tomorrow") % {"id": case.pk}
                body = _("Please contact the customer of case %(id)s (%(unit)s) by %(due)s: "
                         "%(url)s") % {"id": case.pk, "unit": case.unit.name,
                                       "due": case.due_date, "url": url}
            _send(recipients, subject, body)
        counts[kind] += 1
    return counts


@task()
def send_case_reminders() -> dict[str, int]:
    return case_reminders()


@task()
def purge_case_contacts() -> int:
    from kokemus.improvement.actions import purge_contacts

    return purge_contacts()


@task()
def notify_praise(praise_ids: list[int]) -> int:
    """Tell the named person and their manager about praise (text always redacted)."""
    from kokemus.comments.analysis import display_text
    from kokemus.improvement.actions import nearest_manager
    from kokemus.improvement.models import Praise

    sent = 0
    for praise in (Praise.objects.filter(pk__in=praise_ids, notified_at__isnull=True)
                   .select_related("membership__user", "membership__unit", "unit",
                                   "organisation", "answer")):
        person = praise.membership.user
        manager = nearest_manager(praise.membership.unit or praise.unit)
        with translation.override(person.language or praise.organisation.default_language):
            subject = _("A customer praised you")
            body = _("A customer of %(unit)s wrote:\n\n%(text)s\n\nThank you!") % {
                "unit": praise.unit.name, "text": display_text(praise.answer)}
            _send([person.email], subject, body)
            if manager is not None and manager.pk != person.pk:
                _send([manager.email], _("A customer praised %(name)s") % {"name": str(person)},
                      body)
        Praise.objects.filter(pk=praise.pk).update(notified_at=timezone.now())
        sent += 1
    return sent


@task()
def notify_idea_author(idea_id: int, status: str) -> bool:
    from kokemus.improvement.models import Idea, IdeaStatus

    idea = Idea.objects.filter(pk=idea_id).select_related("author", "organisation").first()
    if idea is None or idea.author is None:
        return False
    with translation.override(idea.author.language or idea.organisation.default_language):
        label = IdeaStatus(status).label
        body = _("Your idea “%(title)s” is now: %(status)s.") % {"title": idea.title,
                                                                 "status": label}
        if status == IdeaStatus.DECLINED and idea.decline_reason:
            body += "\n\n" + _("Reason: %(reason)s") % {"reason": idea.decline_reason}
        _send([idea.author.email], _("News about your idea"), body)
    return True
