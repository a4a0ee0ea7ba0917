"""Service promise (versioned), goals that cascade down the unit tree, and perception-gap
rounds in which staff predict what customers will say."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation, Unit, User
from kokemus.journeys.models import Touchpoint


class ServicePromise(models.Model):
    """One version of the organisation's promise; the newest row is the current one."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="service_promises")
    promise = models.JSONField(_("promise"), default=dict)  # {"fi", "sv", "en"}
    intent = models.JSONField(_("intent"), default=dict, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return str(self.promise.get("fi") or next(iter(self.promise.values()), ""))


class Metric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT (top-2-box %)")
    FFT = "fft", _("FFT % positive")
    CES = "ces", _("CES (mean ease, 1–7)")
    BEHAVIOUR = "behaviour", _("Service behaviour rating (mean, 1–5)")
    EXPECTATIONS = "expectations", _("Expectations exceeded (%)")
    FOLLOWUP = "followup", _("Follow-up time (hours)")
    RESPONSES = "responses", _("Responses per month")


class Scope(models.TextChoices):
    ORGANISATION = "organisation", _("Whole organisation")
    UNIT = "unit", _("Unit and the units below it")
    TOUCHPOINT = "touchpoint", _("Touchpoint")


class Goal(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="goals")
    aim = models.CharField(_("aim in your own words"), max_length=300, blank=True)
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices, blank=True)
    behaviour = models.CharField(_("service behaviour"), max_length=32, blank=True)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("unit"))
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+", verbose_name=_("touchpoint"))
    target = models.FloatField(_("target"), null=True, blank=True)
    baseline_start = models.DateField(_("baseline from"), null=True, blank=True)
    baseline_end = models.DateField(_("baseline to"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("owner"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "-created_at"]
        indexes = [models.Index(fields=["organisation", "metric"])]

    def __str__(self) -> str:
        return self.aim or self.get_metric_display() or str(_("Goal"))


class PositiveMeasure(models.TextChoices):
    NPS = "nps", _("NPS promoters (9–10)")
    CSAT = "csat", _("CSAT top-2-box (4–5)")
    SMILEY = "smiley", _("Smiley top-2-box (the two happiest faces)")


class PredictionRound(models.Model):
    """Staff predict, per touchpoint, the share of positive customers and the share whose
    expectations were exceeded; after the period the product shows the measured truth."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="prediction_rounds")
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("units"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    positive_measure = models.CharField(_("what counts as positive"), max_length=16,
                                        choices=PositiveMeasure.choices,
                                        default=PositiveMeasure.NPS)
    touchpoints = models.ManyToManyField(Touchpoint, related_name="+",
                                         verbose_name=_("touchpoints"))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_end", "-id"]

    def __str__(self) -> str:
        return self.title


class Prediction(models.Model):
    """One staff member's private prediction for one touchpoint (percentages 0–100)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(PredictionRound, on_delete=models.CASCADE,
                              related_name="predictions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    positive_pct = models.FloatField(_("customers positive (%)"))
    exceeded_pct = models.FloatField(_("expectations exceeded (%)"))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "user", "touchpoint"],
                                               name="one_prediction_per_touchpoint")]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.touchpoint_id}/{self.user_id}"
