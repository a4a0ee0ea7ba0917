"""Visit events and the survey invitations sent after them.

Privacy: the raw e-mail address or phone number of a visit is stored in ``VisitEvent.email``
/ ``.phone`` only as long as a message may still go out to it (the invitation and at most one
reminder). It is erased when the reminder has been sent, when no reminder is due, when the
link is used or expires, on opt-out, and when the invitation is skipped or fails. What stays
is ``contact_hash``: HMAC-SHA256 of the normalised contact with a key derived from
``SECRET_KEY`` and the organisation id (see :mod:`kokemus.invitations.contact`). The
contact-frequency cap and opt-outs are checked on that hash only.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.models import Touchpoint
from kokemus.surveys.models import CollectionPoint


class InvitationSettings(models.Model):
    """Per-organisation rules; an organisation without a row uses the defaults."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="invitation_settings")
    delay_minutes = models.PositiveIntegerField(_("delay after the visit (minutes)"),
                                                default=120)
    reminder_enabled = models.BooleanField(_("send one reminder"), default=True)
    reminder_after_days = models.PositiveIntegerField(_("reminder after (days)"), default=3)
    quiet_start = models.TimeField(_("quiet hours start"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=dt.time(8, 0))
    contact_frequency_days = models.PositiveIntegerField(
        _("invite the same person at most once in (days)"), default=90)
    link_valid_days = models.PositiveIntegerField(_("link valid for (days)"), default=14)

    def __str__(self) -> str:
        return f"invitation settings · {self.organisation_id}"


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")


class VisitEvent(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="visit_events")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="visit_events")
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="visit_events")
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=ContactChannel.choices)
    email = models.CharField(max_length=254, blank=True)  # erased after sending
    phone = models.CharField(max_length=32, blank=True)  # erased after sending
    contact_hash = models.CharField(max_length=64, db_index=True)
    contact_erased_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, default="fi")
    external_id = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=16, default="api")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "external_id"],
                                               condition=~Q(external_id=""),
                                               name="visit_event_external_id_per_org")]

    def __str__(self) -> str:
        return f"{self.pk} · {self.unit_id} · {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def contact(self) -> str:
        return self.email if self.channel == ContactChannel.EMAIL else self.phone


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    SKIPPED = "skipped", _("Not sent")
    FAILED = "failed", _("Failed")


class SkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("The person has opted out")
    FREQUENCY = "frequency", _("Invited recently (contact-frequency rule)")
    NO_SURVEY = "no_survey", _("No active survey for this unit and touchpoint")
    STALE = "stale", _("The visit is too old")


class SurveyInvitation(models.Model):
    """One invitation per visit event: a single-use, expiring link to the survey."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="survey_invitations")
    visit = models.OneToOneField(VisitEvent, on_delete=models.CASCADE,
                                 related_name="invitation")
    collection_point = models.ForeignKey(CollectionPoint, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    contact_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=ContactChannel.choices)
    language = models.CharField(max_length=8, default="fi")
    # Tokens are derived from ``salt`` with an HMAC keyed by SECRET_KEY (so that a reminder
    # can repeat the link); only their SHA-256 hashes are looked up.
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    optout_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=InvitationStatus.choices,
                              default=InvitationStatus.SCHEDULED)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    send_after = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reminder_due_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey("responses.Response", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 db_constraint=False)  # responses are partitioned
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "send_after"]),
                   models.Index(fields=["status", "reminder_due_at"]),
                   models.Index(fields=["organisation", "contact_hash", "sent_at"])]

    def __str__(self) -> str:
        return f"invitation {self.pk} · {self.status}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class OptOut(models.Model):
    """A contact (by keyed hash) that must never be invited again by the organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    contact_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "contact_hash"],
                                               name="one_optout_per_contact")]

    def __str__(self) -> str:
        return f"opt-out · {self.organisation_id}"
