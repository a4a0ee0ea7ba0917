"""Visit events → invitations end to end with the locmem e-mail backend and frozen time."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from kokemus.accounts.audit import SYSTEM
from kokemus.invitations import actions, sms
from kokemus.invitations.contact import contact_hash
from kokemus.invitations.models import (
    InvitationStatus,
    OptOut,
    SkipReason,
    SurveyInvitation,
    VisitEvent,
)
from kokemus.responses.models import Response
from tests.invitations.conftest import local

LINK_RE = re.compile(r"https://palaute\.example(/i/[A-Za-z0-9_-]+/)")
OPTOUT_RE = re.compile(r"https://palaute\.example(/optout/[A-Za-z0-9_-]+/)")


def visit(tree, touchpoint, when, email="asiakas@example.fi", **kw):
    with time_machine.travel(when, tick=False):
        return actions.do_record_visit_event(SYSTEM, tree.org, unit=kw.pop("unit", tree.kamppi),
                                             touchpoint=touchpoint, occurred_at=when,
                                             email=email, **kw)


def send_at(when):
    with time_machine.travel(when, tick=False):
        return actions.send_due()


def link_of(message) -> str:
    return LINK_RE.search(message.body).group(1)


def test_delay_send_reminder_once_then_answer(tree, touchpoint, point, anon_client):
    event, created = visit(tree, touchpoint, local(2025, 3, 3, 10, 0), language="sv")
    assert created
    inv = event.invitation
    assert inv.send_after == local(2025, 3, 3, 12, 0)
    assert send_at(local(2025, 3, 3, 11, 59))["sent"] == 0
    assert mail.outbox == []
    assert send_at(local(2025, 3, 3, 12, 0))["sent"] == 1
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["asiakas@example.fi"]
    assert "Berätta om ditt besök" in msg.subject
    assert msg.extra_headers["List-Unsubscribe"].startswith("<https://palaute.example/optout/")
    link = link_of(msg)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.SENT
    assert inv.expires_at == local(2025, 3, 17, 12, 0)
    assert inv.reminder_due_at == local(2025, 3, 6, 12, 0)
    assert VisitEvent.objects.get().email == "asiakas@example.fi"  # still needed: reminder

    # nothing more before the reminder is due; then exactly one reminder with the same link
    assert send_at(local(2025, 3, 5, 12, 0))["reminded"] == 0
    assert send_at(local(2025, 3, 6, 12, 0))["reminded"] == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("Påminnelse")
    assert link_of(mail.outbox[1]) == link
    assert send_at(local(2025, 3, 9, 12, 0)) == {"sent": 0, "reminded": 0, "skipped": 0,
                                                  "failed": 0, "postponed": 0, "expired": 0}
    assert len(mail.outbox) == 2
    event.refresh_from_db()
    assert event.email == "" and event.phone == "" and event.contact_erased_at is not None
    assert event.contact_hash == contact_hash(tree.org.pk, "asiakas@example.fi")

    with time_machine.travel(local(2025, 3, 10, 9, 0), tick=False):
        page = anon_client.get(link)
        assert page.status_code == 200
        assert 'name="q-fft"' in page.content.decode()
        answered = anon_client.post(link, {"q-fft": "1", "q-why": "Hyvä palvelu"})
        assert answered.status_code == 302
        assert answered["Location"].startswith(f"/r/{point.code}/thanks/")
        again = anon_client.get(link)
        assert again.status_code == 410
        assert anon_client.post(link, {"q-fft": "2"}).status_code == 410
    response = Response.objects.get()
    assert response.channel == "invitation"
    assert response.language == "sv"
    assert response.collection_point == point
    inv.refresh_from_db()
    assert inv.used_at is not None and inv.response == response
    assert inv.status == InvitationStatus.ANSWERED


def test_answered_before_reminder_gets_no_reminder(tree, touchpoint, point, anon_client):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    send_at(local(2025, 3, 3, 12, 30))
    link = link_of(mail.outbox[0])
    assert "Kerro meille käynnistäsi" in mail.outbox[0].subject
    with time_machine.travel(local(2025, 3, 4, 9, 0), tick=False):
        assert anon_client.post(link, {"q-fft": "2"}).status_code == 302
    assert VisitEvent.objects.get().email == ""  # erased when the link was used
    assert send_at(local(2025, 3, 7, 12, 0))["reminded"] == 0
    assert len(mail.outbox) == 1


def test_bad_answer_keeps_link_usable(tree, touchpoint, point, anon_client):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    send_at(local(2025, 3, 3, 12, 30))
    link = link_of(mail.outbox[0])
    with time_machine.travel(local(2025, 3, 4, 9, 0), tick=False):
        assert anon_client.post(link, {"q-fft": "9"}).status_code == 400
        assert anon_client.get(link).status_code == 200
    assert not Response.objects.exists()


def test_quiet_hours_postpone_to_morning_in_unit_time_zone(tree, touchpoint, point):
    event, _ = visit(tree, touchpoint, local(2025, 3, 3, 20, 0))  # due 22:00: quiet
    assert event.invitation.send_after == local(2025, 3, 4, 8, 0)
    assert send_at(local(2025, 3, 4, 7, 59))["sent"] == 0
    assert send_at(local(2025, 3, 4, 8, 0))["sent"] == 1

    tree.oulu.time_zone = "Europe/London"
    tree.oulu.save()
    other, _ = visit(tree, touchpoint, local(2025, 3, 3, 6, 0), email="b@example.fi",
                     unit=tree.oulu)  # due 08:00 Helsinki = 06:00 London: quiet there
    assert other.invitation.send_after == local(2025, 3, 3, 10, 0)  # 08:00 London


def test_quiet_hours_custom_and_reminder_outside_them(tree, touchpoint, point):
    actions.do_update_settings(SYSTEM, tree.org, delay_minutes=0,
                               quiet_start=dt.time(12, 0), quiet_end=dt.time(13, 0))
    event, _ = visit(tree, touchpoint, local(2025, 3, 3, 12, 30))
    assert event.invitation.send_after == local(2025, 3, 3, 13, 0)
    send_at(local(2025, 3, 3, 13, 0))
    event.invitation.refresh_from_db()
    assert event.invitation.reminder_due_at == local(2025, 3, 6, 13, 0)


def test_worker_finding_quiet_hours_postpones(tree, touchpoint, point):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    # the worker was down; it wakes during quiet hours
    assert send_at(local(2025, 3, 3, 23, 0))["postponed"] == 1
    assert mail.outbox == []
    assert SurveyInvitation.objects.get().send_after == local(2025, 3, 4, 8, 0)


def test_frequency_cap_on_hashed_contact(tree, touchpoint, point):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0), external_id="v1")
    send_at(local(2025, 3, 3, 12, 0))
    second, _ = visit(tree, touchpoint, local(2025, 4, 1, 10, 0), email=" Asiakas@Example.FI ",
                      external_id="v2")
    send_at(local(2025, 4, 1, 12, 0))
    second.invitation.refresh_from_db()
    assert second.invitation.status == InvitationStatus.SKIPPED
    assert second.invitation.skip_reason == SkipReason.FREQUENCY
    second.refresh_from_db()
    assert second.email == ""
    third, _ = visit(tree, touchpoint, local(2025, 6, 2, 10, 0), external_id="v3")
    send_at(local(2025, 6, 2, 12, 0))
    third.invitation.refresh_from_db()
    assert third.invitation.status == InvitationStatus.SENT
    assert len([m for m in mail.outbox if "Muistutus" not in m.subject]) == 2


def test_opt_out_is_honoured_across_the_organisation(tree, touchpoint, point, anon_client):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    send_at(local(2025, 3, 3, 12, 0))
    optout = OPTOUT_RE.search(mail.outbox[0].body).group(1)
    pending, _ = visit(tree, touchpoint, local(2025, 3, 3, 11, 0), unit=tree.kallio)
    assert anon_client.get(optout).status_code == 200
    assert not OptOut.objects.exists()  # GET only asks (mail scanners follow links)
    assert anon_client.post(optout).status_code == 200
    assert OptOut.objects.filter(organisation=tree.org).count() == 1
    pending.invitation.refresh_from_db()
    assert pending.invitation.skip_reason == SkipReason.OPTED_OUT
    later, _ = visit(tree, touchpoint, local(2025, 9, 1, 10, 0), unit=tree.oulu)
    assert later.invitation.status == InvitationStatus.SKIPPED
    assert later.email == ""
    assert send_at(local(2025, 9, 5, 12, 0))["reminded"] == 0  # no reminder after opt-out
    assert len(mail.outbox) == 1
    assert anon_client.post(optout).status_code == 200  # repeat is harmless


def test_expired_link(tree, touchpoint, point, anon_client):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    send_at(local(2025, 3, 3, 12, 0))
    link = link_of(mail.outbox[0])
    with time_machine.travel(local(2025, 3, 17, 12, 1), tick=False):
        assert anon_client.get(link).status_code == 410
        assert anon_client.post(link, {"q-fft": "1"}).status_code == 410
    assert anon_client.get("/i/not-a-real-token/").status_code == 404
    assert anon_client.get("/optout/not-a-real-token/").status_code == 404


def test_idempotent_on_external_id_and_validation(tree, touchpoint, point):
    first, created = visit(tree, touchpoint, local(2025, 3, 3, 10, 0), external_id="abc")
    again, created_again = visit(tree, touchpoint, local(2025, 3, 3, 10, 0), external_id="abc")
    assert created and not created_again and first.pk == again.pk
    assert SurveyInvitation.objects.count() == 1
    with pytest.raises(ValidationError) as err:
        visit(tree, touchpoint, local(2025, 3, 3, 10, 0), email="", phone="")
    assert "email" in err.value.message_dict
    with pytest.raises(ValidationError):
        visit(tree, touchpoint, local(2025, 3, 3, 10, 0), email="not an address")
    with pytest.raises(ValidationError) as err:
        visit(tree, touchpoint, local(2025, 3, 3, 10, 0), language="de")
    assert "language" in err.value.message_dict


def test_no_survey_is_skipped(tree, touchpoint):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    assert send_at(local(2025, 3, 3, 12, 0))["skipped"] == 1
    assert SurveyInvitation.objects.get().skip_reason == SkipReason.NO_SURVEY


def test_sms_channel(tree, touchpoint, point):
    visit(tree, touchpoint, local(2025, 3, 3, 10, 0), email="", phone="040 123 4567",
          language="en")
    send_at(local(2025, 3, 3, 12, 0))
    assert len(sms.outbox) == 1
    assert sms.outbox[0].to == "+358401234567"
    assert "https://palaute.example/i/" in sms.outbox[0].body
    assert mail.outbox == []


def test_send_due_command_and_scheduling(tree, touchpoint, point, capsys):
    from django_tasks_db.models import DBTaskResult

    from kokemus.invitations.tasks import send_due_invitations

    visit(tree, touchpoint, local(2025, 3, 3, 10, 0))
    visit(tree, touchpoint, local(2025, 3, 3, 10, 1), email="x@example.fi")
    # on_commit callbacks do not run inside the test transaction; schedule directly
    from kokemus.invitations.tasks import enqueue_send_at

    with time_machine.travel(local(2025, 3, 3, 10, 2), tick=False):
        enqueue_send_at(local(2025, 3, 3, 11, 58))
        enqueue_send_at(local(2025, 3, 3, 12, 0))
    queued = DBTaskResult.objects.filter(task_path=send_due_invitations.module_path)
    assert queued.count() == 1
    assert queued.get().run_after == local(2025, 3, 3, 12, 0)
    with time_machine.travel(local(2025, 3, 3, 12, 5), tick=False):
        call_command("invitations", "send-due")
    assert '"sent": 2' in capsys.readouterr().out
    assert len(mail.outbox) == 2
