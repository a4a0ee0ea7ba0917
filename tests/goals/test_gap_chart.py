"""The on-screen perception-gap chart names every touchpoint and has one legend."""

import re
from types import SimpleNamespace

import pytest
from django.utils import translation

from kokemus.goals.gap import gap_chart
from kokemus.reports import charts

pytest.importorskip("vl_convert")


def share(value):
    return SimpleNamespace(shown=True, value=value, low=value - 6, high=value + 6,
                           display=f"{value} %", interval=f"{value - 6}–{value + 6}")


def test_screen_gap_chart_has_touchpoint_names_and_a_single_legend():
    table = [{"name": name, "predicted_positive": share(80), "actual_positive": share(55)}
             for name in ("Entrance", "Counter", "Exit")]
    with translation.override("en"):
        chart = gap_chart(SimpleNamespace(pk=1), table)
        svg = charts.to_svg(chart.spec)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for name in ("Entrance", "Counter", "Exit"):
        assert name in texts
    assert texts.count("Staff expected") == 1 and texts.count("Customers said") == 1
    assert "series" not in texts
