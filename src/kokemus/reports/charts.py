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
    """The control chart with greyscale-safe point shapes and the goal line."""
    spec = for_print(spec, height=115)
    layers = spec.get("layer", [])
    # Every shown period gets a black dot, also before there are enough points for limits
    # (the coloured layer only draws points with a variation label).
    if len(layers) > 1:
        x = layers[0]["encoding"]["x"]
        layers.insert(1, {"mark": {"type": "point", "filled": True, "size": 30,
                                   "color": "#000000"},
                          "encoding": {"x": x, "y": {"field": "value",
                                                     "type": "quantitative"}}})
    for layer in layers:
        colour = layer.get("encoding", {}).get("color")
        if colour and colour.get("field") == "label":
            domain = colour["scale"]["domain"]
            colour["legend"] = {**colour.get("legend", {}), "columns": 4, "labelLimit": 200}
            shape_of = {lab: SHAPES[k] for k, lab in labels.items()}
            layer["encoding"]["shape"] = {
                "field": "label", "type": "nominal", "title": None,
                "scale": {"domain": domain, "range": [shape_of.get(d, "circle") for d in domain]}}
    if target is not None:
        layers.append({"data": {"values": [{"goal": target}]},
                       "mark": {"type": "rule", "color": "#000000", "strokeDash": [2, 3],
                                "strokeWidth": 1.5},
                       "encoding": {"y": {"field": "goal", "type": "quantitative"}}})
    return spec


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
    svg = re.sub(r"^<svg ", '<svg aria-hidden="true" ', svg.lstrip(), count=1)
    return svg
