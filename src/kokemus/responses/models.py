"""Responses and their answers. Written only by ``actions.do_submit_response``.

On PostgreSQL ``responses_response`` and ``responses_answer`` are range-partitioned by month
on ``submitted_at`` (migration 0003, :mod:`kokemus.responses.partitions`): the primary keys
in the database are ``(id, submitted_at)`` and answers reference ``(response_id,
submitted_at)``; Django keeps ``id`` as the pk (unique through the identity sequence).
SQLite keeps plain tables with the same columns.
"""

from __future__ import annotations

from django.db import models
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
    # No single-column indexes on the foreign keys: the composite indexes below serve the
    # reads, and every index costs each insert (and a rebuild in bulk loads). Deleting a
    # unit, touchpoint, survey version or collection point (rare) scans instead.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="responses", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responses",
                             db_index=False)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="responses", db_index=False)
    survey_version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT,
                                       related_name="responses", db_index=False)
    collection_point = models.ForeignKey(CollectionPoint, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="responses",
                                         db_index=False)
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
        # The idempotency key is unique per organisation through IdempotencyKey (a unique
        # index on a partitioned table would have to include submitted_at).
        indexes = [models.Index(fields=["organisation", "unit", "submitted_at"]),
                   models.Index(fields=["organisation", "touchpoint", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.pk} · {self.unit} · {self.submitted_at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    # A copy of the response's organisation, written in the same statement as the response,
    # whose own foreign key guards it: no database foreign key (its check took a share lock
    # on the organisation's row for every answer of every submission). Django still applies
    # on_delete.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     db_index=False, db_constraint=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # Copy of response.submitted_at (the partition key on PostgreSQL), set when written.
    submitted_at = models.DateTimeField()
    question_key = models.CharField(max_length=64)
    question_type = models.CharField(max_length=32)
    value = models.IntegerField(null=True, blank=True)
    choice = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        # The response foreign key has its index; comments (free text) have a partial one
        # by organisation and time.
        indexes = [models.Index(fields=["organisation", "submitted_at"],
                                condition=models.Q(question_type="free_text"),
                                name="answer_free_text_idx")]

    def __str__(self) -> str:
        return f"{self.question_key}={self.value if self.value is not None else self.choice}"


class IdempotencyKey(models.Model):
    """``(organisation, key)`` of a stored response: the unique index behind idempotent
    submission. A plain (non-partitioned) table, written in the same transaction as the
    response; its rows go when the response goes (also when its month is dropped)."""

    # No index of its own: the unique (organisation, key) index serves its lookups. No
    # database foreign key: a copy of the response's (see Answer.organisation).
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     db_index=False, db_constraint=False)
    key = models.CharField(max_length=100)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False)
    submitted_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"],
                                               name="response_idempotency_key_per_org")]
        indexes = [models.Index(fields=["submitted_at"], name="response_idem_submitted_idx")]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.key} → {self.response_id}"


class RawDataDrop(models.Model):
    """One retention drop: raw responses/answers before ``before`` were removed (whole
    months on PostgreSQL). The latest ``before`` is the raw-data horizon; rollups before it
    are kept but can no longer be checked against raw rows."""

    before = models.DateTimeField()
    dropped_at = models.DateTimeField(default=timezone.now)
    months = models.JSONField(default=list)  # ["2024-01", …]
    responses = models.BigIntegerField(default=0)
    answers = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-before"]

    def __str__(self) -> str:
        return f"before {self.before:%Y-%m-%d}"
