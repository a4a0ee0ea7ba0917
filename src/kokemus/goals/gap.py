"""Perception gap: what staff expected vs. what customers said, per touchpoint.

Definitions (one per round, chosen when the round is opened and shown to staff):

* **% positive** — share of the round's positive measure: NPS promoters (9–10), or the
  top-2-box of CSAT (4–5) or smiley (the two happiest faces), via
  :func:`kokemus.analytics.queries.positives`;
* **% expectations exceeded** — answers 4–5 ("better / much better than expected").

Actual shares get a Wilson interval (:func:`kokemus.metrics.scores.proportion`); the
staff's predictions a mean ± Student-t interval (:func:`~kokemus.metrics.scores.
mean_from_moments`). Individual predictions are private; an aggregate is shown only when
at least ``MIN_STAFF`` people predicted (otherwise the reason is shown), and customer
shares only from ``POLICY.min_unit_n`` answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext as _

from kokemus.analytics.charts import BLUE, ORANGE, Chart, _base
from kokemus.analytics.models import DailyCount
from kokemus.analytics.queries import POLICY, positives
from kokemus.journeys.i18n import pick
from kokemus.metrics import scores

MIN_STAFF = 5


@dataclass
class Share:
    value: float | None = None  # percent
    low: float | None = None
    high: float | None = None
    n: int | None = None
    suppressed: bool = False
    reason: str = ""

    @property
    def shown(self) -> bool:
        return self.value is not None

    def fmt(self, x):
        return "–" if x is None else f"{x:.0f} %"

    @property
    def display(self) -> str:
        return self.fmt(self.value)

    @property
    def interval(self) -> str:
        if self.low is None or self.high is None:
            return ""
        return f"{self.fmt(self.low)} … {self.fmt(self.high)}"


def _clip(x: float) -> float:
    return round(max(0.0, min(100.0, float(x))), 1)


def staff_share(values: list[float]) -> Share:
    n = len(values)
    if n < MIN_STAFF:
        return Share(suppressed=True, reason=_(
            "Shown only when at least %(min)s people have predicted, so that no one's "
            "prediction can be singled out.") % {"min": MIN_STAFF})
    est = scores.mean_from_moments(n, sum(values), sum(v * v for v in values))
    return Share(_clip(est.value), _clip(est.low), _clip(est.high), n)


def customer_share(successes: int, n: int) -> Share:
    if n == 0:
        return Share(reason=_("No answers in this period."))
    if POLICY.is_suppressed(n):
        return Share(suppressed=True, reason=_("Too few answers to show (fewer than %(min)s).")
                     % {"min": POLICY.min_unit_n})
    est = scores.proportion(successes, n)
    return Share(_clip(est.value * 100), _clip(est.low * 100), _clip(est.high * 100), n)


def results(rnd, language: str | None = None) -> dict:
    tps = list(rnd.touchpoints.order_by("journey_id", "position", "pk"))
    preds = list(rnd.predictions.all().values("user_id", "touchpoint_id", "positive_pct",
                                              "exceeded_pct"))
    by_tp: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for p in preds:
        by_tp[p["touchpoint_id"]]["positive"].append(p["positive_pct"])
        by_tp[p["touchpoint_id"]]["exceeded"].append(p["exceeded_pct"])
    measure = rnd.positive_measure
    rows = (DailyCount.objects.filter(
        organisation_id=rnd.organisation_id, unit__path__startswith=rnd.unit.path,
        touchpoint_id__in=[t.pk for t in tps], day__gte=rnd.period_start,
        day__lte=rnd.period_end, question_type__in=[measure, "expectations"])
        .values("touchpoint_id", "question_type", "value").annotate(n=Sum("count")).order_by())
    counts: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for r in rows:
        counts[(r["touchpoint_id"], r["question_type"])][r["value"]] = r["n"]

    table = []
    totals = {"positive": [0, 0], "exceeded": [0, 0]}
    for tp in tps:
        pos_s, pos_n = positives(measure, counts.get((tp.pk, measure), {}))
        exc_s, exc_n = positives("expectations", counts.get((tp.pk, "expectations"), {}))
        totals["positive"][0] += pos_s
        totals["positive"][1] += pos_n
        totals["exceeded"][0] += exc_s
        totals["exceeded"][1] += exc_n
        table.append({
            "touchpoint": tp, "name": pick(tp.name, language),
            "predicted_positive": staff_share(by_tp[tp.pk]["positive"]),
            "actual_positive": customer_share(pos_s, pos_n),
            "predicted_exceeded": staff_share(by_tp[tp.pk]["exceeded"]),
            "actual_exceeded": customer_share(exc_s, exc_n),
        })
    people = {p["user_id"] for p in preds}
    headline = {}
    for key in ("positive", "exceeded"):
        field = f"{key}_pct"
        per_person: dict[int, list[float]] = defaultdict(list)
        for p in preds:
            per_person[p["user_id"]].append(p[field])
        means = [sum(v) / len(v) for v in per_person.values()]
        headline[key] = {"expected": staff_share(means),
                         "actual": customer_share(*totals[key])}
    return {"rows": table, "headline": headline, "people": len(people),
            "enough_people": len(people) >= MIN_STAFF, "chart": gap_chart(rnd, table)}


def gap_chart(rnd, table: list[dict]) -> Chart:
    """Paired dot plot (Vega-Lite): predicted vs. actual % positive per touchpoint."""
    expected, actual = _("Staff expected"), _("Customers said")
    values = []
    data_rows = []
    for row in table:
        for label, share in ((expected, row["predicted_positive"]),
                             (actual, row["actual_positive"])):
            if share.shown:
                values.append({"touchpoint": row["name"], "series": label,
                               "value": share.value, "low": share.low, "high": share.high})
        p, a = row["predicted_positive"], row["actual_positive"]
        data_rows.append([row["name"], p.display, p.interval, a.display, a.interval])
    title = _("Share of positive customers: expected vs. measured")
    spec = _base(title, _("Paired dot plot: for each touchpoint the staff's mean prediction "
                          "and the measured share with 95 % intervals."),
                 height=max(80, 48 * len(table)))
    x = {"field": "value", "type": "quantitative", "title": _("% positive"),
         "scale": {"domain": [0, 100]}}
    y = {"field": "touchpoint", "type": "nominal", "title": None}
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": {"domain": [expected, actual], "range": [ORANGE, BLUE]}}
    spec.update({
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {"x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"},
                          "y": y, "yOffset": {"field": "series"},
                          "color": colour}},
            {"mark": {"type": "point", "filled": True, "size": 90},
             "encoding": {"x": x, "y": y, "yOffset": {"field": "series"}, "color": colour,
                          "shape": {"field": "series", "type": "nominal", "title": None,
                                    "scale": {"domain": [expected, actual],
                                              "range": ["diamond", "circle"]}},
                          "tooltip": [{"field": "touchpoint"}, {"field": "series"},
                                      {"field": "value", "format": ".0f"},
                                      {"field": "low", "format": ".0f"},
                                      {"field": "high", "format": ".0f"}]}},
        ],
    })
    return Chart(f"gap-{rnd.pk}", title, spec,
                 [_("Touchpoint"), expected, _("95 % interval"), actual, _("95 % interval")],
                 data_rows)
