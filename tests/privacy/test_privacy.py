"""Retention, respondent erasure/export, consent wording, the audit log and the privacy page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog
from kokemus.analytics.models import DailyCount
from kokemus.analytics.rollups import count_from_raw
from kokemus.comments.models import CommentAnalysis
from kokemus.improvement.models import FollowUpCase
from kokemus.privacy import actions
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Answer, Response
from tests.security.dataset import build_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def ds(tree, admin):
    return build_dataset(tree, admin)


def submit(ds, *, days_ago=0, comment="Hyvä palvelu", contact="", token="", key=None):
    answers = {"nps": 3, "comment": comment}
    if contact:
        answers["contact"] = True
    response, _ = do_submit_response(
        collection_point=ds["point"], answers=answers, consent_contact=bool(contact),
        contact=contact, language="fi", channel="qr", respondent_token=token,
        idempotency_key=key or "", submitted_at=timezone.now() - dt.timedelta(days=days_ago))
    return response


def total_counts(org):
    return DailyCount.objects.filter(organisation=org).aggregate(n=Sum("count"))["n"] or 0


def test_retention_blanks_old_text_and_contacts_and_keeps_counts(ds, org):
    old = submit(ds, days_ago=800, comment="Vanha kommentti", contact="vanha@example.com")
    new = submit(ds, days_ago=10, comment="Uusi kommentti", contact="uusi@example.com")
    CommentAnalysis.objects.get_or_create(
        answer=Answer.objects.get(response=old, question_type="free_text"),
        defaults={"organisation": org, "language": "fi", "sentiment": "neutral", "score": 0,
                  "redacted": "Vanha kommentti"})
    FollowUpCase.objects.filter(response=old).update(contact="vanha@example.com")
    counts_before = total_counts(org)
    done = actions.purge_expired()
    assert done["free_text"] >= 1 and done["contacts"] >= 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.contact == "" and new.contact == "uusi@example.com"
    assert Answer.objects.get(response=old, question_type="free_text").text == ""
    assert Answer.objects.get(response=new, question_type="free_text").text == "Uusi kommentti"
    assert CommentAnalysis.objects.get(answer__response=old).redacted == ""
    assert not FollowUpCase.objects.filter(response=old).exclude(contact="").exists()
    assert Answer.objects.get(response=old, question_key="nps").value == 3  # scores stay
    assert total_counts(org) == counts_before
    assert AuditLog.objects.filter(action="privacy.retention_purge", organisation=org).exists()


def test_policy_zero_keeps_and_shorter_policy_purges(ds, org):
    r = submit(ds, days_ago=45, comment="Kuukauden vanha", contact="a@example.com")
    actions.do_set_policy(SYSTEM, org, free_text_months=0, contact_months=1)
    actions.purge_expired()
    r.refresh_from_db()
    assert r.contact == ""
    assert Answer.objects.get(response=r, question_type="free_text").text == "Kuukauden vanha"


def test_policy_validation(org):
    with pytest.raises(ValidationError):
        actions.do_set_policy(SYSTEM, org, free_text_months=-1, contact_months=500)


def test_erase_by_token_keeps_response_but_removes_personal_data(ds, org):
    r = submit(ds, comment="Nimeni on Matti", contact="matti@example.com", token="tok-1")
    other = submit(ds, comment="Toinen", token="tok-2")
    done = actions.do_erase_respondent(SYSTEM, org, token="tok-1")
    assert done["responses"] == 1 and done["deleted"] == 0
    r.refresh_from_db()
    assert r.contact == ""
    assert not Answer.objects.filter(response=r).exclude(text="").exists()
    assert Answer.objects.get(response=other, question_type="free_text").text == "Toinen"
    log = AuditLog.objects.get(action="privacy.respondent_erased")
    assert "matti" not in json.dumps(log.changes)


def test_erase_by_contact_with_delete_decrements_rollups(ds, org):
    base = total_counts(org)
    r1 = submit(ds, contact="Liisa@Example.com")
    submit(ds, contact="muu@example.com")
    with_two = total_counts(org)
    assert with_two > base
    done = actions.do_erase_respondent(SYSTEM, org, contact="liisa@example.com",
                                       delete_responses=True)
    assert done["deleted"] == 1
    assert not Response.objects.filter(pk=r1.pk).exists()
    # rollups equal a recount from the raw rows
    raw = count_from_raw(org.pk)
    stored = {k: v for k, v in raw.items() if v}
    assert total_counts(org) == sum(stored.values())


def test_erase_matches_invitation_contact_hash(ds, org):
    from kokemus.invitations.contact import contact_hash
    from kokemus.invitations.models import SurveyInvitation, VisitEvent

    r = submit(ds, comment="Kutsusta")
    digest = contact_hash(org.pk, "kutsuttu@example.com")
    visit = VisitEvent.objects.create(organisation=org, unit=ds["unit"], channel="email",
                                      occurred_at=timezone.now(), contact_hash=digest)
    SurveyInvitation.objects.create(
        organisation=org, visit=visit, collection_point=ds["point"], channel="email",
        contact_hash=contact_hash(org.pk, "kutsuttu@example.com"), salt="s1",
        token_hash="t" * 64, optout_hash="o" * 64, send_after=timezone.now(), response=r)
    found = actions.find_responses(org, contact=" Kutsuttu@example.com ")
    assert list(found) == [r]


def test_other_organisation_is_not_touched(ds, org, outsider):
    from tests.security.test_permission_matrix import build_org_tree_of

    other = build_dataset(build_org_tree_of(outsider), outsider)
    done = actions.do_erase_respondent(SYSTEM, org, token=f"resp-{other.org.slug}")
    assert done["responses"] == 0
    assert other["response"].__class__.objects.get(pk=other["response"].pk).contact


def test_export_contains_answers_and_consent_wording(ds, org):
    submit(ds, comment="Vienti", contact="vienti@example.com", token="tok-x")
    data = actions.export_respondent(SYSTEM, org, token="tok-x")
    (resp,) = data["responses"]
    assert resp["contact"] == "vienti@example.com"
    assert resp["consent_contact"] is True
    wording = resp["consent_wording"]
    assert wording["language"] == "fi" and wording["text"] and wording["question"] == "contact"
    assert any(a["text"] == "Vienti" for a in resp["answers"])
    json.dumps(data)


def test_no_consent_no_wording(ds):
    r = submit(ds)
    assert r.consent_contact is False and r.consent_wording == {} and r.contact == ""


def test_management_command(ds, org, capsys):
    submit(ds, token="cli-1", contact="cli@example.com")
    call_command("privacy", "export", "--org", org.slug, "--token", "cli-1")
    assert "cli@example.com" in capsys.readouterr().out
    call_command("privacy", "erase", "--org", org.slug, "--token", "cli-1", "--delete-responses")
    assert json.loads(capsys.readouterr().out)["deleted"] == 1
    call_command("privacy", "purge")
    assert "organisations" in json.loads(capsys.readouterr().out)


def test_audit_log_is_append_only_and_not_in_an_admin_site(admin, org):
    from django.apps import apps
    from django.conf import settings

    entry = AuditLog.objects.filter(organisation=org).first()
    assert entry is not None
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        AuditLog.objects.all().delete()
    with pytest.raises(PermissionDenied):
        AuditLog.objects.update(action="x")
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert not apps.is_installed("django.contrib.admin")
    with pytest.raises(NoReverseMatch):
        reverse("admin:index")


@pytest.mark.parametrize("lang,word", [("fi", "Tietosuoja"), ("sv", "Dataskydd"),
                                       ("en", "Privacy")])
def test_privacy_page_is_public_in_three_languages(client, lang, word):
    response = client.get("/privacy/", headers={"Accept-Language": lang})
    assert response.status_code == 200
    assert f"<h1>{word}</h1>" in response.content.decode()


def test_privacy_settings_and_respondent_views(admin_client, ds, org):
    url = f"/o/{org.slug}/privacy/"
    assert admin_client.get(url).status_code == 200
    r = admin_client.post(url, {"free_text_months": "6", "contact_months": "3"})
    assert r.status_code == 302
    assert actions.policy_for(org).free_text_months == 6
    assert admin_client.post(url, {"free_text_months": "-5", "contact_months": "x"}
                             ).status_code == 400
    submit(ds, token="web-1", contact="web@example.com")
    r = admin_client.post(url + "respondent/", {"token": "web-1", "op": "export"})
    assert r.status_code == 200 and b"web@example.com" in r.content
    r = admin_client.post(url + "respondent/", {"token": "web-1", "op": "erase"})
    assert r.status_code == 302
    assert not Response.objects.filter(respondent_token="web-1").exclude(contact="").exists()
    assert admin_client.post(url + "respondent/", {"op": "erase"}).status_code == 400
