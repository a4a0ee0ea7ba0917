"""``{% load help_tags %}{% help "nps" %}``: an accessible disclosure with contextual help."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.translation import get_language

from kokemus.onboarding.help import help_text

register = template.Library()


@register.simple_tag(name="help")
def help_tag(key: str) -> str:
    """A <details> disclosure; an unknown key renders nothing (and never breaks a page)."""
    text = help_text(key, get_language())
    if text is None:
        return ""
    return render_to_string("components/help.html", {"key": key, **text})
