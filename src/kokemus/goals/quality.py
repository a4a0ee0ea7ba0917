"""The goal quality check: is a goal vague, too modest, unrealistic or unmeasurable in time?

Every flag carries a plain-language reason with the numbers behind it and a suggested
better goal. The rules (documented here because they are the product's promise):

vague
    A goal needs a metric, a number (target), a scope and a deadline. A free-text aim
    without a metric ("improve service") is an intention, not a goal yet.
too_modest
    Over the baseline (default: the last 12 months) the scope's monthly scores — weekly
    when the baseline has fewer than 6 months — form an XmR chart
    (:func:`kokemus.metrics.spc.xmr`). A target inside the common-cause band (≤ the upper
    process limit when higher is better, ≥ the lower limit when lower is better) would be
    "met" by noise alone. Also too modest: a target not beyond the current level (the
    pooled baseline score), and, for unit scopes, a target below what the best sibling
    unit (same parent, at least ``MIN_PEER_N`` baseline responses) already achieves.
    A target at or above the best sibling's level and outside the band is not too modest.
unrealistic
    Required rate = |target − current level| / months from today to the deadline. It is
    compared with the fastest improvement the organisation has achieved before: over
    every unit's monthly history (last 5 years, 3-month moving averages to damp noise),
    the largest improvement over a window of the same number of months, per month.
    With too little history the limit is 3 × the typical month-to-month SD of the
    scope's baseline series (Wheeler's σ̂ = mean moving range / 1.128).
unmeasurable
    Expected responses by the deadline = the baseline's monthly response rate × months
    left. If that is below the per-group sample size needed to detect the change from
    the current level to the target with 80 % power at α = 0.05
    (:func:`kokemus.metrics.forecast.sample_size_nps` for NPS,
    :func:`~kokemus.metrics.forecast.sample_size_proportion` for the % metrics), the
    deadline will come before the data can show the goal was met. Mean-rating metrics
    (CES, behaviours), response counts and follow-up times are not checked for power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kokemus.accounts.models import Unit
from kokemus.goals import series as S
from kokemus.goals.models import Metric, Scope
from kokemus.metrics import forecast as F
from kokemus.metrics import spc

MIN_PEER_N = 30
HISTORY_YEARS = 5
CAP_SIGMAS = 3.0
D2 = 1.128  # bias constant of the moving range of two (Wheeler)
POWER = 0.80
DEFAULT_DEADLINE_MONTHS = 6


@dataclass
class Draft:
    """A goal as written so far (any field may be missing)."""

    org: object
    metric: str = ""
    behaviour: str = ""
    scope: str = ""
    unit: object | None = None
    touchpoint: object | None = None
    target: float | None = None
    baseline_start: date | None = None
    baseline_end: date | None = None
    deadline: date | None = None
    aim: str = ""

    @classmethod
    def from_goal(cls, goal) -> Draft:
        return cls(org=goal.organisation, metric=goal.metric, behaviour=goal.behaviour,
                   scope=goal.scope, unit=goal.unit, touchpoint=goal.touchpoint,
                   target=goal.target, baseline_start=goal.baseline_start,
                   baseline_end=goal.baseline_end, deadline=goal.deadline, aim=goal.aim)

    def scope_ref(self) -> S.ScopeRef:
        unit = self.unit if self.scope in (Scope.UNIT, Scope.TOUCHPOINT) else None
        tp = self.touchpoint.pk if self.scope == Scope.TOUCHPOINT and self.touchpoint else None
        return S.ScopeRef(self.org, unit, tp)

    @property
    def scope_complete(self) -> bool:
        if self.scope == Scope.ORGANISATION:
            return True
        if self.scope == Scope.UNIT:
            return self.unit is not None
        if self.scope == Scope.TOUCHPOINT:
            return self.touchpoint is not None
        return False


@dataclass
class Flag:
    code: str
    severity: str  # "warning" or "info"
    reason: str
    suggestion: dict = field(default_factory=dict)  # {"target", "deadline", "text"}

    @property
    def accept_value(self) -> str:
        """Encoded suggestion for the "Accept suggestion" button: ``target|deadline``."""
        t = self.suggestion.get("target")
        d = self.suggestion.get("deadline")
        return ("" if t is None else f"{t:g}") + "|" + (d.isoformat() if d else "")


def parse_accept(value: str) -> tuple[float | None, date | None]:
    """The inverse of :attr:`Flag.accept_value`; bad input gives (None, None)."""
    target_s, _sep, deadline_s = (value or "").partition("|")
    target = deadline = None
    try:
        target = float(target_s) if target_s else None
        if target is not None and not math.isfinite(target):
            target = None
    except ValueError:
        target = None
    try:
        deadline = date.fromisoformat(deadline_s) if deadline_s else None
    except ValueError:
        deadline = None
    return target, deadline


@dataclass
class Analysis:
    draft: Draft
    today: date
    baseline: tuple[date, date]
    series: S.Series | None = None
    chart: object | None = None
    current: S.Value | None = None
    peer: tuple[object, float] | None = None
    best_rate: float | None = None
    rate_source: str = ""  # "history" or "cap"
    flags: list[Flag] = field(default_factory=list)

    @property
    def upl(self) -> float | None:
        return float(self.chart.upl[-1]) if self.chart is not None else None

    @property
    def lpl(self) -> float | None:
        return float(self.chart.lpl[-1]) if self.chart is not None else None

    @property
    def months_left(self) -> float | None:
        if self.draft.deadline is None:
            return None
        return S.months_between(self.today, self.draft.deadline)

    def fmt(self, x) -> str:
        return S.fmt(self.draft.metric, x)


def _d(d: date) -> str:
    return date_format(d, "SHORT_DATE_FORMAT")


def _better(metric: str, a: float, b: float) -> bool:
    """Is a strictly better than b?"""
    return a > b if S.sign(metric) > 0 else a < b


def default_baseline(today: date) -> tuple[date, date]:
    return S.add_months(today, -12), today


# --- Data -----------------------------------------------------------------------------

def _peer(draft: Draft, start: date, end: date) -> tuple[object, float] | None:
    """The best sibling unit's pooled baseline level (unit and touchpoint-in-unit scopes)."""
    unit = draft.unit
    if draft.scope not in (Scope.UNIT, Scope.TOUCHPOINT) or unit is None \
            or unit.parent_id is None:
        return None
    siblings = list(Unit.objects.active().filter(organisation_id=draft.org.pk,
                                                 parent_id=unit.parent_id).exclude(pk=unit.pk))
    if not siblings:
        return None
    q = S._metric_q(draft.metric, draft.behaviour)
    rows = S._table(draft.metric, draft.behaviour,
                    draft.touchpoint.pk if draft.scope == Scope.TOUCHPOINT and draft.touchpoint
                    else None).objects.filter(
        q, organisation_id=draft.org.pk, day__gte=start, day__lte=end)
    if draft.scope == Scope.TOUCHPOINT and draft.touchpoint is not None:
        rows = rows.filter(touchpoint_id=draft.touchpoint.pk)
    rows = rows.values("unit__path", "value").annotate(n=Sum("count")).order_by()
    counts: dict[int, dict[int, int]] = {u.pk: {} for u in siblings}
    for r in rows:
        for u in siblings:
            if r["unit__path"].startswith(u.path):
                c = counts[u.pk]
                c[r["value"]] = c.get(r["value"], 0) + r["n"]
    best = None
    for u in siblings:
        v = S.score(draft.metric, counts[u.pk])
        if draft.metric == "responses" and v.shown:
            v = S.Value(v.value / max(S.months_between(start, end + timedelta(days=1)), 1e-9),
                        v.n)
        if not v.shown or v.n < MIN_PEER_N:
            continue
        if best is None or _better(draft.metric, v.value, best[1]):
            best = (u, v.value)
    return best


def best_improvement_rate(org, metric: str, behaviour: str, window: int,
                          today: date) -> float | None:
    """Largest improvement per month over ``window`` months in any unit's history."""
    window = max(1, int(round(window)))
    units = list(Unit.objects.active().filter(organisation_id=org.pk))
    start = today.replace(year=today.year - HISTORY_YEARS, day=1)
    histories = S.per_unit_monthly(org, metric, behaviour, units, start, today)
    sgn = S.sign(metric)
    best = None
    for ser in histories.values():
        by_t = {int(round(p.t)): p.value for p in ser.points}
        smooth = {t: (by_t[t - 1] + by_t[t] + by_t[t + 1]) / 3 for t in by_t
                  if t - 1 in by_t and t + 1 in by_t}
        for t, v in smooth.items():
            if t + window in smooth:
                rate = sgn * (smooth[t + window] - v) / window
                if best is None or rate > best:
                    best = rate
    return best if best is not None and best > 0 else None


def analyse(draft: Draft, today: date | None = None) -> Analysis:
    today = today or S.today_for(draft.org)
    baseline = (draft.baseline_start or default_baseline(today)[0],
                draft.baseline_end or today)
    a = Analysis(draft, today, baseline)
    if draft.metric not in S.WITH_DATA or not draft.scope_complete:
        return a
    ref = draft.scope_ref()
    start, end = baseline
    a.series = S.series(ref, draft.metric, draft.behaviour, start, end)
    a.current = S.pooled(ref, draft.metric, draft.behaviour, start, end)
    if not a.current.shown:
        a.current = None
    if len(a.series.points) >= 3:
        a.chart = spc.xmr(a.series.values, improvement_direction=S.direction(draft.metric),
                          target=draft.target)
    a.peer = _peer(draft, start, end)
    months = a.months_left
    if months and months > 0:
        a.best_rate = best_improvement_rate(draft.org, draft.metric, draft.behaviour, months,
                                            today)
        a.rate_source = "history"
        if a.best_rate is None and a.series is not None and len(a.series.points) >= 3:
            mr = np.abs(np.diff(a.series.values))
            sigma = float(mr.mean()) / D2
            if sigma > 0:
                a.best_rate = CAP_SIGMAS * sigma
                a.rate_source = "cap"
    return a


# --- Suggestions ----------------------------------------------------------------------

def ambitious_target(a: Analysis) -> float | None:
    """Just beyond the best of: current level, upper process limit, best sibling."""
    metric = a.draft.metric
    if metric not in S.WITH_DATA:
        return None
    candidates = []
    if a.current is not None:
        candidates.append(a.current.value)
    if a.chart is not None:
        candidates.append(a.upl if S.sign(metric) > 0 else a.lpl)
    if a.peer is not None:
        candidates.append(a.peer[1])
    if not candidates:
        return None
    step = S.STEP[metric]
    if S.sign(metric) > 0:
        return S.round_target(metric, max(candidates) + step, up=True)
    return S.round_target(metric, min(candidates) - step, up=False)


def deadline_for(a: Analysis, target: float) -> date | None:
    """The earliest deadline at which ``target`` needs no faster improvement than the
    best rate, or None when the current deadline already suffices or is unknown."""
    if a.best_rate is None or a.current is None or not a.best_rate > 0:
        return None
    gap = S.sign(a.draft.metric) * (target - a.current.value)
    if gap <= 0:
        return None
    months = math.ceil(gap / a.best_rate)
    if a.months_left is not None and months <= a.months_left:
        return None
    return S.add_months(a.today, months)


# --- Checks ---------------------------------------------------------------------------

def check(draft: Draft, today: date | None = None) -> Analysis:
    a = analyse(draft, today)
    a.flags = [f for f in (_vague(a), _too_modest(a), _unrealistic(a), _unmeasurable(a)) if f]
    return a


def _vague(a: Analysis) -> Flag | None:
    d = a.draft
    missing = []
    if not d.metric:
        missing.append(_("a metric"))
    if d.metric and d.target is None:
        missing.append(_("a target number"))
    if not d.scope_complete:
        missing.append(_("a scope (where)"))
    if d.deadline is None:
        missing.append(_("a deadline"))
    past = d.deadline is not None and d.deadline <= a.today
    if not missing and not past:
        return None
    target = ambitious_target(a) if d.metric else None
    deadline = d.deadline if d.deadline and not past else \
        S.add_months(a.today, DEFAULT_DEADLINE_MONTHS)
    if target is not None:
        deadline = deadline_for(a, target) or deadline
    if d.aim and not d.metric:
        reason = _("“%(aim)s” is an intention, not yet a goal: nobody can tell when it has "
                   "been reached. Make it measurable — which metric, how much, where and "
                   "by when?") % {"aim": d.aim}
    elif past:
        reason = _("The deadline %(deadline)s has already passed.") % {
            "deadline": _d(d.deadline)}
    else:
        reason = _("The goal is still missing %(missing)s. A concrete goal names a metric, "
                   "a number, a scope and a deadline.") % {"missing": ", ".join(missing)}
    if not d.metric:
        text = _("For example: “NPS of the whole organisation to +60 by %(deadline)s” or "
                 "“share of customers whose expectations were exceeded to 50 %% at the "
                 "service counter”.") % {"deadline": _d(deadline)}
    elif target is not None:
        text = _("For example: %(metric)s %(target)s by %(deadline)s — just beyond what "
                 "the data already shows.") % {
            "metric": Metric(d.metric).label, "target": a.fmt(target),
            "deadline": _d(deadline)}
    else:
        text = _("Add a target number and a deadline, e.g. %(deadline)s.") % {
            "deadline": _d(deadline)}
    return Flag("vague", "warning", reason, {"target": target, "deadline": deadline,
                                              "text": text})


def _too_modest(a: Analysis) -> Flag | None:
    d = a.draft
    if d.target is None or d.metric not in S.WITH_DATA:
        return None
    reasons = []
    sgn = S.sign(d.metric)
    if a.current is not None and not _better(d.metric, d.target, a.current.value):
        reasons.append(_("The current level is already %(current)s, so a target of "
                         "%(target)s asks for no improvement at all.") % {
            "current": a.fmt(a.current.value), "target": a.fmt(d.target)})
    if a.chart is not None:
        limit = a.upl if sgn > 0 else a.lpl
        if not _better(d.metric, d.target, limit):
            reasons.append(_(
                "Over the baseline the score varied between %(lpl)s and %(upl)s without any "
                "real change (the common-cause band of the control chart). A target of "
                "%(target)s is inside that band, so ordinary ups and downs alone could "
                "“meet” it.") % {"lpl": a.fmt(a.lpl), "upl": a.fmt(a.upl),
                                 "target": a.fmt(d.target)})
    if a.peer is not None and _better(d.metric, a.peer[1], d.target):
        reasons.append(_("%(unit)s already achieves %(peer)s. Aim at least as high as your "
                         "best comparable unit.") % {"unit": a.peer[0].name,
                                                      "peer": a.fmt(a.peer[1])})
    if not reasons:
        return None
    target = ambitious_target(a)
    deadline = deadline_for(a, target) if target is not None else None
    text = _("Set the target to %(target)s: beyond ordinary variation and at least as good "
             "as your best comparable unit. Mediocre goals produce mediocre action.") % {
        "target": a.fmt(target)}
    return Flag("too_modest", "warning", " ".join(reasons),
                {"target": target, "deadline": deadline, "text": text})


def _unrealistic(a: Analysis) -> Flag | None:
    d = a.draft
    months = a.months_left
    if d.target is None or a.current is None or not months or months <= 0 \
            or a.best_rate is None:
        return None
    needed = S.sign(d.metric) * (d.target - a.current.value) / months
    if needed <= a.best_rate:
        return None
    if a.rate_source == "history":
        basis = _("The fastest improvement this organisation has achieved before over "
                  "%(window)s months was %(best)s a month.") % {
            "window": max(1, round(months)), "best": f"{a.best_rate:.2f}"}
    else:
        basis = _("There is too little history to compare with, so the limit is three times "
                  "the typical month-to-month variation: %(best)s a month.") % {
            "best": f"{a.best_rate:.2f}"}
    reason = _("Reaching %(target)s by %(deadline)s means improving by %(rate)s a month from "
               "the current %(current)s.") % {
        "target": a.fmt(d.target), "deadline": _d(d.deadline), "rate": f"{needed:.2f}",
        "current": a.fmt(a.current.value)} + " " + basis
    deadline = deadline_for(a, d.target)
    text = _("Keep the ambition and give it until %(deadline)s — or plan what will change so "
             "that you improve faster than ever before.") % {"deadline": _d(deadline)} \
        if deadline else ""
    return Flag("unrealistic", "warning", reason,
                {"target": d.target, "deadline": deadline, "text": text})


def required_n(a: Analysis) -> float | None:
    d = a.draft
    if a.current is None or d.target is None:
        return None
    cur, tgt = a.current.value, d.target
    if not _better(d.metric, tgt, cur):
        return None
    try:
        if d.metric == "nps":
            counts = a.current.counts
            total = sum(counts.get(v, 0) for v in range(0, 11))
            if not total:
                return None
            p = sum(counts.get(v, 0) for v in (9, 10)) / total
            q = sum(counts.get(v, 0) for v in range(0, 7)) / total
            n = F.sample_size_nps(p, q, tgt - cur)
        elif d.metric in S.PERCENT:
            if not 0 < tgt < 100:
                return None
            n = F.sample_size_proportion(cur / 100, tgt / 100)
        else:
            return None
    except ValueError:
        return None
    n = float(n)
    return n if math.isfinite(n) else None


def _unmeasurable(a: Analysis) -> Flag | None:
    d = a.draft
    months = a.months_left
    if not months or months <= 0 or a.current is None:
        return None
    need = required_n(a)
    if need is None:
        return None
    start, end = a.baseline
    base_months = max(S.months_between(start, end + timedelta(days=1)), 1e-9)
    rate = a.current.n / base_months
    expected = rate * months
    if expected >= need:
        return None
    need_i = int(math.ceil(need))
    reason = _("At the current pace of about %(rate)s answers a month there will be about "
               "%(expected)s answers by the deadline. Showing a change from %(current)s to "
               "%(target)s with 80 %% power needs about %(required)s.") % {
        "rate": f"{rate:.0f}", "expected": f"{expected:.0f}", "current": a.fmt(a.current.value),
        "target": a.fmt(d.target), "required": need_i}
    deadline = S.add_months(a.today, math.ceil(need / rate)) if rate > 0 else None
    per_month = math.ceil(need / months)
    if deadline:
        text = _("Collect about %(per_month)s answers a month (more collection points, "
                 "invitations), or move the deadline to %(deadline)s.") % {
            "per_month": per_month, "deadline": _d(deadline)}
    else:
        text = _("Start collecting answers for this metric: about %(per_month)s a month are "
                 "needed.") % {"per_month": per_month}
    return Flag("unmeasurable", "warning", reason,
                {"target": d.target, "deadline": deadline, "text": text})
