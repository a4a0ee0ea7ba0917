"""Every change to promises, goals and prediction rounds (each in a transaction, audited)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Membership, Organisation, Role, Unit
from kokemus.goals import series as S
from kokemus.goals.models import Goal, Metric, Prediction, PredictionRound, Scope, ServicePromise
from kokemus.journeys.i18n import LANGUAGES
from kokemus.surveys.questions import BEHAVIOURS

RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "fft": (0.0, 100.0),
          "expectations": (0.0, 100.0), "ces": (1.0, 7.0), "behaviour": (1.0, 5.0),
          "followup": (0.0, 24.0 * 365), "responses": (0.0, 1e9)}
PROMISE_MAX = 1000


# --- Service promise ------------------------------------------------------------------

def _clean_texts(value: dict | None, max_len: int) -> dict:
    out = {}
    for lang in LANGUAGES:
        text = ((value or {}).get(lang) or "").strip()
        if len(text) > max_len:
            raise ValidationError({f"promise_{lang}": _("Keep it under %(n)s characters.")
                                   % {"n": max_len}})
        if text:
            out[lang] = text
    return out


@transaction.atomic
def do_write_promise(actor: Actor, org: Organisation, *, promise: dict,
                     intent: dict | None = None) -> ServicePromise:
    """A new version of the promise; older versions stay as history."""
    texts = _clean_texts(promise, PROMISE_MAX)
    if not texts:
        raise ValidationError({"promise_fi": _("Write the promise in at least one language.")})
    intents = _clean_texts(intent, PROMISE_MAX * 3)
    row = ServicePromise.objects.create(organisation=org, promise=texts, intent=intents,
                                        created_by=actor.user)
    record(actor, "goals.promise.write", row, organisation=org,
           changes={"promise": texts, "intent": intents})
    return row


# --- Goals ----------------------------------------------------------------------------

def _scope_path(goal_like) -> str | None:
    """Materialised path of the unit subtree the goal covers ("" = whole organisation)."""
    if goal_like.scope == Scope.ORGANISATION:
        return ""
    if goal_like.unit is not None:
        return goal_like.unit.path
    return "" if goal_like.scope == Scope.TOUCHPOINT else None


def _related_goals(org, metric: str, behaviour: str):
    return (Goal.objects.filter(organisation=org, metric=metric, behaviour=behaviour,
                                archived_at__isnull=True, target__isnull=False)
            .select_related("unit", "touchpoint"))


def _contains(outer: Goal, inner: Goal) -> bool:
    """Does ``outer``'s scope strictly contain ``inner``'s (parent in the cascade)?"""
    op, ip = _scope_path(outer), _scope_path(inner)
    if op is None or ip is None or outer.scope == Scope.TOUCHPOINT:
        return False
    if not ip.startswith(op):
        return False
    return ip != op or inner.scope == Scope.TOUCHPOINT


def laxer(metric: str, child: float, parent: float) -> bool:
    return child < parent if S.sign(metric) > 0 else child > parent


def find_parent(goal: Goal) -> Goal | None:
    """The nearest goal for the same metric whose scope contains this goal's scope."""
    if not goal.metric:
        return None
    parents = [g for g in _related_goals(goal.organisation, goal.metric, goal.behaviour)
               if g.pk != goal.pk and _contains(g, goal)]
    return max(parents, key=lambda g: len(_scope_path(g) or ""), default=None)


def validate_goal(goal: Goal) -> None:
    errors: dict[str, str] = {}
    if not goal.metric and not goal.aim.strip():
        errors["aim"] = _("Write an aim or choose a metric.")
    if goal.metric == Metric.BEHAVIOUR and goal.behaviour not in BEHAVIOURS:
        errors["behaviour"] = _("Choose which service behaviour the goal is about.")
    if goal.metric != Metric.BEHAVIOUR:
        goal.behaviour = ""
    if goal.scope == Scope.UNIT and goal.unit is None:
        errors["unit"] = _("Choose the unit.")
    if goal.scope == Scope.TOUCHPOINT and goal.touchpoint is None:
        errors["touchpoint"] = _("Choose the touchpoint.")
    if goal.scope == Scope.ORGANISATION:
        goal.unit = None
    if goal.scope != Scope.TOUCHPOINT:
        goal.touchpoint = None
    if goal.unit is not None and goal.unit.organisation_id != goal.organisation_id:
        errors["unit"] = _("Choose a unit of this organisation.")
    if goal.touchpoint is not None and goal.touchpoint.organisation_id != goal.organisation_id:
        errors["touchpoint"] = _("Choose a touchpoint of this organisation.")
    if goal.target is not None and goal.metric:
        low, high = RANGES[goal.metric]
        if not low <= goal.target <= high:
            errors["target"] = _("The target must be between %(low)s and %(high)s.") % {
                "low": f"{low:g}", "high": f"{high:g}"}
    if goal.baseline_start and goal.baseline_end and goal.baseline_start > goal.baseline_end:
        errors["baseline_end"] = _("The baseline must end after it starts.")
    if goal.deadline and goal.deadline <= S.today_for(goal.organisation):
        errors["deadline"] = _("The deadline must be in the future.")
    if errors:
        raise ValidationError(errors)
    if goal.metric and goal.target is not None:
        parent = find_parent(goal)
        if parent is not None and laxer(goal.metric, goal.target, parent.target):
            raise ValidationError({"target": _(
                "A unit's goal may be stricter than its parent's goal, never laxer: "
                "“%(parent)s” aims at %(target)s.") % {
                "parent": str(parent), "target": S.fmt(goal.metric, parent.target)}})
        for child in _related_goals(goal.organisation, goal.metric, goal.behaviour):
            if child.pk != goal.pk and _contains(goal, child) \
                    and laxer(goal.metric, child.target, goal.target):
                raise ValidationError({"target": _(
                    "“%(child)s” already aims at %(target)s; a goal above it cannot be "
                    "stricter than the goals below it.") % {
                    "child": str(child), "target": S.fmt(goal.metric, child.target)}})


def can_manage_scope(membership: Membership, scope: str, unit: Unit | None) -> bool:
    if not membership.has_role(Role.MANAGER):
        return False
    if unit is not None:
        return membership.can_manage_unit(unit)
    return membership.role == Role.ADMIN or membership.unit_id is None


@transaction.atomic
def do_create_goal(actor: Actor, org: Organisation, membership: Membership | None = None,
                   **fields) -> Goal:
    goal = Goal(organisation=org, created_by=actor.user, **fields)
    goal.aim = (goal.aim or "").strip()
    if membership is not None and not can_manage_scope(membership, goal.scope, goal.unit):
        raise PermissionDenied
    validate_goal(goal)
    goal.parent = find_parent(goal)
    goal.save()
    record(actor, "goals.goal.create", goal, organisation=org, changes={
        k: S.fmt(goal.metric, v) if k == "target" and v is not None else
        (v.pk if hasattr(v, "pk") else (v.isoformat() if isinstance(v, date) else v))
        for k, v in fields.items()})
    return goal


@transaction.atomic
def do_archive_goal(actor: Actor, goal: Goal) -> Goal:
    goal.archived_at = timezone.now()
    goal.save(update_fields=["archived_at"])
    Goal.objects.filter(parent=goal).update(parent=None)
    record(actor, "goals.goal.archive", goal, organisation=goal.organisation)
    return goal


# --- Perception-gap rounds ------------------------------------------------------------

def scopes_overlap(membership: Membership, unit: Unit) -> bool:
    """May this member take part in a round for ``unit``'s subtree?"""
    if membership.role == Role.ADMIN or membership.unit_id is None:
        return True
    mine = membership.unit.path
    return mine.startswith(unit.path) or unit.path.startswith(mine)


@transaction.atomic
def do_open_round(actor: Actor, org: Organisation, *, title: str, unit: Unit,
                  period_start: date, period_end: date, touchpoints: list,
                  positive_measure: str = "nps",
                  membership: Membership | None = None) -> PredictionRound:
    if membership is not None and not membership.can_manage_unit(unit):
        raise PermissionDenied
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the round a title.")
    if unit.organisation_id != org.pk:
        errors["unit"] = _("Choose a unit of this organisation.")
    if period_start > period_end:
        errors["period_end"] = _("The period must end after it starts.")
    if not touchpoints:
        errors["touchpoints"] = _("Choose at least one touchpoint.")
    elif any(t.organisation_id != org.pk for t in touchpoints):
        errors["touchpoints"] = _("Choose touchpoints of this organisation.")
    if errors:
        raise ValidationError(errors)
    rnd = PredictionRound.objects.create(organisation=org, title=title.strip(), unit=unit,
                                         period_start=period_start, period_end=period_end,
                                         positive_measure=positive_measure,
                                         created_by=actor.user)
    rnd.touchpoints.set(touchpoints)
    record(actor, "goals.round.open", rnd, organisation=org, changes={
        "unit": unit.pk, "period": [period_start.isoformat(), period_end.isoformat()],
        "touchpoints": [t.pk for t in touchpoints], "positive_measure": positive_measure})
    return rnd


def round_is_open(rnd: PredictionRound) -> bool:
    return S.today_for(rnd.organisation) <= rnd.period_end


@transaction.atomic
def do_save_predictions(actor: Actor, rnd: PredictionRound, *, user,
                        values: dict[int, tuple[float, float]],
                        membership: Membership | None = None, force: bool = False) -> int:
    """Store the member's predictions ``{touchpoint_id: (positive %, exceeded %)}``.

    Predictions are private: the audit log records that predictions were made, not their
    values. ``force`` (demo data only) allows predictions for a finished round."""
    if membership is not None and not scopes_overlap(membership, rnd.unit):
        raise PermissionDenied
    if not force and not round_is_open(rnd):
        raise ValidationError({"__all__": _("This round has ended; predictions are closed.")})
    tps = {t.pk: t for t in rnd.touchpoints.all()}
    errors = {}
    for tp_id, (pos, exc) in values.items():
        if tp_id not in tps:
            errors["__all__"] = _("Unknown touchpoint.")
        for name, v in (("positive", pos), ("exceeded", exc)):
            if v is None or not 0 <= v <= 100:
                errors[f"{name}_{tp_id}"] = _("Enter a percentage between 0 and 100.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    for tp_id, (pos, exc) in values.items():
        Prediction.objects.update_or_create(
            round=rnd, user=user, touchpoint=tps[tp_id],
            defaults={"organisation": rnd.organisation, "positive_pct": float(pos),
                      "exceeded_pct": float(exc), "updated_at": now})
    record(actor, "goals.round.predict", rnd, organisation=rnd.organisation,
           changes={"touchpoints": len(values)})
    return len(values)
