"""Keeping the rollup table current, rebuilding it and verifying it against raw answers.

``bump_for_response`` is called by ``responses.actions.do_submit_response`` inside its
transaction, so a response and its counts are committed together or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from kokemus.analytics.models import (
    KEY_FIELDS,
    NO_TOUCHPOINT,
    NO_VALUE,
    RESPONSE_KEY,
    DailyCount,
)

Key = tuple  # (organisation_id, unit_id, touchpoint_id, channel, language, question_key,
#              question_type, day, value, choice)

_COLUMNS = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
            "question_key", "question_type", "day", "value", "choice", "count"]
_CONFLICT = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
             "question_key", "day", "value", "choice"]
_ZONES: dict[str, ZoneInfo] = {}


def local_day(moment, zone_name: str) -> date:
    zone = _ZONES.get(zone_name)
    if zone is None:
        zone = _ZONES[zone_name] = ZoneInfo(zone_name)
    return moment.astimezone(zone).date()


def keys_for(response, answers: Iterable, unit_zone: str) -> list[Key]:
    """The rollup keys one response contributes (one per answer, plus the response)."""
    day = local_day(response.submitted_at, unit_zone)
    base = (response.organisation_id, response.unit_id,
            response.touchpoint_id or NO_TOUCHPOINT, response.channel, response.language)
    keys = [(*base, RESPONSE_KEY, RESPONSE_KEY, day, NO_VALUE, "")]
    for answer in answers:
        if answer.question_type == "free_text":
            # Counted (answered or not) but the text itself never enters a rollup.
            value, choice = NO_VALUE, ""
        else:
            value = NO_VALUE if answer.value is None else answer.value
            choice = answer.choice or ""
        keys.append((*base, answer.question_key, answer.question_type, day, value, choice))
    return keys


def upsert_counts(counts: Counter, sign: int = 1) -> None:
    """Add (or with ``sign=-1`` subtract) counts, one INSERT … ON CONFLICT per batch."""
    if not counts:
        return
    table = DailyCount._meta.db_table
    cols = ", ".join(_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({placeholders}) "
           f"ON CONFLICT ({', '.join(_CONFLICT)}) "
           f"DO UPDATE SET count = {table}.count + excluded.count")
    rows = [(*key, sign * n) for key, n in counts.items()]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def bump_for_response(response, answers: Iterable, unit_zone: str, sign: int = 1) -> None:
    upsert_counts(Counter(keys_for(response, answers, unit_zone)), sign=sign)


def count_from_raw(organisation_id: int | None = None) -> Counter:
    """Recount every rollup key from the raw responses and answers (streaming)."""
    from kokemus.responses.models import Answer, Response

    responses = Response.objects.select_related("unit").order_by("pk")
    if organisation_id is not None:
        responses = responses.filter(organisation_id=organisation_id)
    counts: Counter = Counter()
    batch: list = []

    def flush():
        by_response: dict[int, list] = {}
        for answer in Answer.objects.filter(response_id__in=[r.pk for r in batch]).only(
                "response_id", "question_key", "question_type", "value", "choice"):
            by_response.setdefault(answer.response_id, []).append(answer)
        for r in batch:
            counts.update(keys_for(r, by_response.get(r.pk, []), r.unit.time_zone))
        batch.clear()

    for response in responses.iterator(chunk_size=2000):
        batch.append(response)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    return counts


def stored_counts(organisation_id: int | None = None) -> Counter:
    rows = DailyCount.objects.all()
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    counts: Counter = Counter()
    for row in rows.values_list(*KEY_FIELDS, "count").iterator(chunk_size=5000):
        if row[-1]:
            counts[tuple(row[:-1])] += row[-1]
    return counts


@transaction.atomic
def rebuild(organisation_id: int | None = None) -> int:
    """Replace the rollups by a recount of the raw answers; returns the number of keys."""
    rows = DailyCount.objects.all()
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    rows.delete()
    counts = count_from_raw(organisation_id)
    DailyCount.objects.bulk_create(
        [DailyCount(**dict(zip(KEY_FIELDS, key, strict=True)), count=n)
         for key, n in counts.items()], batch_size=5000)
    return len(counts)


def verify(organisation_id: int | None = None) -> list[tuple[Key, int, int]]:
    """Keys whose stored count differs from the recount: (key, stored, recounted)."""
    raw = count_from_raw(organisation_id)
    stored = stored_counts(organisation_id)
    return [(key, stored.get(key, 0), raw.get(key, 0))
            for key in sorted(set(raw) | set(stored), key=repr)
            if stored.get(key, 0) != raw.get(key, 0)]


def on_response_deleted(response, answers: Iterable | None = None) -> None:
    """Subtract a response's counts. Call in the deleting transaction, before the delete
    (the answers are read from the database unless given)."""
    if answers is None:
        answers = list(response.answers.all())
    zone = response.unit.time_zone
    bump_for_response(response, answers, zone, sign=-1)


def delete_response(response) -> None:
    """Delete a response and its answers and keep the rollups exact (one transaction)."""
    with transaction.atomic():
        on_response_deleted(response)
        response.delete()
