"""Scheduled reports: creation (roles, audit), delivery by e-mail, the log, retries."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog, Membership
from kokemus.reports import actions
from kokemus.reports.models import DeliveryStatus, ReportDelivery, ReportSchedule

pytestmark = pytest.mark.django_db


def after(data):
    """A day in the month after the data's month: that month is then due."""
    return data.end + timedelta(days=1)


def make(tree, data, **kw):
    s = actions.do_create_schedule(SYSTEM, tree.org, unit=kw.pop("unit", tree.kamppi),
                                   frequency=kw.pop("frequency", "monthly"),
                                   emails=kw.pop("emails", ["boss@example.com"]), **kw)
    ReportSchedule.objects.filter(pk=s.pk).update(
        created_at=timezone.now() - timedelta(days=62))
    s.refresh_from_db()
    return s


def test_manager_creates_schedule_staff_cannot(manager_client, staff_client, tree, manager,
                                               staff):
    url = reverse("reports_schedule_create", args=["testi"])
    staff_m = Membership.objects.get(user=staff, organisation=tree.org)
    r = manager_client.post(url, {"unit": tree.kamppi.pk, "frequency": "monthly",
                                  "emails": "a@example.com, b@example.com",
                                  "members": [staff_m.pk]})
    assert r.status_code == 302
    s = ReportSchedule.objects.get()
    assert s.emails == ["a@example.com", "b@example.com"] and list(s.members.all()) == [staff_m]
    assert AuditLog.objects.filter(action="report_schedule.created").exists()
    # Outside the manager's subtree, bad addresses, no recipients: 400, nothing created.
    for bad in ({"unit": tree.oulu.pk, "frequency": "monthly", "emails": "a@example.com"},
                {"unit": tree.kamppi.pk, "frequency": "monthly", "emails": "not-an-address"},
                {"unit": tree.kamppi.pk, "frequency": "weekly", "emails": ""}):
        assert manager_client.post(url, bad).status_code == 400
    assert ReportSchedule.objects.count() == 1
    assert staff_client.post(url, {"unit": tree.kamppi.pk, "frequency": "monthly",
                                   "emails": "a@example.com"}).status_code == 403
    page = manager_client.get(reverse("reports_index", args=["testi"])).content.decode()
    assert "a@example.com" in page


def test_due_report_is_emailed_once_and_logged(tree, data, staff):
    staff_m = Membership.objects.get(user=staff, organisation=tree.org)
    s = make(tree, data, members=[staff_m])
    counts = actions.send_due(today=after(data))
    assert counts["sent"] == 1
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert set(msg.bcc) == {"boss@example.com", "staff@a.example"}
    assert "Kamppi" in msg.subject
    name, content, mimetype = msg.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    d = ReportDelivery.objects.get(schedule=s)
    assert d.status == DeliveryStatus.SENT and d.size == len(content)
    assert (d.period_start, d.period_end) == (data.start, data.end) and d.sent_at
    assert actions.send_due(today=after(data))["sent"] == 0  # idempotent
    assert len(mail.outbox) == 1


def test_failure_is_logged_and_retried(tree, data, monkeypatch):
    s = make(tree, data)

    def boom(*a, **k):
        raise RuntimeError("renderer down")

    monkeypatch.setattr("kokemus.reports.report.render", boom)
    assert actions.send_due(today=after(data))["failed"] == 1
    d = ReportDelivery.objects.get(schedule=s)
    assert d.status == DeliveryStatus.FAILED and "renderer down" in d.error
    monkeypatch.undo()
    assert actions.send_due(today=after(data))["sent"] == 1
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.attempts == 2 and d.error == ""


def test_weekly_paused_and_new_schedules(tree, data):
    weekly = make(tree, data, frequency="weekly")
    paused = make(tree, data, unit=tree.kallio)
    actions.do_set_schedule_active(SYSTEM, paused, False)
    fresh = actions.do_create_schedule(SYSTEM, tree.org, unit=tree.oulu, frequency="monthly",
                                       emails=["x@example.com"])
    counts = actions.send_due(today=after(data))
    assert counts["sent"] == 1
    d = ReportDelivery.objects.get()
    assert d.schedule == weekly and (d.period_end - d.period_start).days == 6
    assert d.period_start.weekday() == 0
    assert not ReportDelivery.objects.filter(schedule__in=[paused, fresh]).exists()


def test_member_who_lost_access_gets_nothing(tree, data, staff):
    staff_m = Membership.objects.get(user=staff, organisation=tree.org)
    s = make(tree, data, unit=tree.kallio, emails=[], members=[staff_m])
    assert actions.send_due(today=after(data))["no_recipients"] == 1
    assert not mail.outbox
    assert ReportDelivery.objects.get(schedule=s).status == DeliveryStatus.NO_RECIPIENTS


def test_management_command_and_task(tree, data):
    make(tree, data)
    out = StringIO()
    call_command("reports", "send-due", stdout=out)
    counts = json.loads(out.getvalue())
    assert set(counts) == {"sent", "failed", "no_recipients", "skipped"}
    from kokemus.reports.tasks import send_due_reports
    assert isinstance(send_due_reports.call(), dict)


def test_toggle_and_delete(manager_client, outsider_client, tree, data, manager, outsider):
    s = make(tree, data)
    url = reverse("reports_schedule_toggle", args=["testi", s.pk])
    assert outsider_client.post(url).status_code == 404
    assert manager_client.post(url).status_code == 302
    s.refresh_from_db()
    assert not s.active
    assert manager_client.post(reverse("reports_schedule_delete", args=["testi", s.pk])
                               ).status_code == 302
    assert not ReportSchedule.objects.exists()
