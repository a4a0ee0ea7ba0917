"""Rollup table: answer counts per organisation, unit, touchpoint, channel, language,
question, local day and answer value. Dashboards read only this table.

Sentinels instead of NULLs keep the unique key usable for upserts on both SQLite and
PostgreSQL (NULLs are distinct in unique indexes): ``touchpoint_id`` 0 = no touchpoint,
``value`` -1 = no numeric value, ``choice`` "" = no choice.

``slot``: concurrent server processes add to different rows of the same key (the slot of
the writing thread, see :func:`kokemus.analytics.rollups.write_slot`), so their
transactions do not queue on one row's lock until commit. A key's count is the sum over its
slots; readers always ``SUM(count)``. The worker folds the slots of past days into slot 0
(``rollups.compact``). Bulk loads and rebuilds write slot 0.

:class:`UnitDayCount` is the same counts without touchpoint, channel, language, question key
and choice: per (organisation, unit, question type, day, value). Kept in the same
transaction as :class:`DailyCount`; the dashboards read it whenever no touchpoint, channel
or language filter is set (two orders of magnitude fewer rows over long periods).
"""

from __future__ import annotations

from django.db import models

from kokemus.accounts.models import Organisation, Unit

NO_TOUCHPOINT = 0
NO_VALUE = -1
RESPONSE_KEY = "__response__"  # one row per response, counted once


class DailyCount(models.Model):
    # no index of its own: the unique key and the dashboards' index start with it
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     db_index=False)
    # no index either: every reader filters the organisation first (the unique key goes on
    # with the unit); only deleting a unit scans, and an index on 10 M keys costs every load
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    touchpoint_id = models.BigIntegerField(default=NO_TOUCHPOINT)
    channel = models.CharField(max_length=16)
    language = models.CharField(max_length=8)
    question_key = models.CharField(max_length=64)
    question_type = models.CharField(max_length=32)
    day = models.DateField()
    value = models.IntegerField(default=NO_VALUE)
    choice = models.CharField(max_length=64, default="", blank=True)
    slot = models.SmallIntegerField(default=0, db_default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["organisation", "unit", "touchpoint_id", "channel", "language",
                    "question_key", "day", "value", "choice", "slot"],
            name="dailycount_slot_key")]
        # The detail views' day ranges (touchpoint, question, choice: UnitDayCount serves
        # the rest). ``count`` is in no index, so adding to a key can be a HOT update (the
        # table keeps free space on its pages; migration 0005).
        indexes = [models.Index(fields=["organisation", "question_type", "day"],
                                name="dailycount_type_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.question_key}={self.value}/{self.choice}: {self.count}"


class UnitDayCount(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    question_type = models.CharField(max_length=32)
    day = models.DateField()
    value = models.IntegerField(default=NO_VALUE)
    slot = models.SmallIntegerField(default=0, db_default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["organisation", "question_type", "day", "value", "unit", "slot"],
            name="unitdaycount_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.question_type}={self.value}: {self.count}"


KEY_FIELDS = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
              "question_key", "question_type", "day", "value", "choice"]
UNIT_KEY_FIELDS = ["organisation_id", "unit_id", "question_type", "day", "value"]


def rollup_model(*, touchpoint=None, question_key=None, channel=None, language=None,
                 choice=False):
    """The rollup table to read: :class:`UnitDayCount` (per unit, question type, day and
    value) unless a touchpoint, question key, channel, language or choice is asked for."""
    if touchpoint or question_key or channel or language or choice:
        return DailyCount
    return UnitDayCount
