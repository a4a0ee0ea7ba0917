"""Surveys with immutable published versions, and collection points (QR/link/kiosk)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.i18n import pick
from kokemus.journeys.models import Touchpoint

# No i/l/o/0/1: codes are read off posters and typed by hand.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="surveys")
    name = models.JSONField(_("name"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=SurveyStatus.choices,
                              default=SurveyStatus.DRAFT)
    template_key = models.CharField(max_length=64, blank=True)
    thank_you = models.JSONField(_("thank-you message"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return pick(self.name)

    def label(self, language: str | None = None) -> str:
        return pick(self.name, language)

    @property
    def current_version(self) -> SurveyVersion | None:
        """The latest published version (what respondents see), or None."""
        cached = getattr(self, "_current_version", None)
        if cached is None:
            cached = (self.versions.filter(published_at__isnull=False)
                      .order_by("-number").first())
            self._current_version = cached
        return cached

    @property
    def draft_version(self) -> SurveyVersion | None:
        return self.versions.filter(published_at__isnull=True).order_by("-number").first()


class SurveyVersion(models.Model):
    """The questions of a survey at one time. Immutable once published."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    questions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["survey", "number"],
                                               name="one_survey_version_number")]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and SurveyVersion.objects.filter(
                pk=self.pk, published_at__isnull=False).exists():
            raise PermissionDenied("A published survey version cannot be changed")
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def question(self, key: str) -> dict | None:
        return next((q for q in self.questions if q["key"] == key), None)


class CollectionChannel(models.TextChoices):
    QR = "qr", _("QR code")
    LINK = "link", _("Link")
    KIOSK = "kiosk", _("Kiosk")


class CollectionPoint(models.Model):
    """Where responses come from: a unit × touchpoint × survey, with a short public code."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="collection_points")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="collection_points")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT,
                               related_name="collection_points")
    code = models.CharField(max_length=16, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=CollectionChannel.choices,
                               default=CollectionChannel.QR)
    thank_you = models.JSONField(_("thank-you message"), default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit__path", "id"]
        indexes = [models.Index(fields=["organisation", "survey"])]

    def __str__(self) -> str:
        return f"{self.code} · {self.unit}"

    def get_absolute_url(self) -> str:
        return f"/r/{self.code}/"

    @property
    def is_closed(self) -> bool:
        """No new answers here: inactive point, survey not published or archived, or the
        unit archived. The public page, the kiosk and invitation links all ask this."""
        return (not self.is_active or self.survey.status != SurveyStatus.PUBLISHED
                or self.survey.archived_at is not None or self.unit.archived_at is not None)


class RespondRateCounter(models.Model):
    """Public form submissions from one device to one collection point in the current
    window (the rate limit of /r/<code>/, see ``kokemus.surveys.ratelimit``).

    ``key`` is a keyed hash of the code and the IP address (no address is stored); rows
    are counted with one ``INSERT … ON CONFLICT … RETURNING`` and purged after expiry.
    """

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
