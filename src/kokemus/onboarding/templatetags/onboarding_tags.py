"""``{% load onboarding_tags %}{% onboarding_checklist %}``: the onboarding checklist shown
on the organisation home page to administrators until every step is done or skipped."""

from __future__ import annotations

from django import template

from kokemus.onboarding.context_processors import checklist_context

register = template.Library()


@register.inclusion_tag("onboarding/_checklist.html", takes_context=True)
def onboarding_checklist(context):
    return checklist_context(context.get("current_org"), context.get("current_membership"))
