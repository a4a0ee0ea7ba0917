"""Import jobs: an uploaded CSV/XLSX file of historical responses, its mapping and progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation
from kokemus.surveys.models import Survey


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Mapped")
    VALIDATING = "validating", _("Validating")
    VALIDATED = "validated", _("Validated")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ImportJob(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="import_jobs")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    original_name = models.CharField(max_length=255, blank=True)
    file_path = models.CharField(max_length=500)
    format = models.CharField(max_length=8, choices=ImportFormat.choices)
    encoding = models.CharField(max_length=16, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ImportStatus.choices,
                              default=ImportStatus.UPLOADED)
    dry_run = models.BooleanField(default=False)  # the last/current run only validated
    rows_total = models.PositiveIntegerField(default=0)  # an estimate until the run ends
    rows_done = models.PositiveIntegerField(default=0)
    rows_ok = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # the first 1,000 row errors
    error_file = models.CharField(max_length=500, blank=True)  # every row error, CSV
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name or self.file_path} · {self.status}"

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.VALIDATED):
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.RUNNING, ImportStatus.VALIDATING)
