"""Journeys, their ordered stages and touchpoints.

Identity is stable: a response points at a Touchpoint row, and editing a journey renames,
moves or archives rows but never re-points or deletes one that has feedback. Every
structural edit bumps ``Journey.version`` and stores a snapshot in JourneyVersion, so the
map as it was at any time can be shown next to old results.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.i18n import pick


class Channel(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    DIGITAL = "digital", _("Digital")
    PHONE = "phone", _("Phone")


class Journey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="journeys")
    name = models.JSONField(_("name"), default=dict)
    persona = models.JSONField(_("customer type"), default=dict, blank=True)
    description = models.JSONField(_("description"), default=dict, blank=True)
    template_key = models.CharField(max_length=64, blank=True)
    units = models.ManyToManyField(Unit, blank=True, related_name="journeys",
                                   verbose_name=_("units"))
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return pick(self.name)

    def label(self, language: str | None = None) -> str:
        return pick(self.name, language)


class Stage(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(max_length=64)
    name = models.JSONField(_("name"), default=dict)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return pick(self.name)


class Touchpoint(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="touchpoints")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="touchpoints")
    key = models.SlugField(max_length=64)
    name = models.JSONField(_("name"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices,
                               default=Channel.PHYSICAL)
    owner_role = models.JSONField(_("responsible role"), default=dict, blank=True)
    moment_that_matters = models.BooleanField(_("moment that matters"), default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stage__position", "position", "id"]
        indexes = [models.Index(fields=["organisation", "journey"])]

    def __str__(self) -> str:
        return pick(self.name)


class JourneyVersion(models.Model):
    """A snapshot of a journey's structure after each structural edit."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["journey", "version"],
                                               name="one_snapshot_per_version")]

    def __str__(self) -> str:
        return f"{self.journey_id} v{self.version}"
