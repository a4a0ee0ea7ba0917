"""Responses and their answers. Written only by ``actions.do_submit_response``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.models import Touchpoint
from kokemus.surveys.models import CollectionPoint, SurveyVersion


class ResponseChannel(models.TextChoices):
    QR = "qr", _("QR code")
    LINK = "link", _("Link")
    KIOSK = "kiosk", _("Kiosk")
    INVITATION = "invitation", _("Invitation")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class Response(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="responses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responses")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="responses")
    survey_version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT,
                                       related_name="responses")
    collection_point = models.ForeignKey(CollectionPoint, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="responses")
    channel = models.CharField(max_length=16, choices=ResponseChannel.choices)
    language = models.CharField(max_length=8)
    submitted_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=100, blank=True)
    consent_contact = models.BooleanField(default=False)
    contact = models.TextField(blank=True)
    consent_wording = models.JSONField(default=dict, blank=True)
    respondent_token = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "idempotency_key"],
                                    condition=~Q(idempotency_key=""),
                                    name="response_idempotency_per_org"),
        ]
        indexes = [models.Index(fields=["organisation", "idempotency_key"],
                                name="response_org_idem_idx"),
                   models.Index(fields=["organisation", "unit", "submitted_at"]),
                   models.Index(fields=["organisation", "touchpoint", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.pk} · {self.unit} · {self.submitted_at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question_key = models.CharField(max_length=64)
    question_type = models.CharField(max_length=32)
    value = models.IntegerField(null=True, blank=True)
    choice = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "question_type"]),
                   models.Index(fields=["response"])]

    def __str__(self) -> str:
        return f"{self.question_key}={self.value if self.value is not None else self.choice}"
