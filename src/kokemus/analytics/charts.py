"""Vega-Lite specs for the dashboards, with the same numbers as a table (text alternative
and CSV download).

A :class:`Chart` carries the spec (embedded with ``json_script`` and rendered by
``static/kokemus/analytics.js``) and ``columns``/``rows`` – the data behind it, shown in a
``<details>`` table and served as CSV by ``?csv=<chart id>`` on the same URL.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.translation import gettext as _

BLUE = "#1f5fa8"
ORANGE = "#a34a00"
GREY = "#5b6570"
PURPLE = "#6a3d9a"
POINT_COLOURS = {
    "common_cause": GREY,
    "special_cause_improvement": BLUE,
    "special_cause_concern": ORANGE,
    "special_cause_neutral_high": PURPLE,
    "special_cause_neutral_low": PURPLE,
}
NEUTRAL_POINT = "#7a8691"  # a period with no variation label (3.9:1 on white)


@dataclass
class Chart:
    id: str
    title: str
    spec: dict
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    description: str = ""

    @property
    def script_id(self) -> str:
        return f"spec-{self.id}"


def _base(title: str, description: str, width="container", height=220) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": description,
        "title": {"text": title, "anchor": "start", "fontSize": 14},
        "width": width,
        "height": height,
        "background": "white",
        "config": {"font": "system-ui, sans-serif", "axis": {"labelFontSize": 12,
                                                            "titleFontSize": 12},
                   "view": {"stroke": None}},
    }


def spc_chart(chart_id: str, trend, y_title: str) -> Chart:
    labels = point_type_labels()
    values = [dict(p, label=labels.get(p["point_type"], "")) for p in trend.points
              if p["value"] is not None]
    x = {"field": "period", "type": "temporal", "title": _("Week") if trend.grain == "week"
         else _("Month"), "axis": {"format": "%d.%m.%Y" if trend.grain == "week" else "%m/%Y",
                                   "labelAngle": 0, "labelOverlap": True}}
    layers = [
        {"mark": {"type": "line", "color": GREY, "point": False}, "encoding": {
            "x": x, "y": {"field": "value", "type": "quantitative", "title": y_title,
                          "scale": _y_scale(trend.metric)}}},
        {"mark": {"type": "point", "filled": True, "size": 70}, "encoding": {
            "x": x, "y": {"field": "value", "type": "quantitative"},
            # Periods without a variation label (too few periods for limits yet) are not
            # in the colour domain and would be drawn with no fill: give them a neutral
            # grey, kept out of the legend.
            "color": {"condition": {"test": "!datum.label", "value": NEUTRAL_POINT},
                      "field": "label", "type": "nominal", "title": None,
                      "scale": {"domain": list(dict.fromkeys(labels.values())),
                                "range": [POINT_COLOURS[k] for k in labels]},
                      "legend": {"orient": "bottom", "columns": 2, "labelLimit": 220}},
            "tooltip": [{"field": "period", "type": "temporal", "title": _("Period")},
                        {"field": "value", "type": "quantitative", "title": y_title},
                        {"field": "n", "type": "quantitative", "title": _("Responses")},
                        {"field": "label", "type": "nominal", "title": _("Variation")}]}},
    ]
    if trend.enough:
        for fld, dash in (("mean", []), ("upl", [4, 4]), ("lpl", [4, 4])):
            layers.append({"mark": {"type": "line", "color": "#7a8691", "strokeDash": dash,
                                    "strokeWidth": 1, "interpolate": "step-after"},
                           "encoding": {"x": x, "y": {"field": fld, "type": "quantitative"}}})
    spec = _base(trend.metric.label, _("Control chart of %(metric)s per period")
                 % {"metric": trend.metric.label})
    spec.update({"data": {"values": values}, "layer": layers})
    columns = [_("Period"), y_title, _("Lower 95 % limit"), _("Upper 95 % limit"),
               _("Responses"), _("Mean"), _("Lower process limit"), _("Upper process limit"),
               _("Variation")]
    rows = []
    for p in trend.points:
        if p["suppressed"]:
            rows.append([p["period"], _("too few responses to show"), "", "", "", "", "", "",
                         ""])
        else:
            rows.append([p["period"], p["value"], p["low"], p["high"], p["n"], p["mean"],
                         p["lpl"], p["upl"], labels.get(p["point_type"], "")])
    return Chart(chart_id, str(trend.metric.label), spec, [str(c) for c in columns], rows)


def _y_scale(metric) -> dict:
    if metric.percent or metric.key == "smiley":
        return {"domain": [0, 100], "clamp": True}
    if metric.key == "nps":
        return {"domain": [-100, 100], "clamp": True}
    return {"zero": False}


def point_type_labels() -> dict[str, str]:
    return {"common_cause": _("Common cause"),
            "special_cause_improvement": _("Special cause – improvement"),
            "special_cause_concern": _("Special cause – concern"),
            "special_cause_neutral_high": _("Special cause – neutral"),
            "special_cause_neutral_low": _("Special cause – neutral")}


def emotion_chart(chart_id: str, curve: list, stage_label) -> Chart:
    values = [{"stage": stage_label(p["stage"]), "order": i, "value": p["value"],
               "low": p["low"], "high": p["high"], "n": p["n"]}
              for i, p in enumerate(curve) if p["value"] is not None]
    stages = [stage_label(p["stage"]) for p in curve]
    x = {"field": "stage", "type": "ordinal", "sort": stages, "title": _("Stage"),
         "axis": {"labelAngle": 0, "labelLimit": 120}}
    y = {"field": "value", "type": "quantitative", "title": _("Emotion (0–100)"),
         "scale": {"domain": [0, 100]}}
    spec = _base(_("Emotion curve"), _("Average emotion per journey stage, 0 = very negative, "
                                       "100 = very positive"), height=180)
    spec.update({"data": {"values": values}, "layer": [
        {"mark": {"type": "rule", "color": "#9aa5b1"},
         "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"},
                      "y2": {"field": "high"}}},
        {"mark": {"type": "line", "point": {"filled": True, "size": 60}, "color": BLUE},
         "encoding": {"x": x, "y": y, "tooltip": [
             {"field": "stage", "title": _("Stage")},
             {"field": "value", "type": "quantitative", "title": _("Emotion (0–100)")},
             {"field": "n", "type": "quantitative", "title": _("Responses")}]}}]})
    rows = []
    for p in curve:
        if p["suppressed"]:
            rows.append([stage_label(p["stage"]), _("too few responses to show"), "", "", ""])
        elif p["value"] is None:
            rows.append([stage_label(p["stage"]), _("no responses"), "", "", 0])
        else:
            rows.append([stage_label(p["stage"]), p["value"], p["low"], p["high"], p["n"]])
    return Chart(chart_id, _("Emotion curve"), spec,
                 [_("Stage"), _("Emotion (0–100)"), _("Lower 95 % limit"),
                  _("Upper 95 % limit"), _("Responses")], rows)


def funnel_chart(chart_id: str, funnel: dict, y_title: str) -> Chart:
    x = {"field": "n", "type": "quantitative", "title": _("Responses (n)")}
    limit_layers = []
    for low, high, dash, name in (("low95", "high95", [4, 3], "95 %"),
                                  ("low998", "high998", [1, 2], "99.8 %")):
        for fld in (low, high):
            limit_layers.append({
                "data": {"values": funnel["limits"]},
                "mark": {"type": "line", "color": GREY, "strokeDash": dash, "strokeWidth": 1},
                "encoding": {"x": x, "y": {"field": fld, "type": "quantitative"}},
                "description": name})
    spec = _base(_("Funnel plot"), _("Each unit's %(what)s against its number of responses, "
                                     "with 95 %% and 99.8 %% control limits")
                 % {"what": y_title}, height=300)
    spec.update({"layer": [
        *limit_layers,
        {"data": {"values": [{"target": funnel["target"]}]},
         "mark": {"type": "rule", "color": "#1b2430"},
         "encoding": {"y": {"field": "target", "type": "quantitative"}}},
        {"data": {"values": funnel["points"]},
         "mark": {"type": "point", "filled": True, "size": 80, "color": BLUE},
         "encoding": {"x": x, "y": {"field": "share", "type": "quantitative",
                                    "title": y_title + " (%)", "scale": {"zero": False}},
                      "tooltip": [{"field": "unit", "title": _("Unit")},
                                  {"field": "share", "type": "quantitative",
                                   "title": y_title + " (%)"},
                                  {"field": "n", "type": "quantitative",
                                   "title": _("Responses")}]}},
        {"data": {"values": funnel["points"]},
         "mark": {"type": "text", "dx": 8, "align": "left", "fontSize": 11},
         "encoding": {"x": x, "y": {"field": "share", "type": "quantitative"},
                      "text": {"field": "unit"}}},
    ]})
    rows = [[p["unit"], p["n"], p["share"]] for p in funnel["points"]]
    return Chart(chart_id, _("Funnel plot"), spec,
                 [_("Unit"), _("Responses"), y_title + " (%)"], rows)


def drivers_chart(chart_id: str, drivers: list, mean_importance: float,
                  mean_performance: float) -> Chart:
    values = [{"driver": d["label"], "importance": d["importance"],
               "performance": d["performance"], "fix_first": d["fix_first"]} for d in drivers]
    x = {"field": "performance", "type": "quantitative",
         "title": _("Performance (% top-2-box)"), "scale": {"zero": False}}
    y = {"field": "importance", "type": "quantitative",
         "title": _("Importance (% of explained NPS variance)")}
    spec = _base(_("Importance × performance"),
                 _("Drivers of NPS: importance against performance; fix first = high "
                   "importance, low performance"), height=300)
    spec.update({"layer": [
        {"data": {"values": [{"x": mean_performance}]},
         "mark": {"type": "rule", "color": "#9aa5b1", "strokeDash": [4, 4]},
         "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        {"data": {"values": [{"y": mean_importance}]},
         "mark": {"type": "rule", "color": "#9aa5b1", "strokeDash": [4, 4]},
         "encoding": {"y": {"field": "y", "type": "quantitative"}}},
        {"data": {"values": values}, "mark": {"type": "point", "filled": True, "size": 90},
         "encoding": {"x": x, "y": y,
                      "color": {"field": "fix_first", "type": "nominal", "title": None,
                                "scale": {"range": [ORANGE, BLUE],
                                          "domain": [_("Fix first"), _("Other")]},
                                "legend": {"orient": "bottom"}},
                      "tooltip": [{"field": "driver", "title": _("Driver")},
                                  {"field": "importance", "type": "quantitative",
                                   "title": _("Importance")},
                                  {"field": "performance", "type": "quantitative",
                                   "title": _("Performance")}]}},
        {"data": {"values": values}, "mark": {"type": "text", "dx": 8, "align": "left"},
         "encoding": {"x": x, "y": y, "text": {"field": "driver"}}},
    ]})
    rows = [[d["label"], d["importance"], d["performance"], d["fix_first"]] for d in drivers]
    return Chart(chart_id, _("Importance × performance"), spec,
                 [_("Driver"), _("Importance (%)"), _("Performance (%)"), _("Quadrant")], rows)


def csv_response(chart: Chart, filename: str) -> HttpResponse:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(chart.columns)
    writer.writerows(chart.rows)
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
