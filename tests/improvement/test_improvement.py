"""Improvement loop: follow-up cases, praise, idea board, actions and their measured effect."""

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Membership
from kokemus.analytics.rollups import upsert_counts
from kokemus.comments.ingest import forget_org_context
from kokemus.comments.models import CommentAnalysis
from kokemus.improvement import actions
from kokemus.improvement.evaluation import evaluate
from kokemus.improvement.models import (
    CaseReminder,
    CaseStatus,
    FollowUpCase,
    Idea,
    IdeaStatus,
    Praise,
)
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Response
from kokemus.surveys import actions as survey_actions
from kokemus.surveys.questions import new_question
from tests.surveys.helpers import make_survey

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def point(tree, staff, manager):
    survey = make_survey(tree.org, questions=[
        new_question("nps", "nps"), new_question("csat", "csat"),
        new_question("free_text", "why", max_length=1000),
        new_question("contact_consent", "contact"),
    ])
    forget_org_context()
    return survey_actions.do_create_collection_point(SYSTEM, survey, unit=tree.kamppi)


def submit(point, capture, consent=True, **answers):
    with capture(execute=True):
        response, _ = do_submit_response(
            collection_point=point, answers=answers, language="fi", channel="link",
            consent_contact=consent, contact="asiakas@example.com" if consent else "")
    return response


# --- cases ------------------------------------------------------------------------------

@pytest.mark.parametrize("answers,reason", [
    ({"nps": 3}, "detractor"), ({"csat": 2}, "low_csat"), ({"nps": 6, "csat": 1}, "detractor"),
])
def test_unhappy_customer_with_consent_gets_a_case(point, manager, answers, reason,
                                                   django_capture_on_commit_callbacks):
    response = submit(point, django_capture_on_commit_callbacks, **answers)
    case = FollowUpCase.objects.get(response=response)
    assert case.reason == reason
    assert case.assignee == manager          # nearest manager (region Etelä) of Kamppi
    assert case.contact == "asiakas@example.com"
    assert case.due_date == actions.add_working_days(case.created_at.astimezone(HKI).date(), 2)


def test_no_case_without_consent_or_for_happy_customers(point,
                                                        django_capture_on_commit_callbacks):
    submit(point, django_capture_on_commit_callbacks, consent=False, nps=0)
    submit(point, django_capture_on_commit_callbacks, nps=9, csat=5)
    assert FollowUpCase.objects.count() == 0


def test_case_rules_fft_and_smiley():
    class A:
        def __init__(self, t, v):
            self.question_type, self.value = t, v
    assert actions.case_reason([A("fft", 4)])[0] == "poor_fft"
    assert actions.case_reason([A("fft", 5)])[0] == "poor_fft"
    assert actions.case_reason([A("fft", 3), A("smiley", 2)]) is None
    assert actions.case_reason([A("smiley", 1)])[0] == "low_smiley"


def test_admin_gets_the_case_when_no_manager_covers_the_unit(tree, admin):
    assert actions.nearest_manager(tree.oulu) == admin


def test_working_days_skip_weekends():
    friday = date(2026, 11, 20)
    assert actions.add_working_days(friday, 2) == date(2026, 11, 24)
    assert actions.add_working_days(date(2026, 11, 23), 2) == date(2026, 11, 25)


@override_settings(TASKS=IMMEDIATE)
def test_complaint_comment_opens_a_case_and_praise_is_routed(
        point, staff, manager, django_capture_on_commit_callbacks):
    response = submit(point, django_capture_on_commit_callbacks, nps=8,
                      why="Jono oli todella pitkä ja palvelu tylyä, huono kokemus.")
    analysis = CommentAnalysis.objects.get(answer__response=response)
    assert analysis.sentiment == "negative"
    assert FollowUpCase.objects.get(response=response).reason == "complaint"
    # Hook is idempotent.
    assert actions.maybe_open_case_for_comment(analysis) is None

    mail.outbox.clear()
    response = submit(point, django_capture_on_commit_callbacks, consent=False, nps=10,
                      why="Sanna oli ihana ja auttoi paljon, kiitos!")
    praise = Praise.objects.get(answer__response=response)
    assert praise.membership.user == staff
    recipients = {r for m in mail.outbox for r in m.to}
    assert {staff.email, manager.email} <= recipients
    assert all("Sanna" not in m.body for m in mail.outbox)   # redacted text only


@override_settings(TASKS=IMMEDIATE)
def test_opted_out_staff_get_no_praise(point, staff, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(user=staff)
    actions.do_set_praise_opt_out(Actor(user=staff), membership, True)
    submit(point, django_capture_on_commit_callbacks, consent=False, nps=10,
           why="Sanna oli ihana ja auttoi paljon, kiitos!")
    assert not Praise.objects.exists()


def test_case_flow_and_visibility(point, manager, admin, manager_client, admin_client,
                                  staff_client, outsider_client, tree,
                                  django_capture_on_commit_callbacks):
    response = submit(point, django_capture_on_commit_callbacks, nps=2)
    case = FollowUpCase.objects.get(response=response)
    url = reverse("case_detail", args=[tree.org.slug, case.pk])
    assert "asiakas@example.com" in manager_client.get(url).content.decode()
    page = admin_client.get(reverse("case_list", args=[tree.org.slug])).content.decode()
    assert "asiakas@example.com" not in page and f"case-{case.pk}" in page
    assert "asiakas@example.com" not in admin_client.get(url).content.decode()
    assert staff_client.get(url).status_code == 404          # not assigned to staff
    assert outsider_client.get(url.replace(tree.org.slug, "toinen")).status_code == 404
    with pytest.raises(ValidationError):
        actions.do_move_case(Actor(user=manager), case, CaseStatus.RESOLVED)
    assert manager_client.post(url, {"op": "contacted", "text": "Soitin."}).status_code == 302
    manager_client.post(url, {"op": "resolved", "text": ""})
    case.refresh_from_db()
    assert case.status == "resolved" and case.first_contact_at and case.closed_at
    assert case.notes.count() == 1
    assert manager_client.get(reverse("case_list", args=[tree.org.slug])).status_code == 200


def test_contact_details_are_erased_after_retention(point, manager,
                                                    django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=HKI), tick=False):
        response = submit(point, django_capture_on_commit_callbacks, nps=1)
        case = FollowUpCase.objects.get(response=response)
        actions.do_move_case(Actor(user=manager), case, CaseStatus.COULD_NOT_REACH)
    with time_machine.travel(datetime(2026, 6, 30, 9, tzinfo=HKI), tick=False):
        call_command("cases", "purge")
        assert Response.objects.get(pk=response.pk).contact == "asiakas@example.com"
    with time_machine.travel(datetime(2026, 7, 2, 9, tzinfo=HKI), tick=False):
        call_command("cases", "purge")
    case.refresh_from_db()
    assert case.contact == "" and case.contact_erased_at is not None
    assert Response.objects.get(pk=response.pk).contact == ""


def test_reminders_are_sent_once(point, manager, admin, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 11, 23, 9, tzinfo=HKI), tick=False):  # Monday
        response = submit(point, django_capture_on_commit_callbacks, nps=1)
    case = FollowUpCase.objects.get(response=response)
    assert case.due_date == date(2026, 11, 25)
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 11, 24, 8, tzinfo=HKI), tick=False):
        call_command("cases", "remind")
        call_command("cases", "remind")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [manager.email]
    with time_machine.travel(datetime(2026, 11, 26, 8, tzinfo=HKI), tick=False):
        call_command("cases", "remind")
        call_command("cases", "remind")
    assert len(mail.outbox) == 2 and set(mail.outbox[1].to) == {manager.email, admin.email}
    assert CaseReminder.objects.filter(case=case).count() == 2


def test_median_time_to_first_contact(point, manager, django_capture_on_commit_callbacks):
    from kokemus.improvement.views import median_hours_to_contact

    with time_machine.travel(datetime(2026, 11, 23, 9, tzinfo=HKI), tick=False):
        r1 = submit(point, django_capture_on_commit_callbacks, nps=1)
        r2 = submit(point, django_capture_on_commit_callbacks, nps=2)
    for r, hours in ((r1, 2), (r2, 6)):
        with time_machine.travel(datetime(2026, 11, 23, 9 + hours, tzinfo=HKI), tick=False):
            actions.do_move_case(Actor(user=manager), FollowUpCase.objects.get(response=r),
                                 CaseStatus.CONTACTED)
    assert median_hours_to_contact(FollowUpCase.objects.all()) == pytest.approx(4.0)


# --- ideas ------------------------------------------------------------------------------

@override_settings(TASKS=IMMEDIATE)
def test_idea_flow_votes_and_author_notices(tree, staff, manager, admin,
                                            django_capture_on_commit_callbacks):
    idea = actions.do_submit_idea(Actor(user=staff), tree.org, title="Jonotusnäyttö",
                                  unit=tree.kamppi, theme="waiting")
    assert actions.do_toggle_vote(Actor(user=manager), idea) is True
    assert actions.do_toggle_vote(Actor(user=admin), idea) is True
    assert actions.do_toggle_vote(Actor(user=admin), idea) is False
    assert idea.votes.count() == 1
    mail.outbox.clear()
    with pytest.raises(ValidationError):
        actions.do_move_idea(Actor(user=manager), idea, IdeaStatus.DONE)
    with pytest.raises(ValidationError):
        actions.do_move_idea(Actor(user=manager), idea, IdeaStatus.DECLINED)  # no reason
    with pytest.raises(ValidationError):
        actions.do_move_idea(Actor(user=manager), idea, IdeaStatus.IN_ACTION)
    with django_capture_on_commit_callbacks(execute=True):
        for status in (IdeaStatus.UNDER_REVIEW, IdeaStatus.ACCEPTED):
            actions.do_move_idea(Actor(user=manager), idea, status)
        action = actions.do_create_action(Actor(user=manager), tree.org, title="Näyttö",
                                          units=[tree.kamppi], start_date=date(2026, 12, 1),
                                          target_metric="nps", expected_effect=5, ideas=[idea])
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.IN_ACTION and list(action.ideas.all()) == [idea]
    assert [m.to for m in mail.outbox] == [[staff.email]] * 3


def test_idea_pages_and_permissions(tree, staff, manager, staff_client, manager_client,
                                    outsider_client):
    base = reverse("idea_list", args=[tree.org.slug])
    r = staff_client.post(base, {"title": "Parempi opastus", "unit": tree.kamppi.pk})
    assert r.status_code == 302
    idea = Idea.objects.get()
    detail = reverse("idea_detail", args=[tree.org.slug, idea.pk])
    vote = reverse("idea_vote", args=[tree.org.slug, idea.pk])
    assert manager_client.post(vote, HTTP_HX_REQUEST="true").status_code == 200
    assert staff_client.post(detail, {"op": "move", "status": "under_review"}).status_code == 403
    assert manager_client.post(detail, {"op": "move", "status": "under_review"}).status_code \
        == 302
    assert staff_client.get(base).status_code == 200
    assert outsider_client.get(detail.replace(tree.org.slug, "toinen")).status_code == 404
    assert staff_client.get(reverse("action_create", args=[tree.org.slug])).status_code == 403


# --- praise pages -----------------------------------------------------------------------

def test_kudos_and_my_praise_pages(tree, staff, staff_client, outsider_client):
    assert staff_client.get(reverse("kudos_team", args=[tree.org.slug])).status_code == 200
    wall = reverse("kudos_wall", args=[tree.org.slug, tree.kamppi.pk])
    assert staff_client.get(wall).status_code == 200
    assert staff_client.get(reverse("kudos_wall", args=[tree.org.slug, tree.oulu.pk])) \
        .status_code == 404
    mine = reverse("my_praise", args=[tree.org.slug])
    staff_client.post(mine, {"opt_out": "1"})
    assert Membership.objects.get(user=staff).named_praise_opt_out is True
    assert outsider_client.get(mine).status_code == 404


# --- actions and impact -----------------------------------------------------------------

def plant_nps(org, unit, start, days, promoters, passives, detractors):
    """Spread NPS counts evenly over ``days`` days as rollup rows."""
    rows = Counter()
    for i in range(days):
        day = start + timedelta(days=i)
        for value, total in ((10, promoters), (8, passives), (3, detractors)):
            n = total // days + (1 if i < total % days else 0)
            if n:
                rows[(org.pk, unit.pk, 0, "qr", "fi", "nps", "nps", day, value, "")] += n
    upsert_counts(rows)


@pytest.fixture
def chain(tree):
    from kokemus.accounts import actions as acc

    extra = [acc.do_create_unit(SYSTEM, tree.org, name=f"Site {i}", parent=tree.south)
             for i in range(3)]
    return [tree.kamppi, tree.kallio, *extra]


def make_action(tree, manager, units, start):
    return actions.do_create_action(Actor(user=manager), tree.org, title="Valmennus",
                                    units=units, start_date=start, target_metric="nps",
                                    expected_effect=8)


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=HKI), tick=False)
def test_planted_effect_is_claimed_with_interval(tree, manager, chain):
    start = date(2026, 3, 1)
    treated, controls = chain[:2], chain[2:]
    for u in treated:
        plant_nps(tree.org, u, start - timedelta(days=92), 92, 300, 200, 100)   # NPS 33
        plant_nps(tree.org, u, start, 92, 345, 190, 65)                          # NPS 47
    for u in controls:
        plant_nps(tree.org, u, start - timedelta(days=92), 92, 300, 200, 100)
        plant_nps(tree.org, u, start, 92, 305, 200, 95)                          # NPS 35
    ev = evaluate(make_action(tree, manager, treated, start))
    assert ev.state == "improved" and ev.did is not None
    assert float(ev.did.low) > 0
    assert {u.pk for u in ev.controls} == {u.pk for u in controls}
    assert "95" in ev.verdict
    assert ev.spc_note


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=HKI), tick=False)
def test_no_effect_is_not_claimed_and_more_responses_are_estimated(tree, manager, chain):
    start = date(2026, 3, 1)
    for u in chain:
        plant_nps(tree.org, u, start - timedelta(days=92), 92, 60, 40, 20)
        plant_nps(tree.org, u, start, 92, 61, 40, 19)
    ev = evaluate(make_action(tree, manager, chain[:2], start))
    assert ev.state == "no_change" and not ev.claimed
    assert ev.more_needed and ev.more_needed > 0


def test_action_not_started_and_too_few(tree, manager, chain):
    ev = evaluate(make_action(tree, manager, chain[:1], date(2030, 1, 1)))
    assert ev.state == "not_started"
    ev = evaluate(make_action(tree, manager, chain[:1], date(2026, 1, 1)),
                  today=date(2026, 2, 1))
    assert ev.state == "too_few" and not ev.claimed


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=HKI), tick=False)
def test_action_and_meeting_pages(tree, manager, staff, manager_client, staff_client, chain,
                                  outsider_client):
    start = date(2026, 3, 1)
    plant_nps(tree.org, tree.kamppi, date(2026, 4, 1), 61, 50, 30, 20)
    r = manager_client.post(reverse("action_create", args=[tree.org.slug]), {
        "title": "Valmennus", "units": [tree.kamppi.pk], "start_date": start.isoformat(),
        "target_metric": "nps", "expected_effect": "8"})
    assert r.status_code == 302
    assert staff_client.get(reverse("action_list", args=[tree.org.slug])).status_code == 200
    assert staff_client.get(r["Location"]).status_code == 200
    meeting = reverse("meeting", args=[tree.org.slug, tree.kamppi.pk])
    assert staff_client.get(meeting + "?month=2026-05").status_code == 200
    assert staff_client.get(meeting + "?month=bad").status_code == 200
    assert outsider_client.get(meeting.replace(tree.org.slug, "toinen")).status_code == 404
    assert staff_client.get(reverse("improvement_home", args=[tree.org.slug])).status_code \
        == 200


def test_settings_page_admin_only(tree, admin_client, manager_client):
    url = reverse("followup_settings", args=[tree.org.slug])
    assert manager_client.get(url).status_code == 403
    assert admin_client.post(url, {"due_working_days": 3, "retention_days": 10}).status_code \
        == 302
    assert actions.settings_for(tree.org).due_working_days == 3


def test_demo_step_guards_missing_data(tree, admin, manager, staff):
    import random

    from kokemus.demo import DemoContext, DemoOrg
    from kokemus.improvement.demo import demo_improvement

    demo_improvement(DemoContext(seed=1, rng=random.Random(1)))          # no organisations
    ctx = DemoContext(seed=1, rng=random.Random(1))
    ctx.orgs["aurinko"] = DemoOrg(tree.org, units={"Aurinko-apteekki Kamppi": tree.kamppi},
                                  users={"admin": admin, "manager": manager, "staff": staff})
    demo_improvement(ctx)
    assert Idea.objects.filter(organisation=tree.org).count() == 4


def test_case_moves_are_checked_against_the_stored_status(point, manager,
                                                          django_capture_on_commit_callbacks):
    """Regression: a stale case object (status still "open") must not block a valid move
    from the stored status, and must not allow an invalid one."""
    response = submit(point, django_capture_on_commit_callbacks, nps=2)
    stale = FollowUpCase.objects.get(response=response)
    actions.do_move_case(Actor(user=manager), stale, CaseStatus.CONTACTED)
    resolved = actions.do_move_case(Actor(user=manager), stale, CaseStatus.RESOLVED)
    assert resolved.status == CaseStatus.RESOLVED
    with pytest.raises(ValidationError):
        actions.do_move_case(Actor(user=manager), stale, CaseStatus.CONTACTED)
