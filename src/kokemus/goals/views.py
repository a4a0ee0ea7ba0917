"""Goals pages: the service promise, goals with the live quality check, progress, and
perception-gap rounds. Views are thin: parse → action → render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.goals import actions, gap
from kokemus.goals import series as S
from kokemus.goals.forms import GoalForm, PromiseForm, RoundForm
from kokemus.goals.models import Goal, Prediction, PredictionRound, ServicePromise
from kokemus.goals.progress import goal_progress
from kokemus.goals.promise import STRONG_EXAMPLES, WEAK_EXAMPLES, current_promise
from kokemus.goals.quality import Draft, check, parse_accept
from kokemus.journeys.i18n import pick


def _lang() -> str:
    return (get_language() or "fi")[:2]


def _errors_to_form(form, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, msgs)


def _can_manage(request) -> bool:
    return request.membership.has_role(Role.MANAGER)


# --- Promise --------------------------------------------------------------------------

@org_view(Role.STAFF)
def promise(request):
    org = request.org
    history = list(ServicePromise.objects.filter(organisation=org).select_related("created_by"))
    can_edit = request.membership.has_role(Role.ADMIN)
    form = PromiseForm(current=history[0] if history else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = PromiseForm(request.POST)
        if form.is_valid():
            try:
                actions.do_write_promise(Actor.from_request(request), org,
                                         promise=form.texts("promise"),
                                         intent=form.texts("intent"))
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The service promise was saved."))
                return redirect("goals_promise", org.slug)
    versions = [{"row": row, "number": len(history) - i, "text": pick(row.promise, _lang()),
                 "intent": pick(row.intent, _lang())} for i, row in enumerate(history)]
    return render(request, "goals/promise.html", {
        "form": form, "can_edit": can_edit, "versions": versions,
        "current": current_promise(org, _lang()),
        "strong_examples": STRONG_EXAMPLES, "weak_examples": WEAK_EXAMPLES})


# --- Goals ----------------------------------------------------------------------------

def _goal_or_404(request, pk) -> Goal:
    return get_object_or_404(Goal.objects.select_related("unit", "touchpoint", "owner",
                                                         "parent"),
                             pk=pk, organisation=request.org)


@org_view(Role.STAFF)
def goal_list(request):
    org = request.org
    goals = list(Goal.objects.filter(organisation=org, archived_at__isnull=True)
                 .select_related("unit", "touchpoint", "owner", "parent"))
    today = S.today_for(org)
    rows = []
    for g in goals:
        rows.append({"goal": g, "progress": goal_progress(g, today),
                     "flags": check(Draft.from_goal(g), today).flags})
    return render(request, "goals/list.html", {
        "rows": rows, "promise": current_promise(org, _lang()),
        "can_manage": _can_manage(request),
        "rounds": PredictionRound.objects.filter(organisation=org)[:5]})


def _draft(request, form) -> Draft:
    form.is_valid()
    c = form.cleaned_data
    return Draft(org=request.org, metric=c.get("metric") or "", behaviour=c.get("behaviour")
                 or "", scope=c.get("scope") or "", unit=c.get("unit"),
                 touchpoint=c.get("touchpoint"), target=c.get("target"),
                 baseline_start=c.get("baseline_start"), baseline_end=c.get("baseline_end"),
                 deadline=c.get("deadline"), aim=(c.get("aim") or "").strip())


@org_view(Role.MANAGER)
def goal_new(request):
    membership = request.membership
    analysis = None
    if request.method == "POST":
        data = request.POST.copy()
        accepting = "accept" in data
        if accepting:
            target, deadline = parse_accept(data.get("accept", ""))
            if target is not None:
                data["target"] = f"{target:g}"
            if deadline is not None:
                data["deadline"] = deadline.isoformat()
        form = GoalForm(data, membership=membership)
        draft = _draft(request, form)
        if not accepting and form.is_valid():
            c = form.cleaned_data
            try:
                goal = actions.do_create_goal(
                    Actor.from_request(request), request.org, membership,
                    aim=c["aim"], metric=c["metric"], behaviour=c["behaviour"],
                    scope=c["scope"], unit=c["unit"], touchpoint=c["touchpoint"],
                    target=c["target"], baseline_start=c["baseline_start"],
                    baseline_end=c["baseline_end"], deadline=c["deadline"], owner=c["owner"])
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The goal was saved."))
                return redirect("goal_detail", request.org.slug, goal.pk)
        analysis = check(draft)
    else:
        form = GoalForm(membership=membership, initial={"owner": request.user})
    return render(request, "goals/form.html", {
        "form": form, "analysis": analysis, "promise": current_promise(request.org, _lang())})


@org_view(Role.MANAGER)
@require_POST
def goal_check(request):
    form = GoalForm(request.POST, membership=request.membership)
    analysis = check(_draft(request, form))
    return render(request, "goals/_check.html", {"analysis": analysis})


@org_view(Role.STAFF)
def goal_detail(request, pk):
    goal = _goal_or_404(request, pk)
    today = S.today_for(request.org)
    progress = goal_progress(goal, today)
    analysis = check(Draft.from_goal(goal), today)
    return render(request, "goals/detail.html", {
        "goal": goal, "progress": progress, "analysis": analysis,
        "children": goal.children.filter(archived_at__isnull=True).select_related("unit"),
        "can_manage": _can_manage(request) and actions.can_manage_scope(
            request.membership, goal.scope, goal.unit),
        "promise": current_promise(request.org, _lang())})


@org_view(Role.MANAGER)
@require_POST
def goal_archive(request, pk):
    goal = _goal_or_404(request, pk)
    if not actions.can_manage_scope(request.membership, goal.scope, goal.unit):
        raise PermissionDenied
    actions.do_archive_goal(Actor.from_request(request), goal)
    messages.success(request, _("The goal was archived."))
    return redirect("goal_list", request.org.slug)


# --- Perception-gap rounds ------------------------------------------------------------

def _visible_rounds(request):
    rounds = PredictionRound.objects.filter(organisation=request.org).select_related("unit")
    return [r for r in rounds if actions.scopes_overlap(request.membership, r.unit)]


@org_view(Role.STAFF)
def round_list(request):
    return render(request, "goals/round_list.html", {
        "rounds": _visible_rounds(request), "can_manage": _can_manage(request)})


@org_view(Role.MANAGER)
def round_new(request):
    form = RoundForm(request.POST or None, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            rnd = actions.do_open_round(
                Actor.from_request(request), request.org, title=c["title"], unit=c["unit"],
                period_start=c["period_start"], period_end=c["period_end"],
                touchpoints=list(c["touchpoints"]), positive_measure=c["positive_measure"],
                membership=request.membership)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The round is open for predictions."))
            return redirect("round_detail", request.org.slug, rnd.pk)
    return render(request, "goals/round_form.html", {"form": form})


def _parse_pct(raw) -> float | None:
    try:
        v = float(str(raw).replace(",", ".").replace("%", "").strip())
    except ValueError:
        return None
    return v


@org_view(Role.STAFF)
def round_detail(request, pk):
    rnd = get_object_or_404(PredictionRound.objects.select_related("unit"), pk=pk,
                            organisation=request.org)
    if not actions.scopes_overlap(request.membership, rnd.unit):
        raise Http404
    tps = list(rnd.touchpoints.order_by("journey_id", "position", "pk"))
    mine = {p.touchpoint_id: p for p in Prediction.objects.filter(round=rnd, user=request.user)}
    is_open = actions.round_is_open(rnd)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = {tp.pk: (_parse_pct(request.POST.get(f"positive_{tp.pk}")),
                          _parse_pct(request.POST.get(f"exceeded_{tp.pk}"))) for tp in tps}
        try:
            actions.do_save_predictions(Actor.from_request(request), rnd, user=request.user,
                                        values=values, membership=request.membership)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
            status = 400
        else:
            messages.success(request, _("Your predictions were saved. Only you can see them."))
            return redirect("round_detail", request.org.slug, rnd.pk)
    fields = []
    for tp in tps:
        p = mine.get(tp.pk)
        fields.append({
            "tp": tp, "name": pick(tp.name, _lang()),
            "positive": request.POST.get(f"positive_{tp.pk}") if errors else
            (f"{p.positive_pct:g}" if p else ""),
            "exceeded": request.POST.get(f"exceeded_{tp.pk}") if errors else
            (f"{p.exceeded_pct:g}" if p else ""),
            "positive_error": errors.get(f"positive_{tp.pk}", ""),
            "exceeded_error": errors.get(f"exceeded_{tp.pk}", "")})
    ctx = {"round": rnd, "is_open": is_open, "fields": fields, "mine": bool(mine),
           "errors": errors.get("__all__", ""), "measure": rnd.get_positive_measure_display()}
    if not is_open:
        ctx["results"] = gap.results(rnd, _lang())
    return render(request, "goals/round_detail.html", ctx, status=status)
