"""Per-organisation theme taxonomy, comment analyses and staff mentions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from kokemus.accounts.models import Membership, Organisation


class OrganisationTaxonomy(models.Model):
    """An organisation's edited copy of the theme taxonomy (absent = the shipped default)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="taxonomy")
    data = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"taxonomy of {self.organisation_id}"


PENDING = "pending"


class CommentAnalysis(models.Model):
    """Language, sentiment and themes of one free-text answer (computed in the background)."""

    # No index of its own: the (organisation, sentiment) index serves its lookups. No
    # database foreign key: a copy of its answer's (see responses.models.Answer).
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     db_index=False, db_constraint=False)
    # No database FK: answers are partitioned on PostgreSQL (see responses.models).
    answer = models.OneToOneField("responses.Answer", on_delete=models.CASCADE,
                                  related_name="analysis", db_constraint=False)
    language = models.CharField(max_length=8)
    sentiment = models.CharField(max_length=10)  # positive / neutral / negative / pending
    score = models.FloatField()
    themes = models.JSONField(default=list)  # [{"key", "sentiment", "score"}]
    redacted = models.TextField()
    analysed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "sentiment"])]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.sentiment}"


class StaffMention(models.Model):
    """A comment that names a member of staff (found before any redaction)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE,
                               related_name="staff_mentions", db_constraint=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                   related_name="mentions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "membership"],
                                               name="one_mention_per_answer_member")]

    def __str__(self) -> str:
        return f"{self.answer_id} → {self.membership_id}"
