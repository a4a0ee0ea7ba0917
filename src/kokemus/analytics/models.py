"""Rollup table: answer counts per organisation, unit, touchpoint, channel, language,
question, local day and answer value. Dashboards read only this table.

Sentinels instead of NULLs keep the unique key usable for upserts on both SQLite and
PostgreSQL (NULLs are distinct in unique indexes): ``touchpoint_id`` 0 = no touchpoint,
``value`` -1 = no numeric value, ``choice`` "" = no choice.
"""

from __future__ import annotations

from django.db import models

from kokemus.accounts.models import Organisation, Unit

NO_TOUCHPOINT = 0
NO_VALUE = -1
RESPONSE_KEY = "__response__"  # one row per response, counted once


class DailyCount(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    touchpoint_id = models.BigIntegerField(default=NO_TOUCHPOINT)
    channel = models.CharField(max_length=16)
    language = models.CharField(max_length=8)
    question_key = models.CharField(max_length=64)
    question_type = models.CharField(max_length=32)
    day = models.DateField()
    value = models.IntegerField(default=NO_VALUE)
    choice = models.CharField(max_length=64, default="", blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["organisation", "unit", "touchpoint_id", "channel", "language",
                    "question_key", "day", "value", "choice"],
            name="dailycount_key")]
        indexes = [models.Index(fields=["organisation", "question_type", "day"]),
                   # Covering index for the dashboards' grouped sums (index-only scans).
                   models.Index(fields=["organisation", "question_type", "day", "value",
                                        "unit", "count"], name="dailycount_dash_cover")]

    def __str__(self) -> str:
        return f"{self.day} {self.question_key}={self.value}/{self.choice}: {self.count}"


KEY_FIELDS = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
              "question_key", "question_type", "day", "value", "choice"]
