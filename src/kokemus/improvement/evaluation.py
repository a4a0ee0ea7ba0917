"""Impact of an improvement action on its target metric, from the DailyCount rollups.

* before/after on the treated units (``metrics.compare``),
* difference-in-differences against comparable units without the action
  (``metrics.impact``; same sector and kind, same parent region preferred),
* SPC (XmR of weekly values; baseline limits from before the start, and a chart rebased at
  the start),
* a plain-language verdict that claims an effect only when the 95 % interval excludes 0;
  otherwise it says how many more responses are needed (``metrics.forecast``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.models import Unit, UnitKind
from kokemus.analytics.models import rollup_model
from kokemus.metrics import compare, forecast, impact, spc

MAX_WINDOW = 180   # days after the start that are evaluated
MIN_WINDOW = 28    # the "before" period is at least four weeks
MIN_N = 30         # responses per group and period before any number is shown
MIN_WEEK_N = 5     # responses in a week for it to be an SPC point

# metric key → (question type, positive answer values or None for NPS)
SPEC = {"nps": ("nps", None), "csat": ("csat", (4, 5)), "fft": ("fft", (1, 2)),
        "smiley": ("smiley", (3, 4))}


@dataclass
class Period:
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def nps_parts(self) -> tuple[int, int, int]:
        prom = sum(c for v, c in self.counts.items() if v >= 9)
        det = sum(c for v, c in self.counts.items() if v <= 6)
        return prom, self.n - prom - det, det

    def successes(self, positive) -> int:
        return sum(c for v, c in self.counts.items() if v in positive)

    def value(self, metric: str) -> float | None:
        if not self.n:
            return None
        if metric == "nps":
            p, _a, d = self.nps_parts()
            return 100.0 * (p - d) / self.n
        return 100.0 * self.successes(SPEC[metric][1]) / self.n


@dataclass
class Evaluation:
    metric: str
    state: str   # not_started | too_few | improved | worsened | no_change
    verdict: str
    method: str = ""
    pre_start: date | None = None
    post_end: date | None = None
    pre: Period = field(default_factory=Period)
    post: Period = field(default_factory=Period)
    control_pre: Period = field(default_factory=Period)
    control_post: Period = field(default_factory=Period)
    controls: list[Unit] = field(default_factory=list)
    before_after: compare.Difference | None = None
    did: impact.Difference | None = None
    more_needed: int | None = None
    spc_note: str = ""
    weekly: list[tuple[date, float, str]] = field(default_factory=list)

    @property
    def unit_label(self) -> str:
        return _("points") if self.metric == "nps" else _("percentage points")

    def _shown(self, diff) -> dict | None:
        if diff is None:
            return None
        scale = 1.0 if self.metric == "nps" else 100.0
        return {"value": float(diff.value) * scale, "low": float(diff.low) * scale,
                "high": float(diff.high) * scale, "p": float(diff.p_value)}

    @property
    def ba(self) -> dict | None:
        return self._shown(self.before_after)

    @property
    def did_shown(self) -> dict | None:
        return self._shown(self.did)

    @property
    def claimed(self) -> bool:
        return self.state in ("improved", "worsened")


def _subtree_ids(units) -> set[int]:
    ids: set[int] = set()
    for u in units:
        ids.update(Unit.objects.subtree(u).values_list("pk", flat=True))
    return ids


def comparable_units(action, treated: list[Unit], window_end: date | None = None) -> list[Unit]:
    """Units without the action: same sector and kind (site/department), not inside or above
    a treated unit, and not part of another action on the same metric that started before
    the evaluated window ends; the treated units' own parents first when three qualify."""
    from kokemus.improvement.models import ImprovementAction

    treated_ids = _subtree_ids(treated)
    others = ImprovementAction.objects.filter(
        organisation_id=action.organisation_id, target_metric=action.target_metric,
        start_date__lt=window_end or date.max).exclude(pk=action.pk)
    treated_ids |= _subtree_ids(Unit.objects.filter(pk__in=others.values("units")))
    sectors = {u.sector for u in treated}
    candidates = [
        u for u in Unit.objects.filter(organisation_id=action.organisation_id,
                                       archived_at__isnull=True, sector__in=sectors,
                                       kind__in=[UnitKind.SITE, UnitKind.DEPARTMENT])
        if u.pk not in treated_ids and not any(t.path.startswith(u.path) for t in treated)]
    parents = {u.parent_id for u in treated}
    same_parent = [u for u in candidates if u.parent_id in parents]
    return same_parent if len(same_parent) >= 3 else candidates


def _counts(org_id, unit_ids, qtype, start: date, end: date, touchpoint_id=None) -> Period:
    rows = rollup_model(touchpoint=touchpoint_id).objects.filter(
        organisation_id=org_id, question_type=qtype, unit_id__in=unit_ids, day__gte=start,
        day__lt=end)
    if touchpoint_id:
        rows = rows.filter(touchpoint_id=touchpoint_id)
    counts = {r["value"]: r["n"] for r in rows.values("value").annotate(n=Sum("count"))
              if r["value"] is not None and r["value"] >= 0}
    return Period(counts)


def _weekly(org_id, unit_ids, metric, start, end, touchpoint_id=None):
    qtype = SPEC[metric][0]
    rows = rollup_model(touchpoint=touchpoint_id).objects.filter(
        organisation_id=org_id, question_type=qtype, unit_id__in=unit_ids, day__gte=start,
        day__lt=end)
    if touchpoint_id:
        rows = rows.filter(touchpoint_id=touchpoint_id)
    weeks: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for day, value, n in rows.values_list("day", "value").annotate(n=Sum("count")):
        if value is not None and value >= 0:
            weeks[day - timedelta(days=day.weekday())][value] += n
    out = []
    for week in sorted(weeks):
        period = Period(dict(weeks[week]))
        if period.n >= MIN_WEEK_N:
            out.append((week, period.value(metric)))
    return out


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


def _needed(metric, pre: Period, effect: float, ratio: float) -> int | None:
    """Responses per group and period to detect ``effect`` with 80 % power (α = 5 %).

    For a DiD the variance has four terms instead of two; with treated/control size ratio r
    the treated group needs about n·(1 + r), n being the before/after sample size."""
    if pre.n == 0:
        return None
    try:
        if metric == "nps":
            p, _a, d = pre.nps_parts()
            p, d = p / pre.n, d / pre.n
            try:
                n = forecast.sample_size_nps(p, d, effect)
            except ValueError:  # too few detractors to lose: all from more promoters
                n = forecast.sample_size_nps(p, d, effect, promoters_after=p + effect / 100,
                                             detractors_after=d)
        else:
            p1 = pre.successes(SPEC[metric][1]) / pre.n
            p2 = p1 + effect / 100.0
            if p2 >= 1.0:
                return None
            n = forecast.sample_size_proportion(p1, p2)
    except ValueError:
        return None
    n = float(n)
    return None if not math.isfinite(n) else int(math.ceil(n * (1.0 + ratio)))


def evaluate(action, today: date | None = None) -> Evaluation:
    metric = action.target_metric
    qtype, positive = SPEC[metric]
    today = today or timezone.localdate()
    start = action.start_date
    if today <= start:
        return Evaluation(metric, "not_started",
                          _("The action starts on %(date)s; nothing to measure yet.")
                          % {"date": start.isoformat()})
    post_end = min(today + timedelta(days=1), start + timedelta(days=MAX_WINDOW))
    window = max((post_end - start).days, MIN_WINDOW)
    pre_start = start - timedelta(days=window)
    treated = list(action.units.all())
    treated_ids = _subtree_ids(treated)
    org_id, tp = action.organisation_id, action.touchpoint_id
    ev = Evaluation(metric, "too_few", "", pre_start=pre_start, post_end=post_end)
    ev.pre = _counts(org_id, treated_ids, qtype, pre_start, start, tp)
    ev.post = _counts(org_id, treated_ids, qtype, start, post_end, tp)
    controls = comparable_units(action, treated, post_end)
    control_ids = _subtree_ids(controls)
    ev.control_pre = _counts(org_id, control_ids, qtype, pre_start, start, tp)
    ev.control_post = _counts(org_id, control_ids, qtype, start, post_end, tp)
    have_controls = min(ev.control_pre.n, ev.control_post.n) >= MIN_N
    ev.controls = controls if have_controls else []
    scale = 1.0 if metric == "nps" else 100.0
    if min(ev.pre.n, ev.post.n) >= MIN_N:
        if metric == "nps":
            ev.before_after = compare.nps_difference(*ev.post.nps_parts(), *ev.pre.nps_parts())
            if have_controls:
                ev.did = impact.did_nps(ev.pre.nps_parts(), ev.post.nps_parts(),
                                        ev.control_pre.nps_parts(), ev.control_post.nps_parts())
        else:
            ev.before_after = compare.proportion_difference(
                ev.post.successes(positive), ev.post.n, ev.pre.successes(positive), ev.pre.n)
            if have_controls:
                ev.did = impact.did_proportion(
                    ev.pre.successes(positive), ev.pre.n, ev.post.successes(positive),
                    ev.post.n, ev.control_pre.successes(positive), ev.control_pre.n,
                    ev.control_post.successes(positive), ev.control_post.n)
    _spc(ev, action, org_id, treated_ids, tp)
    primary = ev.did or ev.before_after
    if ev.did is not None:
        ev.method = _("Difference-in-differences against %(n)s comparable units without the "
                      "action.") % {"n": len(ev.controls)}
    elif ev.before_after is not None:
        ev.method = _("Before and after at the action's units only: no comparable units "
                      "with enough responses, so seasonal or chain-wide changes cannot be "
                      "ruled out.")
    ratio = (ev.post.n / ev.control_post.n) if have_controls and ev.control_post.n else 0.0
    needed = _needed(metric, ev.pre, action.expected_effect, ratio)
    if primary is None:
        ev.state = "too_few"
        more = None if needed is None else max(needed - ev.post.n, MIN_N - ev.post.n, 1)
        ev.more_needed = more
        ev.verdict = (_("Too few responses to evaluate yet: about %(n)s more responses needed.")
                      % {"n": more}) if more else _("Too few responses to evaluate yet.")
        return ev
    value, low, high = (float(primary.value) * scale, float(primary.low) * scale,
                        float(primary.high) * scale)
    args = {"value": _fmt(abs(value)), "low": _fmt(low), "high": _fmt(high),
            "unit": ev.unit_label}
    if low > 0:
        ev.state = "improved"
        ev.verdict = _("Improved by %(value)s %(unit)s, 95 %% CI %(low)s–%(high)s.") % args
    elif high < 0:
        ev.state = "worsened"
        ev.verdict = _("Worsened by %(value)s %(unit)s, 95 %% CI %(low)s–%(high)s.") % args
    else:
        ev.state = "no_change"
        more = None if needed is None else needed - ev.post.n
        if more is not None and more > 0:
            ev.more_needed = more
            ev.verdict = _("No detectable change yet: about %(n)s more responses needed to "
                           "detect the expected %(effect)s %(unit)s (95 %% CI now "
                           "%(low)s to %(high)s).") % {
                "n": more, "effect": _fmt(action.expected_effect), "unit": ev.unit_label,
                "low": _fmt(low), "high": _fmt(high)}
        else:
            ev.verdict = _("No detectable change: the data are consistent with no effect "
                           "(95 %% CI %(low)s to %(high)s %(unit)s).") % args
    return ev


def _spc(ev: Evaluation, action, org_id, treated_ids, tp) -> None:
    weeks = _weekly(org_id, treated_ids, ev.metric, ev.pre_start, ev.post_end, tp)
    start_week = action.start_date - timedelta(days=action.start_date.weekday())
    n_pre = sum(1 for w, _v in weeks if w < start_week)
    n_post = len(weeks) - n_pre
    if n_pre < 3 or n_post < 3:
        ev.spc_note = _("Too few weeks for a control chart yet.")
        return
    values = np.array([v for _w, v in weeks])
    # Limits from the weeks before the start (fixed when there are 12 or more), so that a
    # change at the start shows as special cause; then a chart rebased at the start.
    baseline = spc.xmr(values, fix_after_n_points=n_pre if n_pre >= 12 else None)
    rebased = spc.xmr(values, rebase_at=[n_pre])
    after = baseline.point_type[n_pre:]
    ev.weekly = [(w, v, str(t)) for (w, v), t in zip(weeks, rebased.point_type, strict=True)]
    if any(t == "special_cause_improvement" for t in after):
        ev.spc_note = _("Control chart: special-cause improvement after the start.")
    elif any(t == "special_cause_concern" for t in after):
        ev.spc_note = _("Control chart: special-cause concern after the start.")
    else:
        ev.spc_note = _("Control chart: only common-cause variation after the start.")
    ev.spc_note += " " + _("Mean before %(before)s, after %(after)s.") % {
        "before": _fmt(float(rebased.mean[0])), "after": _fmt(float(rebased.mean[-1]))}
