"""Report schedules (a unit's monthly or weekly PDF e-mailed to recipients) and the log of
every delivery attempt."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Membership, Organisation, Unit, User


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    WEEKLY = "weekly", _("Weekly")


class ReportSchedule(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="report_schedules")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("unit"))
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices,
                                 default=Frequency.MONTHLY)
    emails = models.JSONField(_("e-mail addresses"), default=list, blank=True)
    members = models.ManyToManyField(Membership, blank=True, related_name="+",
                                     verbose_name=_("members"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit__path", "frequency", "id"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_frequency_display()}"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_RECIPIENTS = "no_recipients", _("No recipients")


class ReportDelivery(models.Model):
    """One report of one schedule for one period (retried in place while it fails)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE,
                                 related_name="deliveries")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    recipients = models.PositiveSmallIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)  # bytes of the PDF
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [models.UniqueConstraint(fields=["schedule", "period_start"],
                                               name="one_delivery_per_schedule_period")]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_start}: {self.status}"
