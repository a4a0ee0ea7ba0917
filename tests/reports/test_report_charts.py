"""Print versions of the dashboards' charts: every period drawn, compact SVG, readable
perception-gap chart (touchpoint names on the axis, one legend)."""

import re
from datetime import date

import pytest

from kokemus.analytics import charts as acharts
from kokemus.analytics import queries
from kokemus.reports import charts

pytest.importorskip("vl_convert")


def trend(n_periods: int):
    scores = {date(2025, i + 1, 1): {10: 6 + i % 3, 9: 3, 2: 3 + i % 2}
              for i in range(n_periods)}
    return queries.trend("nps", scores, "month")


def symbols(svg: str) -> list[str]:
    # Point marks are the symbol paths translated into the plot (legend-free charts).
    return re.findall(r'<path transform="translate\([^)]*\)" d="M[^"]*"[^>]*/>', svg)


@pytest.mark.parametrize("n_periods", [2, 8])
def test_every_period_has_a_visible_point_and_the_svg_is_compact(n_periods):
    tr = trend(n_periods)
    labels = acharts.point_type_labels()
    spec = acharts.spc_chart("trend-nps", tr, "NPS").spec
    svg = charts.to_svg(charts.spc_for_print(spec, labels, target=20.0))
    assert svg.startswith('<svg aria-hidden="true" ')
    points = symbols(svg)
    assert len(points) == n_periods
    assert all(re.search(r' fill="#[0-9a-fA-F]{6}"', p) for p in points)
    # No per-chart legend (printed once in the report) and no interactive/ARIA attributes.
    assert not any(str(lab) in svg for lab in labels.values())
    assert "aria-label=" not in svg and "role=" not in svg and "class=" not in svg
    assert len(svg) < 12_000


def test_legend_once_for_all_charts():
    labels = acharts.point_type_labels()
    legend = charts.spc_legend(labels)
    assert [item["label"] for item in legend] == list(dict.fromkeys(labels.values()))
    assert all(item["svg"].startswith('<svg aria-hidden="true"') for item in legend)


def test_compact_svg_keeps_the_drawing():
    raw = ('<svg x="1"><g class="mark-group" role="graphics-object"><path aria-label="a; b" '
           'role="graphics-symbol" d="M1,1h2Z" fill="#000"/><g><path d=""/></g></g></svg>')
    assert charts.compact_svg(raw) == '<svg x="1"><g><path d="M1,1h2Z" fill="#000"/></g></svg>'


def test_gap_chart_prints_touchpoint_names_and_one_legend():
    spec = {"layer": [
        {"mark": {"type": "rule"}, "encoding": {
            "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"},
            "y": {"field": "touchpoint", "type": "nominal", "title": None, "axis": None},
            "yOffset": {"field": "series"},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": ["Expected", "Measured"],
                                "range": ["#a34a00", "#1f5fa8"]}}}},
        {"mark": {"type": "point", "filled": True}, "encoding": {
            "x": {"field": "value", "type": "quantitative", "scale": {"domain": [0, 100]}},
            "y": {"field": "touchpoint", "type": "nominal", "title": None},
            "yOffset": {"field": "series"},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": ["Expected", "Measured"],
                                "range": ["#a34a00", "#1f5fa8"]}},
            "shape": {"field": "series", "type": "nominal",
                      "scale": {"range": ["diamond", "circle"]}}}}],
        "data": {"values": [
            {"touchpoint": tp, "series": s, "value": v, "low": v - 5, "high": v + 5}
            for tp in ("Entrance", "Counter") for s, v in (("Expected", 70),
                                                           ("Measured", 40))]}}
    svg = charts.to_svg(charts.gap_for_print(spec))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "Entrance" in texts and "Counter" in texts
    assert texts.count("Expected") == 1 and texts.count("Measured") == 1
    assert "series" not in texts
