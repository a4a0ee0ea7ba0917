"""Server-side rendering of the dashboards' Vega-Lite specs to SVG for the PDF.

The specs come from :mod:`kokemus.analytics.charts` (the same functions the screen uses);
only print settings are changed: a fixed width (the screen's is "container"), the report's
font, no tooltips, and for the control chart a *shape* per point type so that improvement /
concern stays distinguishable when printed in greyscale, plus the goal as a dashed rule.
"""

from __future__ import annotations

import json
import logging
import re

from django.core.serializers.json import DjangoJSONEncoder

log = logging.getLogger(__name__)

FONT = "Liberation Sans"
VL_VERSION = "6.1"
SHAPES = {"common_cause": "circle", "special_cause_improvement": "triangle-up",
          "special_cause_concern": "triangle-down", "special_cause_neutral_high": "square",
          "special_cause_neutral_low": "square"}


def for_print(spec: dict, width: int = 470, height: int | None = None) -> dict:
    # A deep copy with lazy translations made plain strings (vl-convert takes JSON).
    spec = json.loads(json.dumps(spec, cls=DjangoJSONEncoder))
    spec["width"] = width
    spec.pop("title", None)  # the report prints the title as the figure caption
    if height:
        spec["height"] = height
    spec.pop("$schema", None)
    config = spec.setdefault("config", {})
    config["font"] = FONT
    config.setdefault("legend", {})["labelFontSize"] = 10
    config["axis"] = {**config.get("axis", {}), "labelFontSize": 10, "titleFontSize": 10}
    # Compact: no vertical grid lines (each is an SVG element WeasyPrint has to draw).
    config["axisX"] = {**config.get("axisX", {}), "grid": False}
    _strip_tooltips(spec)
    return spec


def _strip_tooltips(node) -> None:
    if isinstance(node, dict):
        enc = node.get("encoding")
        if isinstance(enc, dict):
            enc.pop("tooltip", None)
        for v in node.values():
            _strip_tooltips(v)
    elif isinstance(node, list):
        for v in node:
            _strip_tooltips(v)


def spc_for_print(spec: dict, labels: dict[str, str], target: float | None) -> dict:
    """The control chart with greyscale-safe point shapes and the goal line.

    The legend is left out of each chart: the report prints it once for all charts
    (:func:`spc_legend`). Points without a variation label (too few periods for limits)
    keep the screen spec's neutral colour and are drawn as circles."""
    spec = for_print(spec, height=115)
    layers = spec.get("layer", [])
    for layer in layers:
        x = layer.get("encoding", {}).get("x")
        if isinstance(x, dict) and x.get("type") == "temporal":
            # At most ~7 labelled ticks: hidden overlapping labels would still be drawn.
            x["axis"] = {**x.get("axis", {}), "tickCount": 7, "labelOverlap": True}
        colour = layer.get("encoding", {}).get("color")
        if colour and colour.get("field") == "label":
            domain = colour["scale"]["domain"]
            colour["legend"] = None
            shape_of = {lab: SHAPES[k] for k, lab in labels.items()}
            layer["encoding"]["shape"] = {
                "field": "label", "type": "nominal", "title": None, "legend": None,
                "scale": {"domain": domain, "range": [shape_of.get(d, "circle") for d in domain]}}
    if target is not None:
        layers.append({"data": {"values": [{"goal": target}]},
                       "mark": {"type": "rule", "color": "#000000", "strokeDash": [2, 3],
                                "strokeWidth": 1.5},
                       "encoding": {"y": {"field": "goal", "type": "quantitative"}}})
    return spec


def spc_legend(labels: dict[str, str]) -> list[dict]:
    """One legend for every control chart in the report: label and a small SVG symbol in
    the chart's colour and shape (decorative; the label is the text)."""
    from kokemus.analytics.charts import POINT_COLOURS

    out, seen = [], set()
    for key, label in labels.items():
        if label in seen:
            continue
        seen.add(label)
        out.append({"label": label, "svg": _symbol(SHAPES[key], POINT_COLOURS[key])})
    return out


_SYMBOL_PATHS = {"circle": "M2.5,6a3.5,3.5,0,1,0,7,0a3.5,3.5,0,1,0,-7,0Z", "square": "M2.8,2.8h6.4v6.4h-6.4Z",
                 "triangle-up": "M6,2L10,9.5H2Z", "triangle-down": "M6,10L10,2.5H2Z"}


def _symbol(shape: str, colour: str) -> str:
    return ('<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" width="12" '
            f'height="12" viewBox="0 0 12 12"><path d="{_SYMBOL_PATHS[shape]}" '
            f'fill="{colour}"/></svg>')


def gap_for_print(spec: dict) -> dict:
    """The perception-gap dot plot for print: the touchpoint names on the y axis (the
    interval layer hides its axis, which would hide the shared one) and one legend (colour
    and shape of the same series) above the plot."""
    spec = for_print(spec)
    colour_domain = None
    for layer in spec.get("layer", []):
        enc = layer.get("encoding", {})
        y = enc.get("y")
        if isinstance(y, dict) and y.get("type") == "nominal":
            y.pop("axis", None)
            y["axis"] = {"labelLimit": 150, "labelFontSize": 10}
        colour = enc.get("color")
        if colour and colour.get("scale", {}).get("domain"):
            colour_domain = colour["scale"]["domain"]
            colour["legend"] = {"orient": "top", "title": None}
    for layer in spec.get("layer", []):
        shape = layer.get("encoding", {}).get("shape")
        if shape and colour_domain:
            shape["title"] = None
            shape["legend"] = {"orient": "top", "title": None}
            shape["scale"] = {"domain": colour_domain, "range": ["diamond", "circle"]}
    return spec


# Attributes of vl-convert's SVG that only serve interactive use or assistive technology
# (the whole chart is aria-hidden; its data are in a table next to it). Dropping them
# makes the markup about half as long, which the PDF engine parses and styles per element.
_NOISE = re.compile(r'\s(?:aria-[a-z]+|role|class|pointer-events)="[^"]*"')
_EMPTY = re.compile(r'<path d="(?:M0,0h0v0h0Z)?"(?: display="none")?/>|<g(?: transform='
                    r'"translate\(0,0\)")?></g>')


def compact_svg(svg: str) -> str:
    svg = _NOISE.sub("", svg)
    while True:
        shorter = _EMPTY.sub("", svg)
        if shorter == svg:
            return svg
        svg = shorter


def to_svg(spec: dict) -> str:
    """SVG markup for ``spec`` (vl-convert, bundled engine; no network). Empty on failure."""
    try:
        import vl_convert
    except ImportError:  # pragma: no cover - dependency missing
        log.warning("vl-convert-python is not installed; report charts are left out")
        return ""
    try:
        svg = vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)
    except Exception:  # pragma: no cover - a chart must never break the report
        log.exception("could not render a chart")
        return ""
    # Decorative for assistive technology: each chart has a data table next to it.
    svg = compact_svg(svg.lstrip())
    return re.sub(r"^<svg ", '<svg aria-hidden="true" ', svg, count=1)
