"""The organisation's service promise: what experience management wants customers to have.

``current_promise(org, language)`` is the helper the staff screen, dashboards and reports
use to head their pages with the promise (also as the template tag
``{% load goals_tags %}{% current_promise current_org as promise %}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from kokemus.goals.models import ServicePromise
from kokemus.journeys.i18n import pick


@dataclass(frozen=True)
class CurrentPromise:
    text: str
    intent: str
    language: str
    version: int
    created_at: datetime
    created_by: str

    def __str__(self) -> str:
        return self.text


def current_promise(org, language: str | None = None) -> CurrentPromise | None:
    """The newest promise of ``org`` in ``language`` (falling back to the other
    languages), or None when none has been written."""
    if org is None:
        return None
    qs = ServicePromise.objects.filter(organisation=org).select_related("created_by")
    latest = qs.first()
    if latest is None:
        return None
    lang = language or org.default_language
    return CurrentPromise(text=pick(latest.promise, lang), intent=pick(latest.intent, lang),
                          language=lang, version=qs.count(), created_at=latest.created_at,
                          created_by=str(latest.created_by or ""))


# Examples shown beside the editor (seeds/000: strong = concrete, customer-centred,
# ambitious; weak = vague and modest). Product guidance, so translated through gettext.
STRONG_EXAMPLES = [
    _("We want to positively surprise every customer."),
    _("Every customer leaves feeling welcome: greeted within ten seconds, served by name, "
      "with the time they need."),
    _("Your most important task is to delight the customer."),
]
WEAK_EXAMPLES = [
    _("We strive for good service."),
    _("Customer satisfaction is important to us."),
    _("We try to keep our customers reasonably satisfied."),
]
