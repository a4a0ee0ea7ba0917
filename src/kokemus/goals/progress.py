"""Progress of a goal: actual vs. target, a trend forecast with the probability of
reaching the target by the deadline, and the SPC assurance verdict.

The forecast is :func:`kokemus.metrics.forecast.trend_forecast` on the scope's monthly
(weekly for short histories) scores, with time in months; the deadline is the period that
contains it. A goal is *on track* when that probability is at least ``ON_TRACK``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kokemus.goals import series as S
from kokemus.goals.quality import Draft
from kokemus.metrics import spc
from kokemus.metrics.forecast import Forecast, trend_forecast

ON_TRACK = 0.6
MIN_POINTS = 3


@dataclass
class Progress:
    metric: str
    target: float | None
    actual: S.Point | None = None
    forecast: Forecast | None = None
    assurance: str | None = None
    variation: str | None = None
    points: int = 0
    no_data: bool = True
    series: S.Series | None = None

    @property
    def probability(self) -> float | None:
        if self.forecast is None or self.forecast.probability is None:
            return None
        return float(self.forecast.probability)

    @property
    def probability_pct(self) -> str:
        p = self.probability
        return "" if p is None else f"{p * 100:.0f} %"

    @property
    def on_track(self) -> bool | None:
        p = self.probability
        return None if p is None else p >= ON_TRACK

    @property
    def status(self) -> str:
        """"on_track", "at_risk", "reached" or "unknown"."""
        if self.on_track is None:
            return "unknown"
        return "on_track" if self.on_track else "at_risk"

    @property
    def actual_display(self) -> str:
        return S.fmt(self.metric, self.actual.value) if self.actual else "–"

    @property
    def target_display(self) -> str:
        return S.fmt(self.metric, self.target)

    @property
    def forecast_display(self) -> str:
        return S.fmt(self.metric, float(self.forecast.mean)) if self.forecast else "–"


def deadline_time(deadline: date, grain: str) -> float:
    """Time (months) of the period containing the deadline."""
    if grain == "month":
        return S.month_index(deadline.replace(day=1))
    return S.month_index(deadline - timedelta(days=deadline.weekday()))


def forecast_for(ser: S.Series, deadline: date, target: float | None) -> Forecast | None:
    if len(ser.points) < MIN_POINTS or len(set(ser.times)) < 2:
        return None
    return trend_forecast(ser.values, at=deadline_time(deadline, ser.grain), times=ser.times,
                          target=target, direction=S.direction(ser.metric))


def goal_progress(goal, today: date | None = None) -> Progress:
    prog = Progress(goal.metric, goal.target)
    draft = Draft.from_goal(goal)
    if goal.metric not in S.WITH_DATA or not draft.scope_complete:
        return prog
    today = today or S.today_for(goal.organisation)
    start = goal.baseline_start or S.add_months(today, -12)
    ser = S.series(draft.scope_ref(), goal.metric, goal.behaviour, start, today)
    prog.series = ser
    prog.points = len(ser.points)
    if not ser.points:
        return prog
    prog.no_data = False
    prog.actual = ser.points[-1]
    if goal.deadline is not None:
        prog.forecast = forecast_for(ser, goal.deadline, goal.target)
    if len(ser.points) >= MIN_POINTS:
        chart = spc.xmr(ser.values, improvement_direction=S.direction(goal.metric),
                        target=goal.target)
        prog.assurance = chart.assurance
        prog.variation = chart.variation
    return prog


def target_for(org, unit, metric_key: str) -> float | None:
    """The target of the active organisation/unit-scope goal for ``unit`` (nearest goal on
    the unit or above it) on the display scale (NPS points, percentages 0–100) — for the
    dashboards' ``goal_for`` hook."""
    from kokemus.goals.models import Goal, Scope

    goals = (Goal.objects.filter(organisation=org, metric=metric_key, archived_at__isnull=True,
                                 target__isnull=False)
             .exclude(scope=Scope.TOUCHPOINT).select_related("unit"))
    best = None
    for g in goals:
        path = g.unit.path if g.scope == Scope.UNIT and g.unit else ""
        if unit is not None and not unit.path.startswith(path):
            continue
        if best is None or len(path) > best[0]:
            best = (len(path), g.target)
    return best[1] if best else None
