"""Template helpers for the dashboards."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def display_comment(answer) -> str:
    """The comment text to show for a free-text answer (the one place to swap in redaction).

    Prefers a ``redacted`` text when the text-analytics app provides one. Returned as plain
    text; the template escapes it.
    """
    redacted = getattr(answer, "redacted", None)
    return redacted if isinstance(redacted, str) and redacted else answer.text


@register.filter
def signed(value, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:+.{int(digits)}f}".replace("-", "−")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
