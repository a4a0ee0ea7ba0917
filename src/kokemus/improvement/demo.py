"""Demo data for the improvement loop (``register_step(80, "improvement", …)``).

Cases in every state from generated responses whose respondents consented to contact, praise
from a few comments that name staff, ideas with votes, and two actions: the story's planted
"+8 NPS" coaching at the sites in ``planted_truths.yaml`` and one action without an effect.
Every part is skipped quietly when the data it needs is missing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.improvement import actions
from kokemus.improvement.models import (
    CaseStatus,
    FollowUpCase,
    FollowUpSettings,
    Idea,
    IdeaStatus,
    ImprovementAction,
    Praise,
    TargetMetric,
)

NO_EFFECT_START = date(2025, 9, 1)   # evaluated window ends before the coaching starts


def delete_demo_improvement(org) -> None:
    """``kokemus demo --reset``: the demo organisation's cases, praise, ideas and actions
    (a follow-up case protects its unit, so it must go before the units do)."""
    FollowUpCase.objects.filter(organisation=org).delete()
    Praise.objects.filter(organisation=org).delete()
    ImprovementAction.objects.filter(organisation=org).delete()
    Idea.objects.filter(organisation=org).delete()
    FollowUpSettings.objects.filter(organisation=org).delete()


def demo_improvement(ctx) -> None:
    demo = ctx.orgs.get("aurinko")
    if demo is None:
        return
    org = demo.organisation
    FollowUpSettings.objects.get_or_create(organisation=org)
    _cases(ctx, demo)
    _praise(demo)
    ideas = _ideas(ctx, demo)
    _actions(demo, ideas)


def _cases(ctx, demo) -> None:
    from kokemus.responses.models import Response

    org = demo.organisation
    candidates = (Response.objects.filter(organisation=org, consent_contact=True)
                  .exclude(contact="").order_by("-submitted_at")[:200])
    opened = []
    for response in candidates:
        case = actions.open_case_for_response(response)
        if case is not None:
            opened.append(case)
        if len(opened) >= 10:
            break
    now = timezone.now()
    plan = [[], [CaseStatus.CONTACTED], [CaseStatus.CONTACTED, CaseStatus.RESOLVED],
            [CaseStatus.COULD_NOT_REACH], [CaseStatus.CONTACTED]]
    for i, case in enumerate(opened):
        FollowUpCase.objects.filter(pk=case.pk).update(
            created_at=now - timedelta(hours=ctx.rng.randint(4, 70)))
        case.refresh_from_db()
        for status in plan[i % len(plan)]:
            actions.do_move_case(SYSTEM, case, status, note="Soitettu asiakkaalle.")


def _praise(demo) -> None:
    """Submit a few comments naming the Kamppi staff member and analyse them at once."""
    from kokemus.comments.analysis import analyse_answer_ids
    from kokemus.responses.actions import do_submit_response
    from kokemus.responses.models import Answer
    from kokemus.surveys.models import CollectionPoint

    staff = demo.users.get("staff")
    unit = demo.units.get("Aurinko-apteekki Kamppi")
    if staff is None or unit is None:
        return
    first = staff.full_name.split()[0] if staff.full_name else ""
    texts = [f"{first} oli todella ystävällinen ja neuvoi hyvin, kiitos!",
             f"Kiitos {first}! Sain erinomaista palvelua.",
             f"{first} auttoi ihanasti ja löysi sopivan tuotteen."]
    for cp in CollectionPoint.objects.filter(unit=unit).select_related("survey")[:5]:
        version = cp.survey.current_version
        if version is None:
            continue
        keys = {q["type"]: q["key"] for q in version.questions}
        if "nps" not in keys or "free_text" not in keys:
            continue
        free = [q for q in version.questions if q["type"] == "free_text"]
        text_key = next((q["key"] for q in free if not q.get("show_if")
                         or q["show_if"].get("op") == "gte"), free[0]["key"])
        ids = []
        for text in texts:
            try:
                response, _created = do_submit_response(
                    collection_point=cp, answers={keys["nps"]: 10, text_key: text},
                    language="fi", channel="qr")
            except ValidationError:
                return
            ids += list(Answer.objects.filter(response=response, question_type="free_text")
                        .values_list("pk", flat=True))
        analyse_answer_ids(ids)
        return


def _ideas(ctx, demo) -> list:
    org = demo.organisation
    staff, manager, admin = (demo.users.get(k) for k in ("staff", "manager", "admin"))
    if not (staff and manager and admin):
        return []
    unit = demo.units.get("Aurinko-apteekki Kamppi")
    specs = [("Jonotusnumeron näyttö myös ulko-ovelle", "waiting", staff, IdeaStatus.NEW),
             ("Reseptien uusimisesta muistutus tekstiviestillä", "advice", staff,
              IdeaStatus.UNDER_REVIEW),
             ("Henkilökohtaisen huomion valmennus", "attention", manager, IdeaStatus.ACCEPTED),
             ("Iltavuoroon kolmas farmaseutti maanantaisin", "waiting", staff,
              IdeaStatus.DECLINED)]
    ideas = []
    for title, theme, author, target in specs:
        idea = actions.do_submit_idea(Actor(user=author), org, title=title, unit=unit,
                                      theme=theme)
        voters = [u for u in (staff, manager, admin) if u != author]
        for voter in voters[: ctx.rng.randint(1, len(voters))]:
            actions.do_toggle_vote(Actor(user=voter), idea)
        path = {IdeaStatus.NEW: [], IdeaStatus.UNDER_REVIEW: [IdeaStatus.UNDER_REVIEW],
                IdeaStatus.ACCEPTED: [IdeaStatus.UNDER_REVIEW, IdeaStatus.ACCEPTED],
                IdeaStatus.DECLINED: [IdeaStatus.UNDER_REVIEW, IdeaStatus.DECLINED]}[target]
        for status in path:
            reason = "Ei budjettia tänä vuonna." if status == IdeaStatus.DECLINED else ""
            actions.do_move_idea(Actor(user=manager), idea, status, reason)
        ideas.append(idea)
    return ideas


def _actions(demo, ideas) -> None:
    from kokemus.demo.story import load_truths

    org = demo.organisation
    owner = demo.users.get("manager") or demo.users.get("admin")
    try:
        truth = load_truths().get("improvement_action") or {}
    except (OSError, ValueError):
        truth = {}
    sites = [demo.units[s] for s in truth.get("sites", []) if s in demo.units]
    if sites and truth.get("start"):
        start = truth["start"]
        start = start if isinstance(start, date) else date.fromisoformat(str(start))
        accepted = [i for i in ideas if i.status == IdeaStatus.ACCEPTED]
        actions.do_create_action(
            Actor(user=owner), org, title=truth.get("name") or "Coaching", units=sites,
            start_date=start, target_metric=TargetMetric.NPS,
            expected_effect=float(truth.get("nps_points") or 8), owner=owner,
            description="Valmennus asiakkaan yksilölliseen huomioimiseen.",
            ideas=accepted[:1], themes=["attention"])
    others = [demo.units[s] for s in ("Aurinko-apteekki Turku", "Aurinko-apteekki Oulu")
              if s in demo.units]
    if others:
        actions.do_create_action(
            Actor(user=owner), org, title="Uudet hyllyopasteet", units=others,
            start_date=NO_EFFECT_START, target_metric=TargetMetric.NPS, expected_effect=5.0,
            owner=owner, description="Selkeämmät opasteet itsehoitohyllyihin.",
            themes=["findability"])
