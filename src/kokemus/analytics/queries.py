"""Dashboard queries: aggregate the rollups (UnitDayCount, or DailyCount when filtered finer) and turn counts into scores.

Every score is computed by :mod:`kokemus.metrics` from counts; nothing here re-implements a
formula. Each public function issues a fixed, small number of queries, independent of the
number of responses or units. Results below the suppression minimum are returned as
suppressed (no value, no interval, no n).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from kokemus.analytics.models import NO_TOUCHPOINT, RESPONSE_KEY, rollup_model
from kokemus.metrics import compare, scores, spc
from kokemus.metrics.suppression import SuppressionPolicy

POLICY = SuppressionPolicy()
SUPPRESSED_TEXT = _("too few responses to show")


# --- Metrics ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    key: str
    question_type: str
    label: object
    percent: bool  # shown as a percentage (share × 100) rather than points / index
    positive_values: tuple[int, ...]  # answers counted as "positive" (funnel plot)
    positive_label: object


METRICS: dict[str, Metric] = {
    "nps": Metric("nps", "nps", _("NPS"), False, (9, 10), _("Share of promoters")),
    "csat": Metric("csat", "csat", _("CSAT (top-2-box)"), True, (4, 5),
                   _("Share satisfied (4–5)")),
    "fft": Metric("fft", "fft", _("FFT % positive"), True, (1, 2), _("Share positive")),
    "expectations": Metric("expectations", "expectations", _("Expectations exceeded"), True,
                           (4, 5), _("Share better than expected")),
    "smiley": Metric("smiley", "smiley", _("Smiley index"), False, (3, 4),
                     _("Share of happy faces")),
}
HEADLINE = ("nps", "csat", "fft", "expectations")
HEATMAP_METRICS = ("nps", "csat", "smiley")
SCALES = {"nps": range(0, 11), "csat": range(1, 6), "fft": range(1, 7),
          "expectations": range(1, 6), "smiley": range(1, 5)}


@dataclass
class Score:
    """A score with its 95 % interval, or a suppressed placeholder (no numbers)."""

    metric: Metric
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    suppressed: bool = False
    empty: bool = False

    @property
    def reason(self):
        return SUPPRESSED_TEXT if self.suppressed else ""

    @property
    def shown(self) -> bool:
        return not (self.suppressed or self.empty)

    def fmt(self, x: float | None) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        if self.metric.percent:
            return f"{x * 100:.0f} %"
        if self.metric.key == "nps":
            return f"{x:+.0f}".replace("-", "−")
        return f"{x:.0f}"

    @property
    def display(self) -> str:
        return self.fmt(self.value) if self.shown else "–"

    @property
    def interval(self) -> str:
        return f"{self.fmt(self.low)} … {self.fmt(self.high)}" if self.shown else ""

    @property
    def plot_value(self) -> float | None:
        """On the display scale (percentages 0–100)."""
        if not self.shown:
            return None
        return round(self.value * 100 if self.metric.percent else self.value, 2)

    def plot(self, x):
        if x is None or not self.shown:
            return None
        return round(x * 100 if self.metric.percent else x, 2)


def _vector(metric: Metric, counts: dict[int, int]) -> np.ndarray:
    return np.array([counts.get(v, 0) for v in SCALES[metric.key]], dtype=float)


def estimate(metric_key: str, counts: dict[int, int], subject: str = "unit") -> Score:
    """The score for answer counts ``{value: n}`` via kokemus.metrics, suppressed below n."""
    metric = METRICS[metric_key]
    c = _vector(metric, counts)
    n = int(c.sum())
    if n == 0:
        return Score(metric, empty=True)
    if POLICY.is_suppressed(n, subject):
        return Score(metric, suppressed=True)
    if metric.key == "nps":
        est = scores.nps(c[9:].sum(), c[7:9].sum(), c[:7].sum())
    elif metric.key == "csat":
        est = scores.top_box(c, boxes=2)
    elif metric.key == "fft":
        # Stored codes: 1 very good … 5 very poor, 6 don't know.
        pct = scores.fft_positive(*c)
        est = scores.Estimate(pct.value / 100, pct.se / 100, pct.low / 100, pct.high / 100,
                              pct.n)
    elif metric.key == "expectations":
        est = scores.expectations_exceeded(c)
    else:
        est = scores.smiley_index(c).index
    return Score(metric, float(est.value), float(est.low), float(est.high), n)


def positives(metric_key: str, counts: dict[int, int]) -> tuple[int, int]:
    metric = METRICS[metric_key]
    n = sum(counts.get(v, 0) for v in SCALES[metric_key])
    return sum(counts.get(v, 0) for v in metric.positive_values), n


def goal_for(org, unit, metric_key: str) -> float | None:
    """The target of the nearest goal for ``unit`` on the metric's display scale."""
    from kokemus.goals.progress import target_for

    return target_for(org, unit, metric_key)


# --- Filters ---------------------------------------------------------------------------

@dataclass
class Filters:
    org: object
    unit: object
    units: list  # every visible unit (already fetched)
    start: date
    end: date
    period: str = "90"
    touchpoint_id: int | None = None
    channel: str = ""
    language: str = ""
    org_unit_count: int = 0  # units in the organisation (0 = unknown: always filter)
    _ids: list[int] | None = field(default=None, repr=False)

    @property
    def unit_ids(self) -> list[int]:
        if self._ids is None:
            self._ids = subtree_ids(self.units, self.unit)
        return self._ids

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> tuple[date, date]:
        return self.start - timedelta(days=self.days), self.start - timedelta(days=1)

    def rollups(self, start: date | None = None, end: date | None = None,
                unit_ids: list[int] | None = None, detail: bool = False):
        """The rollup rows within the filters: the per-unit table unless a touchpoint,
        channel or language filter (or ``detail``: touchpoint, question key, choice) needs
        the full one."""
        model = rollup_model(touchpoint=self.touchpoint_id or detail, channel=self.channel,
                             language=self.language)
        q = Q(organisation_id=self.org.pk, day__gte=start or self.start,
              day__lte=end or self.end)
        ids = unit_ids or self.unit_ids
        if not self.org_unit_count or len(ids) < self.org_unit_count:  # whole org: no filter
            q &= Q(unit_id__in=ids)
        return model.objects.filter(q & self.response_q())

    def response_q(self, path: str = "") -> Q:
        """The touchpoint, channel and language filters on a response (or a rollup row), or
        on the response at ``path`` ("response__", "answer__response__")."""
        q = Q()
        if self.touchpoint_id:
            q &= Q(**{f"{path}touchpoint_id": self.touchpoint_id})
        if self.channel:
            q &= Q(**{f"{path}channel": self.channel})
        if self.language:
            q &= Q(**{f"{path}language": self.language})
        return q

    def aware_range(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.org.time_zone)
        return (datetime.combine(self.start, time.min, zone),
                datetime.combine(self.end + timedelta(days=1), time.min, zone))


def subtree_ids(units, root) -> list[int]:
    return [u.pk for u in units if u.path.startswith(root.path)]


def local_today(org) -> date:
    from django.utils import timezone
    return timezone.now().astimezone(ZoneInfo(org.time_zone)).date()


# --- Overview --------------------------------------------------------------------------

@dataclass
class Trend:
    metric: Metric
    grain: str
    points: list[dict]
    variation: str | None = None
    assurance: str | None = None
    target: float | None = None
    enough: bool = False


def _grain(filters: Filters) -> tuple[str, date]:
    if filters.days <= 120:
        monday = filters.end - timedelta(days=filters.end.weekday())
        return "week", min(filters.start, monday - timedelta(weeks=25))
    first = filters.end.replace(day=1)
    for _i in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    start = min(filters.start.replace(day=1), first)
    return "month", max(start, filters.end.replace(year=filters.end.year - 5, day=1))


def overview(filters: Filters) -> dict:
    """Headline scores (current vs previous period), response counts and SPC trends.

    One query grouped by (question type, day, value); periods and trend buckets are
    summed in Python (no per-row date truncation in the database).
    """
    prev_start, prev_end = filters.previous
    grain, trend_start = _grain(filters)
    types = [METRICS[k].question_type for k in HEADLINE] + [RESPONSE_KEY]
    rows = (filters.rollups(min(prev_start, trend_start), filters.end)
            .filter(question_type__in=types)
            .values_list("question_type", "day", "value")
            .annotate(n=Sum("count")).order_by())
    cur: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    prev: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    buckets: dict[str, dict[date, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    bucket_of: dict[date, date] = {}
    for qt, day, value, n in rows:
        if day >= filters.start:
            cur[qt][value] += n
        elif prev_start <= day <= prev_end:
            prev[qt][value] += n
        if day >= trend_start and qt != RESPONSE_KEY:
            b = bucket_of.get(day)
            if b is None:
                b = bucket_of[day] = (day - timedelta(days=day.weekday()) if grain == "week"
                                      else day.replace(day=1))
            buckets[qt][b][value] += n
    headline = []
    goals = {key: goal_for(filters.org, filters.unit, key) for key in HEADLINE}
    for key in HEADLINE:
        qt = METRICS[key].question_type
        now, before = estimate(key, cur[qt]), estimate(key, prev[qt])
        change = None
        if now.shown and before.shown:
            change = now.plot_value - before.plot_value
        headline.append({"score": now, "previous": before, "change": change,
                         "goal": goals[key]})
    trends = [trend(key, buckets[METRICS[key].question_type], grain, goals[key])
              for key in HEADLINE]
    return {"headline": headline, "responses": sum(cur[RESPONSE_KEY].values()),
            "responses_prev": sum(prev[RESPONSE_KEY].values()),
            "trends": trends, "grain": grain, "previous": (prev_start, prev_end)}


def trend(metric_key: str, by_bucket: dict[date, dict[int, int]], grain: str,
          target: float | None = None) -> Trend:
    """XmR chart over the per-period scores; suppressed periods are left out (gaps)."""
    metric = METRICS[metric_key]
    points = []
    for bucket in sorted(by_bucket):
        s = estimate(metric_key, by_bucket[bucket])
        if s.empty:
            continue
        points.append({"period": bucket.isoformat(), "score": s})
    shown = [p for p in points if p["score"].shown]
    result = Trend(metric, grain, [], target=target)
    chart = None
    if len(shown) >= 3:
        chart = spc.xmr([p["score"].plot_value for p in shown], improvement_direction="increase",
                        target=target)
        result.enough = True
        result.variation = chart.variation
        result.assurance = chart.assurance
    i = 0
    for p in points:
        s = p["score"]
        row = {"period": p["period"], "value": s.plot_value, "low": s.plot(s.low),
               "high": s.plot(s.high), "n": s.n, "suppressed": s.suppressed,
               "mean": None, "upl": None, "lpl": None, "point_type": ""}
        if s.shown and chart is not None:
            row.update(mean=round(float(chart.mean[i]), 2), upl=round(float(chart.upl[i]), 2),
                       lpl=round(float(chart.lpl[i]), 2), point_type=str(chart.point_type[i]))
        if s.shown:
            i += 1
        result.points.append(row)
    return result


# --- Heatmap ---------------------------------------------------------------------------

EMOTION_VALENCE = {"happy": 100.0, "relieved": 85.0, "calm": 75.0, "neutral": 50.0,
                   "worried": 25.0, "frustrated": 10.0, "angry": 0.0}
EMOTION_TYPES = ("emotion", "smiley", "mood")


def _emotion_points(question_type: str, value: int, choice: str) -> float | None:
    if question_type == "emotion":
        return EMOTION_VALENCE.get(choice)
    if question_type == "smiley" and 1 <= value <= 4:
        return (value - 1) * 100.0 / 3
    if question_type == "mood" and 1 <= value <= 5:
        return (value - 1) * 100.0 / 4
    return None


def heatmap(filters: Filters, journey, stages: list, touchpoints: list, metric_key: str,
            rows_units: list) -> dict:
    """Cells per (row unit, touchpoint): a score or a suppressed/empty marker.

    ``rows_units`` are (label, unit) pairs; each row aggregates the unit's subtree within
    the filter. Also the emotion curve per stage. Two queries.
    """
    metric = METRICS[metric_key]
    tp_ids = [t.pk for t in touchpoints]
    unit_row: dict[int, list[int]] = defaultdict(list)
    in_filter = set(filters.unit_ids)
    for idx, (_label, unit) in enumerate(rows_units):
        for uid in subtree_ids(filters.units, unit):
            if uid in in_filter:
                unit_row[uid].append(idx)
    counts: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    qs = (filters.rollups(detail=True).filter(question_type=metric.question_type,
                                                touchpoint_id__in=tp_ids)
          .values("unit_id", "touchpoint_id", "value").annotate(n=Sum("count")).order_by())
    for r in qs:
        for idx in unit_row.get(r["unit_id"], ()):
            counts[(idx, r["touchpoint_id"])][r["value"]] += r["n"]
    grid = []
    for idx, (label, unit) in enumerate(rows_units):
        cells = []
        for tp in touchpoints:
            s = estimate(metric_key, counts.get((idx, tp.pk), {}))
            cells.append({"touchpoint": tp, "score": s, "bucket": heat_bucket(s)})
        grid.append({"label": label, "unit": unit, "cells": cells})

    stage_of = {t.pk: t.stage_id for t in touchpoints}
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # n, Σx, Σx²
    qs = (filters.rollups(detail=True).filter(question_type__in=EMOTION_TYPES,
                                                touchpoint_id__in=tp_ids)
          .values("touchpoint_id", "question_type", "value", "choice")
          .annotate(n=Sum("count")).order_by())
    for r in qs:
        x = _emotion_points(r["question_type"], r["value"], r["choice"])
        if x is None:
            continue
        acc = sums[stage_of[r["touchpoint_id"]]]
        acc[0] += r["n"]
        acc[1] += r["n"] * x
        acc[2] += r["n"] * x * x
    curve = []
    for st in stages:
        n, s1, s2 = sums.get(st.pk, (0.0, 0.0, 0.0))
        point = {"stage": st, "n": int(n), "value": None, "low": None, "high": None,
                 "suppressed": False}
        if n and POLICY.is_suppressed(n):
            point["suppressed"] = True
            point["n"] = None
        elif n:
            est = scores.mean_from_moments(n, s1, s2)
            point.update(value=round(float(est.value), 1),
                         low=None if math.isnan(est.low) else round(float(est.low), 1),
                         high=None if math.isnan(est.high) else round(float(est.high), 1))
        curve.append(point)
    return {"grid": grid, "curve": curve, "metric": metric}


def heat_bucket(s: Score) -> str:
    """CSS class bucket 0 (worst) … 6 (best) on the metric's own scale."""
    if s.empty:
        return "empty"
    if s.suppressed:
        return "suppressed"
    # The colour scale covers the range where scores usually lie (NPS −50…+50,
    # shares and indices 50…100 %); values beyond it take the end colours.
    if s.metric.key == "nps":
        x = (s.value + 50) / 100
    elif s.metric.key == "smiley":
        x = (s.value - 50) / 50
    else:
        x = (s.value - 0.5) / 0.5
    return str(max(0, min(6, int(x * 7))))


# --- Comparison ------------------------------------------------------------------------

def comparison(filters: Filters, metric_key: str, groups: list) -> dict:
    """Funnel plot data and an honest league table for ``groups`` (units, each a subtree)."""
    metric = METRICS[metric_key]
    owner: dict[int, int] = {}
    for idx, unit in enumerate(groups):
        for uid in subtree_ids(filters.units, unit):
            owner[uid] = idx
    counts = [defaultdict(int) for _g in groups]
    qs = (filters.rollups().filter(question_type=metric.question_type)
          .values("unit_id", "value").annotate(n=Sum("count")).order_by())
    for r in qs:
        if r["unit_id"] in owner:
            counts[owner[r["unit_id"]]][r["value"]] += r["n"]
    rows = []
    for unit, c in zip(groups, counts, strict=True):
        s = estimate(metric_key, c)
        pos, n = positives(metric_key, c)
        rows.append({"unit": unit, "score": s, "positive": pos, "n": n, "counts": c})
    shown = [r for r in rows if r["score"].shown]
    total_pos = sum(r["positive"] for r in rows)
    total_n = sum(r["n"] for r in rows)
    result = {"metric": metric, "rows": rows, "shown": shown, "funnel": None, "target": None}
    if not shown or total_n == 0:
        return result
    # p-values: each unit against the rest of the compared units, then BH across units.
    p_values = []
    for r in shown:
        rest = defaultdict(int)
        for o in rows:
            if o is not r:
                for k, v in o["counts"].items():
                    rest[k] += v
        if metric_key == "nps":
            a, b = r["counts"], rest
            d = compare.nps_difference(
                sum(a.get(v, 0) for v in (9, 10)), sum(a.get(v, 0) for v in (7, 8)),
                sum(a.get(v, 0) for v in range(7)),
                sum(b.get(v, 0) for v in (9, 10)), sum(b.get(v, 0) for v in (7, 8)),
                sum(b.get(v, 0) for v in range(7)))
        else:
            rp, rn = positives(metric_key, rest)
            d = compare.proportion_difference(r["positive"], r["n"], rp, rn)
        p = float(d.p_value)
        p_values.append(p if not math.isnan(p) else 1.0)
    adjusted, reject = compare.benjamini_hochberg(p_values)
    league = compare.league_table([r["score"].value for r in shown],
                                  [r["score"].low for r in shown],
                                  [r["score"].high for r in shown],
                                  labels=[r["unit"].name for r in shown])
    overall = estimate(metric_key, _sum_counts(counts))
    for i, r in enumerate(shown):
        r["rank"] = int(league.rank[i])
        r["tied"] = bool(league.tied[i])
        r["q"] = float(adjusted[i])
        r["significant"] = bool(reject[i])
        r["direction"] = ("above" if overall.shown and r["score"].value > overall.value
                          else "below")
    result["league"] = [shown[i] for i in league.order]
    result["overall"] = overall
    target = total_pos / total_n
    result["target"] = target
    if 0 < target < 1:
        max_n = max(r["n"] for r in shown)
        grid = np.unique(np.linspace(1, max(max_n * 1.1, 10), 60).round().astype(int))
        limits = compare.funnel_limits(target, grid)
        result["funnel"] = {
            "limits": [{"n": int(n), "low95": round(float(limits.low[0][j]) * 100, 2),
                        "high95": round(float(limits.high[0][j]) * 100, 2),
                        "low998": round(float(limits.low[1][j]) * 100, 2),
                        "high998": round(float(limits.high[1][j]) * 100, 2)}
                       for j, n in enumerate(grid)],
            "points": [{"unit": r["unit"].name, "n": r["n"],
                        "share": round(100 * r["positive"] / r["n"], 2)} for r in shown],
            "target": round(target * 100, 2),
        }
    return result


def _sum_counts(counts) -> dict[int, int]:
    total: dict[int, int] = defaultdict(int)
    for c in counts:
        for k, v in c.items():
            total[k] += v
    return total


# --- Staff screen ----------------------------------------------------------------------

def month_bounds(today: date) -> tuple[date, date, date, date]:
    start = today.replace(day=1)
    prev_end = start - timedelta(days=1)
    return start, today, prev_end.replace(day=1), prev_end


def screen(org, unit, units: list) -> dict:
    today = local_today(org)
    start, end, prev_start, prev_end = month_bounds(today)
    f = Filters(org=org, unit=unit, units=units, start=start, end=end)
    types = [METRICS[k].question_type for k in ("nps", "csat", "fft", "smiley")]
    rows = (f.rollups(prev_start, end).filter(question_type__in=[*types, RESPONSE_KEY])
            .values("question_type", "value")
            .annotate(cur=Sum("count", filter=Q(day__gte=start)),
                      prev=Sum("count", filter=Q(day__lte=prev_end))).order_by())
    cur: dict[str, dict[int, int]] = defaultdict(dict)
    prev: dict[str, dict[int, int]] = defaultdict(dict)
    for r in rows:
        cur[r["question_type"]][r["value"]] = r["cur"] or 0
        prev[r["question_type"]][r["value"]] = r["prev"] or 0
    metric_key = next((k for k in ("nps", "csat", "fft", "smiley")
                       if sum(cur[k].values()) or sum(prev[k].values())), "nps")
    now, before = estimate(metric_key, cur[metric_key]), estimate(metric_key, prev[metric_key])
    return {"filters": f, "metric": METRICS[metric_key], "score": now, "previous": before,
            "responses": sum(cur[RESPONSE_KEY].values()),
            "change": (now.plot_value - before.plot_value) if now.shown and before.shown
            else None}


__all__ = ["METRICS", "HEADLINE", "Filters", "Score", "estimate", "overview", "heatmap",
           "comparison", "screen", "NO_TOUCHPOINT"]
