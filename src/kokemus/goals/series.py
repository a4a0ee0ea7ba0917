"""Reading a goal's metric from the rollups (UnitDayCount; DailyCount for a touchpoint or one
behaviour question), on the goal's display scale.

Display scales (what a goal's ``target`` means):

* ``nps`` – NPS points, −100 … +100;
* ``csat``, ``fft``, ``expectations`` – percentages 0 … 100 (top-2-box, % positive,
  % better than expected), computed by :func:`kokemus.analytics.queries.estimate`;
* ``ces`` (1–7, "how easy", higher is better) and ``behaviour`` (1–5) – mean rating via
  :func:`kokemus.metrics.scores.mean_from_counts`;
* ``responses`` – responses per month; ``followup`` – hours to follow up (lower is better;
  actuals come later from the improvement app, so it has no series yet).

Scores for one period with fewer responses than the suppression minimum are left out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from kokemus.analytics.models import RESPONSE_KEY, rollup_model
from kokemus.analytics.queries import POLICY, estimate, local_today
from kokemus.metrics import scores

PERCENT = ("csat", "fft", "expectations")
MEANS = {"ces": range(1, 8), "behaviour": range(1, 6)}
WITH_DATA = ("nps", "csat", "fft", "ces", "behaviour", "expectations", "responses")
LOWER_IS_BETTER = ("followup",)
QUESTION_TYPE = {"nps": "nps", "csat": "csat", "fft": "fft", "ces": "ces",
                 "behaviour": "behaviour", "expectations": "expectations",
                 "responses": RESPONSE_KEY}
# Rounding step of targets and suggestions on the display scale.
STEP = {"nps": 1.0, "csat": 1.0, "fft": 1.0, "expectations": 1.0, "ces": 0.1,
        "behaviour": 0.1, "responses": 1.0, "followup": 1.0}
DAYS_PER_MONTH = 30.4375
MIN_MONTHS_FOR_MONTHLY = 6  # fewer baseline months than this → weekly points


def direction(metric: str) -> str:
    return "decrease" if metric in LOWER_IS_BETTER else "increase"


def sign(metric: str) -> int:
    return -1 if metric in LOWER_IS_BETTER else 1


def month_index(d: date) -> float:
    """Time in months on a continuous scale: the first of a month is a whole number."""
    first = d.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first.year * 12 + first.month - 1 + (d - first).days / (nxt - first).days


def months_between(a: date, b: date) -> float:
    return month_index(b) - month_index(a)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return min(d.replace(year=year, month=month, day=1) + timedelta(days=d.day - 1),
               nxt - timedelta(days=1))


@dataclass
class Value:
    """A metric's value for some responses, on the display scale."""

    value: float | None
    n: int
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.value is not None


def score(metric: str, counts: dict[int, int]) -> Value:
    if metric == "responses":
        n = int(sum(counts.values()))
        return Value(float(n), n, counts)
    if metric in MEANS:
        scale = MEANS[metric]
        c = np.array([counts.get(v, 0) for v in scale], dtype=float)
        n = int(c.sum())
        if n == 0 or POLICY.is_suppressed(n):
            return Value(None, n, counts)
        est = scores.mean_from_counts(c, values=np.array(list(scale), dtype=float))
        return Value(float(est.value), n, counts)
    if metric in ("nps", *PERCENT):
        s = estimate(metric, counts)
        n = int(s.n or 0) if s.shown else int(sum(counts.values()))
        return Value(s.plot_value if s.shown else None, n, counts)
    return Value(None, 0, counts)


def fmt(metric: str, x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if metric == "nps":
        return f"{x:+.0f}".replace("-", "−")
    if metric in PERCENT:
        return f"{x:.0f} %"
    if metric in MEANS:
        return f"{x:.1f}"
    return f"{x:.0f}"


def round_target(metric: str, x: float, up: bool = True) -> float:
    step = STEP.get(metric, 1.0)
    k = math.ceil(x / step - 1e-9) if up else math.floor(x / step + 1e-9)
    out = round(k * step, 4)
    if metric == "nps":
        out = max(-100.0, min(100.0, out))
    elif metric in PERCENT:
        out = max(0.0, min(100.0, out))
    elif metric in MEANS:
        out = max(1.0, min(float(MEANS[metric][-1]), out))
    return out


# --- Scope ---------------------------------------------------------------------------

@dataclass
class ScopeRef:
    """What a goal measures: the organisation, a unit subtree, a touchpoint (optionally
    within a unit subtree)."""

    org: object
    unit: object | None = None
    touchpoint_id: int | None = None

    def q(self) -> Q:
        q = Q(organisation_id=self.org.pk)
        if self.unit is not None:
            q &= Q(unit__path__startswith=self.unit.path)
        if self.touchpoint_id:
            q &= Q(touchpoint_id=self.touchpoint_id)
        return q


def _metric_q(metric: str, behaviour: str = "") -> Q:
    q = Q(question_type=QUESTION_TYPE[metric])
    if metric == "behaviour" and behaviour:
        q &= Q(question_key=behaviour)
    return q


def _table(metric: str, behaviour: str, touchpoint_id: int | None = None):
    """The per-unit rollups unless one behaviour question or a touchpoint is asked for."""
    return rollup_model(touchpoint=touchpoint_id,
                        question_key=behaviour if metric == "behaviour" else None)


def _as_date(b) -> date:
    return b.date() if isinstance(b, datetime) else b


@dataclass
class Point:
    period: date
    t: float  # months
    value: float
    n: int
    counts: dict[int, int]


@dataclass
class Series:
    metric: str
    grain: str
    points: list[Point]

    @property
    def values(self) -> np.ndarray:
        return np.array([p.value for p in self.points], dtype=float)

    @property
    def times(self) -> np.ndarray:
        return np.array([p.t for p in self.points], dtype=float)


def choose_grain(start: date, end: date) -> str:
    return "month" if months_between(start, end) >= MIN_MONTHS_FOR_MONTHLY else "week"


def series(scope: ScopeRef, metric: str, behaviour: str, start: date, end: date,
           grain: str | None = None) -> Series:
    """Per-month (or per-week) scores over [start, end]; suppressed periods are dropped."""
    grain = grain or choose_grain(start, end)
    if metric not in WITH_DATA:
        return Series(metric, grain, [])
    trunc = TruncMonth("day") if grain == "month" else TruncWeek("day")
    rows = (_table(metric, behaviour, scope.touchpoint_id).objects
            .filter(scope.q() & _metric_q(metric, behaviour), day__gte=start, day__lte=end)
            .annotate(bucket=trunc).values("bucket", "value")
            .annotate(n=Sum("count")).order_by())
    buckets: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        buckets[_as_date(r["bucket"])][r["value"]] += r["n"]
    points = []
    for b in sorted(buckets):
        v = score(metric, buckets[b])
        if v.shown:
            points.append(Point(b, month_index(b), v.value, v.n, dict(buckets[b])))
    return Series(metric, grain, points)


def pooled(scope: ScopeRef, metric: str, behaviour: str, start: date, end: date) -> Value:
    if metric not in WITH_DATA:
        return Value(None, 0)
    rows = (_table(metric, behaviour, scope.touchpoint_id).objects
            .filter(scope.q() & _metric_q(metric, behaviour), day__gte=start, day__lte=end)
            .values("value").annotate(n=Sum("count")).order_by())
    counts = {r["value"]: r["n"] for r in rows}
    v = score(metric, counts)
    if metric == "responses" and v.shown:
        months = max(months_between(start, end + timedelta(days=1)), 1e-9)
        return Value(v.value / months, v.n, counts)
    return v


def per_unit_monthly(org, metric: str, behaviour: str, units: list, start: date, end: date,
                     touchpoint_id: int | None = None) -> dict[int, Series]:
    """Monthly series of every given unit's subtree, from one query (used for the history
    of improvements and for peers)."""
    q = Q(organisation_id=org.pk) & _metric_q(metric, behaviour)
    if touchpoint_id:
        q &= Q(touchpoint_id=touchpoint_id)
    rows = (_table(metric, behaviour, touchpoint_id).objects
            .filter(q, day__gte=start, day__lte=end)
            .annotate(bucket=TruncMonth("day"))
            .values("unit__path", "bucket", "value").annotate(n=Sum("count")).order_by())
    acc: dict[int, dict[date, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    for r in rows:
        b = _as_date(r["bucket"])
        for u in units:
            if r["unit__path"].startswith(u.path):
                acc[u.pk][b][r["value"]] += r["n"]
    out = {}
    for u in units:
        pts = []
        for b in sorted(acc.get(u.pk, {})):
            v = score(metric, acc[u.pk][b])
            if v.shown:
                pts.append(Point(b, month_index(b), v.value, v.n, dict(acc[u.pk][b])))
        out[u.pk] = Series(metric, "month", pts)
    return out


def today_for(org) -> date:
    return local_today(org)
