"""Every state change of the improvement loop: cases, praise, ideas and actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import SYSTEM, Actor, record
from kokemus.accounts.models import Membership, Organisation, Role, Unit, User
from kokemus.improvement.models import (
    CLOSED_STATUSES,
    IDEA_FLOW,
    CaseNote,
    CaseReason,
    CaseStatus,
    FollowUpCase,
    FollowUpSettings,
    Idea,
    IdeaComment,
    IdeaStatus,
    IdeaVote,
    ImprovementAction,
    Praise,
    TargetMetric,
)

NOTE_MAX = 4000

# --- Follow-up rules ------------------------------------------------------------------


def settings_for(organisation: Organisation | int) -> FollowUpSettings:
    """The organisation's follow-up rule; unsaved defaults when it has none."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    found = FollowUpSettings.objects.filter(organisation_id=org_id).first()
    return found or FollowUpSettings(organisation_id=org_id)


def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Monday–Friday; weekends are skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def local_date(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(ZoneInfo(zone_name)).date()


def case_reason(answers) -> tuple[str, int] | None:
    """The first rule a response's answers meet: (reason, score) or None."""
    rules = [
        ("nps", lambda v: v <= 6, CaseReason.DETRACTOR),
        ("csat", lambda v: v <= 2, CaseReason.LOW_CSAT),
        ("fft", lambda v: v in (4, 5), CaseReason.POOR_FFT),
        ("smiley", lambda v: v == 1, CaseReason.LOW_SMILEY),
    ]
    for qtype, test, reason in rules:
        for a in answers:
            if a.question_type == qtype and a.value is not None and test(a.value):
                return reason, a.value
    return None


def nearest_manager(unit: Unit) -> User | None:
    """The manager whose unit scope contains ``unit`` most closely; else an organisation-wide
    manager; else the first administrator."""
    best, best_depth = None, -2
    for m in (Membership.objects.filter(organisation_id=unit.organisation_id, role=Role.MANAGER,
                                        user__is_active=True)
              .select_related("unit", "user")):
        if m.unit is None:
            depth = -1
        elif unit.path.startswith(m.unit.path):
            depth = m.unit.depth
        else:
            continue
        if depth > best_depth:
            best, best_depth = m.user, depth
    if best is not None:
        return best
    admin = (Membership.objects.filter(organisation_id=unit.organisation_id, role=Role.ADMIN,
                                       user__is_active=True)
             .select_related("user").order_by("created_at", "pk").first())
    return admin.user if admin else None


def open_case(response, reason: str, score: int | None = None) -> FollowUpCase | None:
    """Open a follow-up case for a response, if consented and not already open."""
    if not (response.consent_contact and response.contact):
        return None
    if FollowUpCase.objects.filter(response=response).exists():
        return None
    unit = response.unit
    now = timezone.now()
    rule = settings_for(response.organisation_id)
    zone = unit.time_zone or "Europe/Helsinki"
    try:
        with transaction.atomic():
            case = FollowUpCase.objects.create(
                organisation_id=response.organisation_id, unit=unit, response=response,
                reason=reason, score=score, assignee=nearest_manager(unit),
                due_date=add_working_days(local_date(now, zone), rule.due_working_days),
                contact=response.contact, created_at=now)
            record(SYSTEM, "case.open", case, organisation=response.organisation,
                   changes={"reason": reason, "assignee": case.assignee_id,
                            "due_date": case.due_date})
    except IntegrityError:  # a racing receiver opened it first
        return None
    return case


def open_case_for_response(response) -> FollowUpCase | None:
    # Cases exist only for people who asked to be contacted: check that before any query.
    if not (response.consent_contact and response.contact):
        return None
    found = case_reason(list(response.answers.all()))
    if found is None:
        return None
    return open_case(response, *found)


def maybe_open_case_for_comment(analysis) -> FollowUpCase | None:
    """Hook for the background comment analysis: a complaint opens a case (with consent)."""
    if analysis.sentiment != "negative":
        return None
    response = analysis.answer.response
    return open_case(response, CaseReason.COMPLAINT)


def _check_case_actor(actor: Actor, case: FollowUpCase) -> None:
    if actor.user is None:
        return
    if case.assignee_id == actor.user.pk:
        return
    m = Membership.objects.filter(user=actor.user, organisation_id=case.organisation_id).first()
    if m is None or not m.can_manage_unit(case.unit):
        raise ValidationError({"status": _("Only the assignee or a manager of the unit can "
                                           "change this case.")})


def _clean_note(text: str, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({"text": _("Write a note.")})
    if len(text) > NOTE_MAX:
        raise ValidationError({"text": _("The note is too long.")})
    return text


CASE_FLOW = {
    CaseStatus.OPEN: (CaseStatus.CONTACTED, CaseStatus.COULD_NOT_REACH),
    CaseStatus.CONTACTED: (CaseStatus.RESOLVED, CaseStatus.COULD_NOT_REACH),
    CaseStatus.RESOLVED: (),
    CaseStatus.COULD_NOT_REACH: (),
}


def do_move_case(actor: Actor, case: FollowUpCase, status: str, note: str = "") -> FollowUpCase:
    """open → contacted → resolved / could_not_reach (open → could_not_reach too)."""
    _check_case_actor(actor, case)
    note = _clean_note(note)
    with transaction.atomic():
        # Check the move against the stored status of the locked row, not the caller's
        # copy, so two people moving the same case cannot skip a step.
        case = FollowUpCase.objects.select_for_update().get(pk=case.pk)
        if status not in CASE_FLOW.get(CaseStatus(case.status), ()):
            raise ValidationError({"status": _("This case cannot move to that status.")})
        before = case.status
        now = timezone.now()
        case.status = status
        if status == CaseStatus.CONTACTED and case.first_contact_at is None:
            case.first_contact_at = now
        if status in CLOSED_STATUSES:
            case.closed_at = now
        case.save(update_fields=["status", "first_contact_at", "closed_at"])
        if note:
            CaseNote.objects.create(organisation_id=case.organisation_id, case=case,
                                    author=actor.user, text=note)
        record(actor, "case.status", case, changes={"status": [before, status]})
    return case


def do_add_case_note(actor: Actor, case: FollowUpCase, text: str) -> CaseNote:
    _check_case_actor(actor, case)
    text = _clean_note(text, required=True)
    with transaction.atomic():
        note = CaseNote.objects.create(organisation_id=case.organisation_id, case=case,
                                       author=actor.user, text=text)
        record(actor, "case.note", case)
    return note


def do_save_followup_settings(actor: Actor, organisation: Organisation, *,
                              due_working_days: int, retention_days: int) -> FollowUpSettings:
    if not 1 <= due_working_days <= 30:
        raise ValidationError({"due_working_days": _("Choose 1 to 30 working days.")})
    if not 0 <= retention_days <= 365:
        raise ValidationError({"retention_days": _("Choose 0 to 365 days.")})
    with transaction.atomic():
        row, _created = FollowUpSettings.objects.update_or_create(
            organisation=organisation,
            defaults={"due_working_days": due_working_days, "retention_days": retention_days})
        record(actor, "followup.settings", row, organisation=organisation,
               changes={"due_working_days": due_working_days,
                        "retention_days": retention_days})
    return row


def purge_contacts(now: datetime | None = None) -> int:
    """Erase the contact details of cases closed longer ago than the retention period
    (the case's copy and ``Response.contact``). Returns how many cases were purged."""
    from kokemus.responses.models import Response

    now = now or timezone.now()
    done = 0
    candidates = (FollowUpCase.objects.filter(status__in=CLOSED_STATUSES,
                                              contact_erased_at__isnull=True,
                                              closed_at__isnull=False)
                  .select_related("organisation"))
    retention: dict[int, int] = {}
    for case in candidates:
        days = retention.setdefault(case.organisation_id,
                                    settings_for(case.organisation_id).retention_days)
        if case.closed_at + timedelta(days=days) > now:
            continue
        with transaction.atomic():
            FollowUpCase.objects.filter(pk=case.pk).update(contact="", contact_erased_at=now)
            if case.response_id:
                Response.objects.filter(pk=case.response_id).update(contact="")
            record(SYSTEM, "case.contact_erased", case, organisation=case.organisation)
        done += 1
    return done


# --- Praise ---------------------------------------------------------------------------


def maybe_route_praise(analysis) -> list[Praise]:
    """A positive comment naming staff becomes praise for each named person (not opted out)."""
    from kokemus.comments.models import StaffMention

    if analysis.sentiment != "positive":
        return []
    created = []
    mentions = (StaffMention.objects.filter(answer_id=analysis.answer_id)
                .select_related("membership", "answer__response"))
    for mention in mentions:
        if mention.membership.named_praise_opt_out:
            continue
        praise, new = Praise.objects.get_or_create(
            answer_id=analysis.answer_id, membership=mention.membership,
            defaults={"organisation_id": analysis.organisation_id,
                      "unit_id": mention.answer.response.unit_id})
        if new:
            created.append(praise)
    if created:
        from kokemus.improvement.tasks import notify_praise

        ids = [p.pk for p in created]
        transaction.on_commit(lambda: notify_praise.enqueue(ids))
    return created


def do_set_praise_opt_out(actor: Actor, membership: Membership, opt_out: bool) -> Membership:
    with transaction.atomic():
        before = membership.named_praise_opt_out
        Membership.objects.filter(pk=membership.pk).update(named_praise_opt_out=opt_out)
        membership.named_praise_opt_out = opt_out
        record(actor, "membership.praise_opt_out", membership,
               organisation=membership.organisation,
               changes={"named_praise_opt_out": [before, opt_out]})
    from kokemus.comments.ingest import forget_org_context

    forget_org_context(membership.organisation_id)
    return membership


# --- Ideas ----------------------------------------------------------------------------


def _notify_author(idea: Idea) -> None:
    if idea.author_id is None:
        return
    from kokemus.improvement.tasks import notify_idea_author

    pk, status = idea.pk, idea.status
    transaction.on_commit(lambda: notify_idea_author.enqueue(pk, status))


def do_submit_idea(actor: Actor, organisation: Organisation, *, title: str,
                   description: str = "", unit: Unit | None = None, touchpoint=None,
                   theme: str = "") -> Idea:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the idea a title.")})
    for obj in (unit, touchpoint):
        if obj is not None and obj.organisation_id != organisation.pk:
            raise ValidationError({"unit": _("Choose a unit of this organisation.")})
    with transaction.atomic():
        idea = Idea.objects.create(organisation=organisation, author=actor.user, title=title[:200],
                                   description=(description or "").strip(), unit=unit,
                                   touchpoint=touchpoint, theme=(theme or "").strip()[:64])
        record(actor, "idea.create", idea)
    return idea


def do_comment_idea(actor: Actor, idea: Idea, text: str) -> IdeaComment:
    text = _clean_note(text, required=True)
    with transaction.atomic():
        comment = IdeaComment.objects.create(organisation_id=idea.organisation_id, idea=idea,
                                             author=actor.user, text=text)
        record(actor, "idea.comment", idea)
    return comment


def do_toggle_vote(actor: Actor, idea: Idea) -> bool:
    """Vote for an idea, or take the vote back. Returns True when the actor now votes."""
    with transaction.atomic():
        deleted, _rows = IdeaVote.objects.filter(idea=idea, user=actor.user).delete()
        if deleted:
            record(actor, "idea.unvote", idea)
            return False
        try:
            with transaction.atomic():
                IdeaVote.objects.create(organisation_id=idea.organisation_id, idea=idea,
                                        user=actor.user)
        except IntegrityError:
            return True
        record(actor, "idea.vote", idea)
    return True


def can_decide_idea(membership: Membership, idea: Idea) -> bool:
    if idea.unit is None:
        return membership.has_role(Role.MANAGER)
    return membership.can_manage_unit(idea.unit)


def do_move_idea(actor: Actor, idea: Idea, status: str, reason: str = "") -> Idea:
    if status not in IDEA_FLOW.get(IdeaStatus(idea.status), ()):
        raise ValidationError({"status": _("The idea cannot move to that status.")})
    reason = (reason or "").strip()
    if status == IdeaStatus.DECLINED and not reason:
        raise ValidationError({"reason": _("Tell the author why the idea is declined.")})
    with transaction.atomic():
        before = idea.status
        idea.status = status
        if status == IdeaStatus.DECLINED:
            idea.decline_reason = reason
        idea.updated_at = timezone.now()
        idea.save(update_fields=["status", "decline_reason", "updated_at"])
        record(actor, "idea.status", idea, changes={"status": [before, status]})
        _notify_author(idea)
    return idea


# --- Actions --------------------------------------------------------------------------


def do_create_action(actor: Actor, organisation: Organisation, *, title: str,
                     units: list[Unit], start_date: date, target_metric: str,
                     expected_effect: float, owner: User | None = None, description: str = "",
                     touchpoint=None, ideas: list[Idea] = (), themes: list[str] = (),
                     goal=None) -> ImprovementAction:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the action a title.")})
    if not units:
        raise ValidationError({"units": _("Choose at least one unit.")})
    if any(u.organisation_id != organisation.pk for u in units) or (
            touchpoint is not None and touchpoint.organisation_id != organisation.pk):
        raise ValidationError({"units": _("Choose units of this organisation.")})
    if goal is not None and goal.organisation_id != organisation.pk:
        raise ValidationError({"goal": _("Choose a goal of this organisation.")})
    if target_metric not in TargetMetric.values:
        raise ValidationError({"target_metric": _("Choose a target metric.")})
    if expected_effect is None or expected_effect <= 0:
        raise ValidationError({"expected_effect": _("The expected effect must be positive.")})
    with transaction.atomic():
        action = ImprovementAction.objects.create(
            organisation=organisation, title=title[:200], description=description or "",
            owner=owner or actor.user, touchpoint=touchpoint, start_date=start_date,
            target_metric=target_metric, expected_effect=expected_effect,
            themes=[t for t in themes if t], goal=goal)
        action.units.set(units)
        action.ideas.set(ideas)
        record(actor, "action.create", action,
               changes={"units": [u.pk for u in units], "start_date": start_date,
                        "target_metric": target_metric, "ideas": [i.pk for i in ideas]})
        for idea in ideas:
            if idea.status == IdeaStatus.ACCEPTED:
                do_move_idea(actor, idea, IdeaStatus.IN_ACTION)
    return action
