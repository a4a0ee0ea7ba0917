"""Template helpers for journeys: per-language text and the metric slot lookup."""

from __future__ import annotations

from django import template

from kokemus.journeys.i18n import pick

register = template.Library()


@register.filter
def i18n(value) -> str:
    """``{{ tp.description|i18n }}``: the text in the active language (with fallback)."""
    return pick(value)


@register.filter
def metric_for(metrics, touchpoint_id):
    """``{{ metrics|metric_for:tp.pk }}``: the dashboards' value for one touchpoint, or None."""
    if not metrics:
        return None
    try:
        return metrics.get(touchpoint_id, metrics.get(str(touchpoint_id)))
    except AttributeError:
        return None
