"""Monthly partitions of responses and answers (PostgreSQL only) and the raw-data horizon.

On PostgreSQL ``responses_response`` and ``responses_answer`` are ``PARTITION BY RANGE
(submitted_at)`` (migration 0003): one partition per UTC calendar month, named
``<table>_pYYYY_MM``, and a ``<table>_default`` partition that catches any row no month
partition covers (imports of old data, clocks far off), so writing never fails for a date.

* :func:`ensure` creates the partitions of the current month and ``ahead`` months after it;
  rows already in the DEFAULT partition for such a month are moved into the new partition.
* :func:`drop_before` removes the raw rows of every month before a cutoff by detaching and
  dropping whole partitions (and deleting the DEFAULT partition's rows before it), after
  deleting or nulling the rows of other tables that point at them (Django's ``on_delete``).
  Rollups (``analytics.DailyCount``) are kept. Every drop is logged in
  :class:`~kokemus.responses.models.RawDataDrop`; :func:`raw_horizon` is the latest cutoff.
* :func:`apply_retention` drops what is older than ``KOKEMUS_RAW_RETENTION_MONTHS``;
  :func:`maintain` (ensure + retention) runs daily in the worker (``responses.tasks``).

SQLite keeps plain tables: everything here is a no-op there except :func:`raw_horizon`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

TABLES = ("responses_response", "responses_answer")  # parents first, children after
DEFAULT_AHEAD = 3
_NAME = re.compile(r"_p(\d{4})_(\d{2})$")


class PartitionError(Exception):
    """A partition operation that cannot be done (bad argument or state)."""


# --- Months --------------------------------------------------------------------------------

def month_of(moment: datetime | date) -> date:
    """The first day of the UTC month of ``moment``."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """Midnight UTC of the first day of ``month`` (a partition bound)."""
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the first day of that month; PartitionError when malformed."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise PartitionError(f"expected a month as YYYY-MM, got {text!r}")
    return date(int(match[1]), int(match[2]), 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _bound(month: date) -> str:
    return f"'{month_start(month).isoformat()}'"


# --- State ---------------------------------------------------------------------------------

def is_partitioned(using=None) -> bool:
    """True when ``responses_response`` is a partitioned table (PostgreSQL after 0003)."""
    conn = connection if using is None else using
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c "
                       "ON c.oid = p.partrelid WHERE c.relname = %s "
                       "AND c.relnamespace = to_regnamespace(current_schema())::oid",
                       [TABLES[0]])
        return cursor.fetchone() is not None


@dataclass
class Partition:
    table: str  # the parent table
    name: str
    month: date | None  # None: the DEFAULT partition (or one not named by month)
    rows: int | None = None
    default: bool = False


def list_partitions(count_rows: bool = False) -> list[Partition]:
    """The partitions of both tables (months ascending, DEFAULT last); with ``count_rows``
    each one's exact row count (a scan: use on demand, not in hot paths)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT parent.relname, child.relname, "
            "pg_get_expr(child.relpartbound, child.oid) = 'DEFAULT' "
            "FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent "
            "JOIN pg_class child ON child.oid = i.inhrelid "
            "WHERE parent.relname = ANY(%s) "
            "AND parent.relnamespace = to_regnamespace(current_schema())::oid",
            [list(TABLES)])
        rows = cursor.fetchall()
    out = []
    for table, name, is_default in rows:
        match = _NAME.search(name)
        month = date(int(match[1]), int(match[2]), 1) if match and not is_default else None
        out.append(Partition(table, name, month, default=is_default))
    if count_rows:
        with connection.cursor() as cursor:
            for p in out:
                cursor.execute(f'SELECT count(*) FROM "{p.name}"')
                p.rows = cursor.fetchone()[0]
    out.sort(key=lambda p: (TABLES.index(p.table), p.month is None,
                            p.month or date.max, p.name))
    return out


def _months(table: str) -> set[date]:
    return {p.month for p in list_partitions() if p.table == table and p.month}


# --- Creating ------------------------------------------------------------------------------

def ensure(ahead: int = DEFAULT_AHEAD, now: datetime | None = None) -> list[dict]:
    """Create the month partitions from the current UTC month to ``ahead`` months after it.

    Returns one dict per created month: ``{"month": "YYYY-MM", "moved_responses": n,
    "moved_answers": m}`` (rows taken over from the DEFAULT partitions). Idempotent.
    """
    if ahead < 0 or ahead > 120:
        raise PartitionError("ahead must be between 0 and 120 months")
    if not is_partitioned():
        return []
    first = month_of(now or timezone.now())
    existing = {table: _months(table) for table in TABLES}
    created = []
    for i in range(ahead + 1):
        month = add_months(first, i)
        if all(month in existing[table] for table in TABLES):
            continue
        created.append(create_month(month))
    return created


def create_month(month: date) -> dict:
    """Create both tables' partitions of ``month`` (the missing ones), moving the month's
    rows out of the DEFAULT partitions first. One transaction; concurrent inserts into the
    DEFAULT partitions wait for it (they are locked), all others go on."""
    lo, hi = _bound(month), _bound(add_months(month, 1))
    moved = {"month": f"{month:%Y-%m}", "moved_responses": 0, "moved_answers": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        missing = [t for t in TABLES if not _exists(cursor, partition_name(t, month))]
        if not missing:
            return moved
        # Foreign keys are deferred; checking them at once leaves no pending trigger events
        # (ALTER TABLE refuses to run with those). Set back to deferred at the end.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _lock(cursor)
        defaults = [default_name(t) for t in TABLES if _exists(cursor, default_name(t))]
        counts = {}
        for table in TABLES:
            if default_name(table) in defaults:
                cursor.execute(f"SELECT count(*) FROM {default_name(table)} "
                               f"WHERE submitted_at >= {lo} AND submitted_at < {hi}")
                counts[table] = cursor.fetchone()[0]
            else:
                counts[table] = 0
        if not any(counts.values()):
            for table in missing:
                cursor.execute(f"CREATE TABLE {partition_name(table, month)} PARTITION OF "
                               f"{table} FOR VALUES FROM ({lo}) TO ({hi})")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return moved
        # Rows of this month wait in DEFAULT: build the partitions as plain tables, move
        # the rows (answers first: they reference the responses), then attach them
        # (which creates their indexes and checks their constraints).
        for table in missing:
            cursor.execute(f"CREATE TABLE {partition_name(table, month)} "
                           f"(LIKE {table} INCLUDING DEFAULTS)")
        for table in reversed(TABLES):
            if counts[table]:
                cols = ", ".join(f'"{c}"' for c in _columns(cursor, table))
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {default_name(table)} WHERE submitted_at "
                    f">= {lo} AND submitted_at < {hi} RETURNING {cols}) "
                    f"INSERT INTO {partition_name(table, month)} ({cols}) "
                    f"SELECT {cols} FROM moved")
        for table in missing:
            cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION "
                           f"{partition_name(table, month)} FOR VALUES FROM ({lo}) TO ({hi})")
        moved["moved_responses"] = counts[TABLES[0]]
        moved["moved_answers"] = counts[TABLES[1]]
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's constraints' initial mode
    return moved


def _lock(cursor) -> None:
    """Take the parents' exclusive locks up front, responses before answers (the order the
    ingest path locks them in), so that the DDL that follows cannot deadlock with it.
    Writers and readers of raw rows wait meanwhile (a moment unless rows are moved)."""
    cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE")


def _columns(cursor, table: str) -> list[str]:
    cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                   "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [table])
    return [row[0] for row in cursor.fetchall()]


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


# --- Dropping ------------------------------------------------------------------------------

def clear_dependents(before: datetime) -> dict[str, int]:
    """Apply ``on_delete`` of every other table pointing at responses or answers submitted
    before ``before`` (cases, invitations, comment analyses, mentions, idempotency keys…),
    so that dropping the raw rows leaves nothing dangling. Returns rows touched per model."""
    from kokemus.responses.models import Answer, Response

    done: dict[str, int] = {}
    for model in (Answer, Response):
        doomed = model._base_manager.filter(submitted_at__lt=before).values("pk")
        # Hidden relations (related_name="+") included, as Django's deletion collector does.
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete
                    and (rel.one_to_one or rel.one_to_many)):
                continue
            if rel.related_model in (Response, Answer):
                continue  # answers go with their month's partition
            field = rel.field
            qs = rel.related_model._base_manager.filter(**{f"{field.name}__in": doomed})
            on_delete = field.remote_field.on_delete
            label = rel.related_model._meta.label
            if on_delete is models.CASCADE:
                n = qs.delete()[0]
            elif on_delete is models.SET_NULL:
                n = qs.update(**{field.name: None})
            elif on_delete is models.SET_DEFAULT:
                n = qs.update(**{field.name: field.get_default()})
            elif on_delete is models.DO_NOTHING:
                continue
            else:  # PROTECT / RESTRICT: refuse rather than lose data silently
                if qs.exists():
                    raise PartitionError(f"{label} protects responses submitted before "
                                         f"{before:%Y-%m}")
                continue
            done[label] = done.get(label, 0) + n
    return done


def drop_before(month: date, now: datetime | None = None) -> dict:
    """Remove the raw responses and answers of every month before ``month`` (UTC).

    Whole month partitions are detached and dropped; rows before the cutoff that sit in
    the DEFAULT partition are deleted. Dependent rows in other tables are deleted/nulled
    first (:func:`clear_dependents`). Rollups stay. The cutoff may not be later than the
    current month. Records a :class:`RawDataDrop` when anything went.
    """
    from kokemus.responses.models import RawDataDrop

    current = month_of(now or timezone.now())
    if month > current:
        raise PartitionError("cannot drop the current month or later months")
    if not is_partitioned():
        raise PartitionError("partitioning is PostgreSQL-only")
    cutoff = month_start(month)
    result = {"before": f"{month:%Y-%m}", "months": [], "responses": 0, "answers": 0,
              "dependents": {}}
    with transaction.atomic():
        with connection.cursor() as cursor:
            _lock(cursor)
        doomed = [p for p in list_partitions() if p.month and p.month < month]
        result["dependents"] = clear_dependents(cutoff)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            counts = {table: 0 for table in TABLES}
            # Answers first: their foreign key references the responses' partitions.
            for p in sorted(doomed, key=lambda p: (-TABLES.index(p.table), p.month)):
                cursor.execute(f'SELECT count(*) FROM "{p.name}"')
                counts[p.table] += cursor.fetchone()[0]
                cursor.execute(f'ALTER TABLE {p.table} DETACH PARTITION "{p.name}"')
                cursor.execute(f'DROP TABLE "{p.name}"')
            for table in reversed(TABLES):  # leftovers (DEFAULT partition, odd bounds)
                cursor.execute(f"DELETE FROM {table} WHERE submitted_at < %s", [cutoff])
                counts[table] += cursor.rowcount
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        result["months"] = sorted({f"{p.month:%Y-%m}" for p in doomed})
        result["responses"] = counts[TABLES[0]]
        result["answers"] = counts[TABLES[1]]
        if result["months"] or result["responses"] or result["answers"]:
            RawDataDrop.objects.create(before=cutoff, months=result["months"],
                                       responses=result["responses"],
                                       answers=result["answers"])
    return result


# --- Retention and the raw-data horizon ------------------------------------------------------

def retention_months() -> int | None:
    """``KOKEMUS_RAW_RETENTION_MONTHS`` (None or 0: keep raw data forever)."""
    value = getattr(settings, "KOKEMUS_RAW_RETENTION_MONTHS", None)
    if value in (None, "", 0, "0"):
        return None
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise PartitionError("KOKEMUS_RAW_RETENTION_MONTHS must be a whole number of "
                             "months") from None
    if months < 1:
        raise PartitionError("KOKEMUS_RAW_RETENTION_MONTHS must be at least 1")
    return months


def retention_cutoff(now: datetime | None = None) -> date | None:
    """The first month kept under the retention setting (None: keep everything). With
    N months the current month and the N-1 before it are kept whole."""
    months = retention_months()
    if months is None:
        return None
    return add_months(month_of(now or timezone.now()), -(months - 1))


def apply_retention(now: datetime | None = None) -> dict | None:
    """Drop the months older than the retention setting (None when nothing to do)."""
    cutoff = retention_cutoff(now)
    if cutoff is None or not is_partitioned():
        return None
    return drop_before(cutoff, now=now)


def maintain(now: datetime | None = None, ahead: int = DEFAULT_AHEAD) -> dict:
    """The daily job: partitions ahead, then retention."""
    if not is_partitioned():
        return {"partitioned": False}
    return {"partitioned": True, "created": ensure(ahead, now=now),
            "retention": apply_retention(now)}


def raw_horizon() -> datetime | None:
    """The first instant from which raw responses/answers are complete: the cutoff of the
    latest retention drop, or None when nothing was ever dropped.

    Rollup days are local dates: a day whose start (in its unit's time zone) is before the
    horizon may have lost raw rows; :func:`first_complete_day` is a safe bound for all zones.
    """
    from kokemus.responses.models import RawDataDrop

    return RawDataDrop.objects.aggregate(h=Max("before"))["h"]


def first_complete_day() -> date | None:
    """The first local date whose raw data is complete in every time zone (UTC offsets
    below 24 h): the day after the horizon's UTC date. None when nothing was dropped."""
    horizon = raw_horizon()
    if horizon is None:
        return None
    return horizon.astimezone(UTC).date() + timedelta(days=1)
