"""The wizard's steps, in order. Each step is skippable and can be revisited."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    key: str
    title: object  # lazy translation
    summary: object


STEPS: list[Step] = [
    Step("organisation", _("Name and sector"),
         _("Tell us what kind of service you run; the journey template follows from it.")),
    Step("units", _("Units"),
         _("Your pharmacies, clinics, wards or homes: paste a list or upload a CSV file.")),
    Step("journey", _("Customer journey"),
         _("Start from your sector's journey, from awareness to follow-up.")),
    Step("surveys", _("Surveys"),
         _("A short survey at every moment that matters, with a QR code per unit.")),
    Step("promise", _("Service promise"),
         _("Say what experience you want every customer to have.")),
    Step("posters", _("QR posters"),
         _("Print the posters and put them where customers see them.")),
    Step("invite", _("Invite staff"),
         _("Bring your team in: results belong to everyone who earned them.")),
    Step("live", _("First response"),
         _("Scan the code with your phone and watch your first response arrive.")),
]
STEP_KEYS = [s.key for s in STEPS]
BY_KEY = {s.key: s for s in STEPS}


def next_step(key: str) -> str | None:
    i = STEP_KEYS.index(key)
    return STEP_KEYS[i + 1] if i + 1 < len(STEP_KEYS) else None


def previous_step(key: str) -> str | None:
    i = STEP_KEYS.index(key)
    return STEP_KEYS[i - 1] if i > 0 else None
