"""Improvement pages: follow-up cases, kudos, idea board, actions and the team meeting page."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role, Unit
from kokemus.accounts.permissions import org_view, visible_unit_or_404
from kokemus.accounts.views import _add_errors
from kokemus.comments.analysis import display_text, taxonomy_for
from kokemus.comments.models import CommentAnalysis
from kokemus.improvement import actions
from kokemus.improvement.evaluation import SPEC, Period, evaluate
from kokemus.improvement.forms import (
    ActionForm,
    CommentForm,
    IdeaForm,
    IdeaMoveForm,
    NoteForm,
    SettingsForm,
)
from kokemus.improvement.models import (
    CLOSED_STATUSES,
    IDEA_FLOW,
    CaseStatus,
    FollowUpCase,
    Idea,
    IdeaStatus,
    IdeaVote,
    ImprovementAction,
    Praise,
    TargetMetric,
)
from kokemus.metrics import compare

# --- helpers ----------------------------------------------------------------------------


def _visible_unit_ids(membership) -> list[int]:
    return list(membership.visible_units().values_list("pk", flat=True))


def _cases_for(request):
    cases = FollowUpCase.objects.filter(organisation=request.org).select_related(
        "unit", "assignee")
    m = request.membership
    if m.has_role(Role.MANAGER):
        return cases.filter(unit_id__in=_visible_unit_ids(m))
    return cases.filter(assignee=request.user)


def median_hours_to_contact(cases) -> float | None:
    hours = [(c.first_contact_at - c.created_at).total_seconds() / 3600.0
             for c in cases.filter(first_contact_at__isnull=False).select_related(None)
             .only("first_contact_at", "created_at")]
    return statistics.median(hours) if hours else None


def _subtree(unit: Unit):
    return Unit.objects.subtree(unit)


def _person_label(praise: Praise) -> str:
    if praise.membership.named_praise_opt_out:
        return _("A team member")
    return str(praise.membership.user)


# --- home -------------------------------------------------------------------------------


@org_view()
def improvement_home(request):
    m = request.membership
    ctx = {"is_manager": m.has_role(Role.MANAGER),
           "units": m.visible_units().active().filter(kind__in=["site", "department"])[:50],
           "month": timezone.localdate().strftime("%Y-%m")}
    if ctx["is_manager"]:
        cases = _cases_for(request)
        ctx["open_cases"] = cases.exclude(status__in=CLOSED_STATUSES).count()
    ctx["new_ideas"] = Idea.objects.filter(organisation=request.org,
                                           status=IdeaStatus.NEW).count()
    ctx["my_praise"] = Praise.objects.filter(membership=m).count()
    return render(request, "improvement/home.html", ctx)


# --- cases ------------------------------------------------------------------------------


@org_view()
def case_list(request):
    cases = _cases_for(request)
    show = request.GET.get("show", "open")
    listed = cases if show == "all" else cases.exclude(status__in=CLOSED_STATUSES)
    today = timezone.localdate()
    since = timezone.now() - timedelta(days=90)
    median = median_hours_to_contact(cases.filter(created_at__gte=since))
    rows = [{"case": c, "overdue": c.is_overdue(today),
             "contact": c.contact if c.assignee_id == request.user.pk else None}
            for c in listed[:200]]
    return render(request, "improvement/case_list.html", {
        "rows": rows, "show": show, "median_hours": median,
        "open_count": cases.exclude(status__in=CLOSED_STATUSES).count(),
        "is_admin": request.membership.role == Role.ADMIN,
    })


@org_view()
def case_detail(request, pk: int):
    case = get_object_or_404(_cases_for(request), pk=pk)
    form = NoteForm()
    if request.method == "POST":
        form = NoteForm(request.POST)
        op = request.POST.get("op", "")
        actor = Actor.from_request(request)
        if form.is_valid():
            try:
                if op == "note":
                    actions.do_add_case_note(actor, case, form.cleaned_data["text"])
                    messages.success(request, _("Note added."))
                elif op in CaseStatus.values:
                    actions.do_move_case(actor, case, op, form.cleaned_data["text"])
                    messages.success(request, _("Case updated."))
                else:
                    raise ValidationError({"text": _("Unknown operation.")})
                return redirect("case_detail", org_slug=request.org.slug, pk=case.pk)
            except ValidationError as exc:
                _add_errors(form, exc)
    answers = []
    if case.response_id:
        for a in case.response.answers.all():
            if a.question_type == "free_text":
                answers.append((a.question_key, display_text(a)))
            elif a.question_type != "contact_consent":
                answers.append((a.question_key, a.value if a.value is not None else a.choice))
    return render(request, "improvement/case_detail.html", {
        "case": case, "form": form, "answers": answers,
        "is_assignee": case.assignee_id == request.user.pk,
        "moves": actions.CASE_FLOW[CaseStatus(case.status)],
        "status_labels": dict(CaseStatus.choices),
        "notes": case.notes.select_related("author"),
        "overdue": case.is_overdue(),
    })


@org_view(Role.ADMIN)
def followup_settings(request):
    current = actions.settings_for(request.org)
    form = SettingsForm(request.POST or None, initial={
        "due_working_days": current.due_working_days,
        "retention_days": current.retention_days})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_followup_settings(Actor.from_request(request), request.org,
                                              **form.cleaned_data)
            messages.success(request, _("Follow-up rule saved."))
            return redirect("case_list", org_slug=request.org.slug)
        except ValidationError as exc:
            _add_errors(form, exc)
    return render(request, "improvement/settings.html", {"form": form})


# --- praise -----------------------------------------------------------------------------


def _praise_rows(praise_qs):
    return [{"praise": p, "person": _person_label(p), "text": display_text(p.answer)}
            for p in praise_qs.select_related("membership__user", "answer__analysis", "unit")]


@org_view()
def kudos_team(request):
    units = request.membership.visible_units().active()
    since = timezone.now() - timedelta(days=90)
    praise = Praise.objects.filter(organisation=request.org, unit__in=units,
                                   created_at__gte=since)
    people = Counter()
    for p in praise.select_related("membership__user"):
        people[_person_label(p)] += 1
    per_unit = dict(praise.values_list("unit").annotate(n=Count("id")))
    return render(request, "improvement/kudos_team.html", {
        "people": people.most_common(), "units": [
            (u, per_unit.get(u.pk, 0)) for u in units
            if u.kind in ("site", "department") or per_unit.get(u.pk)],
    })


@org_view()
def kudos_wall(request, unit_pk: int):
    unit = visible_unit_or_404(request, unit_pk)
    praise = Praise.objects.filter(organisation=request.org, unit__in=_subtree(unit))[:60]
    return render(request, "improvement/kudos_wall.html", {
        "unit": unit, "rows": _praise_rows(praise)})


@org_view()
def my_praise(request):
    m = request.membership
    if request.method == "POST":
        actions.do_set_praise_opt_out(Actor.from_request(request), m,
                                      request.POST.get("opt_out") == "1")
        messages.success(request, _("Your choice was saved."))
        return redirect("my_praise", org_slug=request.org.slug)
    return render(request, "improvement/my_praise.html", {
        "rows": _praise_rows(Praise.objects.filter(membership=m)[:100]),
        "opted_out": m.named_praise_opt_out})


# --- ideas ------------------------------------------------------------------------------


def _ideas(request):
    return (Idea.objects.filter(organisation=request.org)
            .select_related("author", "unit", "touchpoint")
            .annotate(vote_count=Count("votes", distinct=True),
                      comment_count=Count("comments", distinct=True),
                      my_vote=Exists(IdeaVote.objects.filter(idea=OuterRef("pk"),
                                                             user=request.user))))


@org_view()
def idea_list(request):
    form = IdeaForm(membership=request.membership)
    if request.method == "POST":
        form = IdeaForm(request.POST, membership=request.membership)
        if form.is_valid():
            try:
                idea = actions.do_submit_idea(Actor.from_request(request), request.org,
                                              **form.cleaned_data)
                messages.success(request, _("Thank you! Your idea is on the board."))
                return redirect("idea_detail", org_slug=request.org.slug, pk=idea.pk)
            except ValidationError as exc:
                _add_errors(form, exc)
    status = request.GET.get("status", "")
    ideas = _ideas(request)
    if status in IdeaStatus.values:
        ideas = ideas.filter(status=status)
    return render(request, "improvement/idea_list.html", {
        "ideas": ideas.order_by("-vote_count", "-created_at")[:200], "form": form,
        "status": status, "statuses": IdeaStatus.choices})


@org_view()
def idea_detail(request, pk: int):
    idea = get_object_or_404(_ideas(request), pk=pk)
    can_decide = actions.can_decide_idea(request.membership, idea)
    comment_form, move_form = CommentForm(), IdeaMoveForm()
    if request.method == "POST":
        actor = Actor.from_request(request)
        op = request.POST.get("op")
        try:
            if op == "comment":
                comment_form = CommentForm(request.POST)
                if comment_form.is_valid():
                    actions.do_comment_idea(actor, idea, comment_form.cleaned_data["text"])
                    return redirect("idea_detail", org_slug=request.org.slug, pk=idea.pk)
            elif op == "move":
                if not can_decide:
                    raise PermissionDenied
                move_form = IdeaMoveForm(request.POST)
                if move_form.is_valid():
                    actions.do_move_idea(actor, idea, move_form.cleaned_data["status"],
                                         move_form.cleaned_data["reason"])
                    messages.success(request, _("The idea moved; its author was told."))
                    return redirect("idea_detail", org_slug=request.org.slug, pk=idea.pk)
        except ValidationError as exc:
            _add_errors(move_form if op == "move" else comment_form, exc)
    moves = IDEA_FLOW[IdeaStatus(idea.status)]
    move_form.fields["status"].choices = [(s.value, s.label) for s in moves]
    return render(request, "improvement/idea_detail.html", {
        "idea": idea, "comments": idea.comments.select_related("author"),
        "comment_form": comment_form, "move_form": move_form,
        "can_decide": can_decide and bool(moves),
        "can_act": can_decide and idea.status == IdeaStatus.ACCEPTED,
        "actions": idea.actions.all()})


@org_view()
@require_POST
def idea_vote(request, pk: int):
    idea = get_object_or_404(Idea, pk=pk, organisation=request.org)
    voted = actions.do_toggle_vote(Actor.from_request(request), idea)
    if request.htmx:
        return render(request, "improvement/_vote.html", {
            "idea": idea, "voted": voted, "vote_count": idea.votes.count(),
            "announce": True})
    return redirect(_safe_next(request))


def _safe_next(request) -> str:
    nxt = request.POST.get("next", "")
    prefix = f"/o/{request.org.slug}/improvement/"
    return nxt if nxt.startswith(prefix) else prefix + "ideas/"


# --- actions ----------------------------------------------------------------------------


@org_view()
def action_list(request):
    items = (ImprovementAction.objects.filter(organisation=request.org)
             .prefetch_related("units").select_related("owner"))
    visible = set(_visible_unit_ids(request.membership))
    rows = []
    for a in items[:100]:
        if not any(u.pk in visible for u in a.units.all()):
            continue
        rows.append({"action": a, "evaluation": evaluate(a)})
    return render(request, "improvement/action_list.html", {
        "rows": rows, "is_manager": request.membership.has_role(Role.MANAGER)})


@org_view(Role.MANAGER)
def action_create(request):
    m = request.membership
    initial = {}
    idea = None
    if request.GET.get("idea"):
        idea = get_object_or_404(Idea, pk=request.GET["idea"], organisation=request.org)
        initial = {"title": idea.title, "description": idea.description,
                   "ideas": [idea.pk], "touchpoint": idea.touchpoint_id,
                   "themes": idea.theme, "units": [idea.unit_id] if idea.unit_id else []}
    form = ActionForm(request.POST or None, membership=m, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        units = list(d["units"])
        if not all(m.can_manage_unit(u) for u in units):
            raise PermissionDenied
        try:
            action = actions.do_create_action(
                Actor.from_request(request), request.org, title=d["title"],
                description=d["description"], units=units, touchpoint=d["touchpoint"],
                start_date=d["start_date"], target_metric=d["target_metric"],
                expected_effect=d["expected_effect"], ideas=list(d["ideas"]),
                themes=d["themes"], goal=d["goal"])
            messages.success(request, _("Action created."))
            return redirect("action_detail", org_slug=request.org.slug, pk=action.pk)
        except ValidationError as exc:
            _add_errors(form, exc)
    return render(request, "improvement/action_form.html", {"form": form, "idea": idea})


@org_view()
def action_detail(request, pk: int):
    action = get_object_or_404(
        ImprovementAction.objects.select_related("owner", "touchpoint"),
        pk=pk, organisation=request.org)
    units = list(action.units.all())
    if not any(request.membership.can_see_unit(u) for u in units):
        raise Http404
    return render(request, "improvement/action_detail.html", {
        "action": action, "units": units, "evaluation": evaluate(action),
        "ideas": action.ideas.all()})


# --- team meeting -----------------------------------------------------------------------


def _month(value: str | None) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


MEETING_MIN_N = 10


def _goal_targets(unit: Unit) -> dict[str, float]:
    """Nearest goal target per metric: the unit's own, an ancestor's, or the organisation's."""
    from kokemus.goals.models import Goal

    best: dict[str, tuple[int, float]] = {}
    for g in (Goal.objects.filter(organisation_id=unit.organisation_id, archived_at__isnull=True,
                                  target__isnull=False, touchpoint__isnull=True)
              .select_related("unit")):
        if g.unit is None:
            depth = -1
        elif unit.path.startswith(g.unit.path):
            depth = g.unit.depth
        else:
            continue
        if g.metric not in best or depth > best[g.metric][0]:
            best[g.metric] = (depth, g.target)
    return {k: v for k, (_d, v) in best.items()}


def _results(org_id, unit_ids, month, prev, nxt, goals=None):
    from kokemus.improvement.evaluation import _counts

    goals = goals or {}
    rows = []
    for metric, (qtype, positive) in SPEC.items():
        now = _counts(org_id, unit_ids, qtype, month, nxt)
        before = _counts(org_id, unit_ids, qtype, prev, month)
        if now.n == 0 and before.n == 0:
            continue
        row = {"label": TargetMetric(metric).label, "n": now.n, "prev_n": before.n,
               "value": None, "prev": None, "change": None, "unit_pct": metric != "nps",
               "goal": goals.get(metric)}
        if now.n >= MEETING_MIN_N:
            row["value"] = now.value(metric)
        if before.n >= MEETING_MIN_N:
            row["prev"] = before.value(metric)
        if row["value"] is not None and row["prev"] is not None:
            row["change"] = _change(metric, now, before, positive)
        rows.append(row)
    return rows


def _change(metric, now: Period, before: Period, positive):
    if metric == "nps":
        d = compare.nps_difference(*now.nps_parts(), *before.nps_parts())
        scale = 1.0
    else:
        d = compare.proportion_difference(now.successes(positive), now.n,
                                          before.successes(positive), before.n)
        scale = 100.0
    low, high = float(d.low) * scale, float(d.high) * scale
    return {"value": float(d.value) * scale, "low": low, "high": high,
            "clear": low > 0 or high < 0}


@org_view()
def meeting(request, unit_pk: int):
    unit = visible_unit_or_404(request, unit_pk)
    month = _month(request.GET.get("month"))
    nxt, prev = _next_month(month), (month - timedelta(days=1)).replace(day=1)
    org = request.org
    unit_ids = list(_subtree(unit).values_list("pk", flat=True))
    lang = (get_language() or "fi")[:2]
    # Top themes this month with two example comments each (always redacted).
    analyses = (CommentAnalysis.objects.filter(
        organisation=org, answer__response__unit_id__in=unit_ids,
        answer__response__submitted_at__date__gte=month,
        answer__response__submitted_at__date__lt=nxt).select_related("answer"))
    theme_counts: Counter = Counter()
    examples: dict[str, list[str]] = {}
    for a in analyses[:5000]:
        for t in a.themes:
            theme_counts[t["key"]] += 1
            if len(examples.setdefault(t["key"], [])) < 2:
                examples[t["key"]].append(display_text(a.answer))
    taxonomy = {t.key: t.label_for(lang) for t in taxonomy_for(org.pk)}
    themes = [{"label": taxonomy.get(k, k), "count": n, "examples": examples.get(k, [])}
              for k, n in theme_counts.most_common(5)]
    praise = Praise.objects.filter(organisation=org, unit_id__in=unit_ids,
                                   created_at__date__gte=month, created_at__date__lt=nxt)[:10]
    open_cases = (FollowUpCase.objects.filter(organisation=org, unit_id__in=unit_ids)
                  .exclude(status__in=CLOSED_STATUSES).select_related("unit"))
    ideas = (Idea.objects.filter(organisation=org)
             .filter(Q(unit_id__in=unit_ids) | Q(unit__isnull=True))
             .filter(status__in=[IdeaStatus.NEW, IdeaStatus.UNDER_REVIEW])
             .annotate(vote_count=Count("votes"))
             .order_by("-vote_count", "created_at")[:10])
    ancestors = [u for u in Unit.objects.filter(organisation=org) if unit.path.startswith(u.path)]
    unit_actions = (ImprovementAction.objects.filter(organisation=org)
                    .filter(Q(units__in=unit_ids) | Q(units__in=ancestors)).distinct())
    return render(request, "improvement/meeting.html", {
        "unit": unit, "month": month, "prev_month": prev, "next_month": nxt,
        "results": _results(org.pk, unit_ids, month, prev, nxt, _goal_targets(unit)), "themes": themes,
        "praise": _praise_rows(praise), "open_cases": open_cases[:20],
        "open_count": open_cases.count(), "ideas": ideas,
        "actions": [{"action": a, "evaluation": evaluate(a)} for a in unit_actions[:10]],
        "is_manager": request.membership.has_role(Role.MANAGER),
    })
