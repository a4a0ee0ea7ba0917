"""The SPC trend chart's Vega-Lite spec draws a point for every period with data.

Before there are enough periods for process limits (fewer than three shown periods) the
points have no variation label; the spec must still give them a visible (neutral) mark.
The spec is rendered to SVG by the same Vega-Lite engine (vl-convert, bundled, no network)
to check what is actually drawn.
"""

import json
import re
from datetime import date

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from kokemus.analytics import charts, queries

vl_convert = pytest.importorskip("vl_convert")


def months(scores: list[dict[int, int]]) -> dict[date, dict[int, int]]:
    return {date(2025, i + 1, 1): s for i, s in enumerate(scores)}


def drawn_points(spec: dict) -> list[str]:
    """The point symbols of the rendered chart (legend symbols excluded), as SVG tags."""
    spec = json.loads(json.dumps(spec, cls=DjangoJSONEncoder))
    spec["width"] = 400
    svg = vl_convert.vegalite_to_svg(spec, vl_version="6.1")
    groups = re.findall(r'<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)</g>', svg)
    return [p for g in groups for p in re.findall(r"<path [^>]*/>", g)
            if 'aria-roledescription="point"' in p]


def visible(path: str) -> bool:
    fill = re.search(r' fill="([^"]+)"', path)
    stroke = re.search(r' stroke="([^"]+)"', path)
    return bool((fill and fill.group(1) not in ("none", "transparent"))
                or (stroke and stroke.group(1) not in ("none", "transparent")))


@pytest.mark.parametrize("n_periods", [1, 2])
def test_periods_without_a_variation_label_still_get_a_point(n_periods):
    tr = queries.trend("nps", months([{10: 6, 9: 3, 2: 3 + i} for i in range(n_periods)]),
                       "month")
    assert not tr.enough
    assert [p["point_type"] for p in tr.points] == [""] * n_periods
    spec = charts.spc_chart("trend-nps", tr, "NPS").spec
    assert len(spec["data"]["values"]) == n_periods
    points = drawn_points(spec)
    assert len(points) == n_periods
    assert all(visible(p) for p in points), points
    # Neutral style: not one of the special-cause colours.
    special = {v for k, v in charts.POINT_COLOURS.items() if k.startswith("special")}
    assert not any(c in p for p in points for c in special)


def test_labelled_points_keep_their_variation_colours():
    scores = [{10: 6 + i % 3, 9: 3, 2: 3 + i % 2} for i in range(10)] + [{10: 60, 9: 3, 2: 1}]
    tr = queries.trend("nps", months(scores), "month")
    assert tr.enough
    assert [p["point_type"] for p in tr.points] == (
        ["common_cause"] * 10 + ["special_cause_improvement"])
    points = drawn_points(charts.spc_chart("trend-nps", tr, "NPS").spec)
    assert len(points) == len(scores)
    assert all(visible(p) for p in points)
    assert f'fill="{charts.POINT_COLOURS["special_cause_improvement"]}"' in points[-1]
    assert all(f'fill="{charts.POINT_COLOURS["common_cause"]}"' in p for p in points[:-1])
