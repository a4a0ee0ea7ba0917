"""Where each organisation is in the onboarding wizard: one row per organisation."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation


class StepState(models.TextChoices):
    TODO = "todo", _("To do")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class OnboardingProgress(models.Model):
    """The state of every wizard step (``{"units": "done", "promise": "skipped", …}``).

    A missing key means "to do". ``completed_at`` is set when every step is done or
    skipped, or when an administrator dismisses the checklist.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="onboarding")
    steps = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("onboarding progress")
        verbose_name_plural = _("onboarding progress")

    def __str__(self) -> str:
        return f"onboarding of {self.organisation_id}"

    def state(self, step: str) -> str:
        return self.steps.get(step, StepState.TODO)

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
