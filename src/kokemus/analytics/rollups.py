"""Keeping the rollup table current, rebuilding it and verifying it against raw answers.

``bump_for_response`` is called by ``responses.actions.do_submit_response`` inside its
transaction, so a response and its counts are committed together or not at all.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from kokemus.analytics.models import (
    KEY_FIELDS,
    NO_TOUCHPOINT,
    NO_VALUE,
    RESPONSE_KEY,
    DailyCount,
    UnitDayCount,
)

Key = tuple  # (organisation_id, unit_id, touchpoint_id, channel, language, question_key,
#              question_type, day, value, choice)

_KEY_COLUMNS = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
                "question_key", "question_type", "day", "value", "choice"]
_COLUMNS = [*_KEY_COLUMNS, "slot", "count"]
_CONFLICT = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
             "question_key", "day", "value", "choice", "slot"]
_UNIT_KEY_COLUMNS = ["organisation_id", "unit_id", "question_type", "day", "value"]
_UNIT_COLUMNS = [*_UNIT_KEY_COLUMNS, "slot", "count"]
_UNIT_CONFLICT = ["organisation_id", "question_type", "day", "value", "unit_id", "slot"]
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


SLOTS = 16  # rows per key that concurrent writers spread over (PostgreSQL)
_slot_state = threading.local()
_slot_sequence = itertools.count()


def write_slot() -> int:
    """The rollup slot of this thread: 0 on SQLite (one writer at a time anyway); on
    PostgreSQL a number 0 … SLOTS-1 fixed per (process, thread), so two server threads
    rarely add to the same row and do not wait for each other's commit."""
    if connection.vendor != "postgresql":
        return 0
    pid = os.getpid()
    if getattr(_slot_state, "pid", None) != pid:
        # threads of one process take consecutive slots (no collisions among them) from a
        # per-process starting point
        _slot_state.pid = pid
        _slot_state.slot = (hash(("kokemus", pid)) + next(_slot_sequence)) % SLOTS
    return _slot_state.slot


def unit_counts(counts: Counter) -> Counter:
    """DailyCount keys → UnitDayCount keys (organisation, unit, question type, day, value)."""
    out: Counter = Counter()
    for key, n in counts.items():
        out[(key[0], key[1], key[6], key[7], key[8])] += n
    return out


def _add_on_conflict(table: str, conflict: list[str]) -> str:
    """The clause that makes an INSERT into a rollup table add to an existing row's count."""
    return (f"ON CONFLICT ({', '.join(conflict)}) "
            f"DO UPDATE SET count = {table}.count + excluded.count")


def _c_order(*expressions: str) -> str:
    """An ORDER BY list comparing each (text) expression by code point, as :func:`_order`
    compares the text of each key field in Python."""
    return ", ".join(f'{e} COLLATE "C"' for e in expressions)


def _upsert_sql(table: str, columns: list[str], conflict: list[str], rows: int) -> str:
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)} "
            + _add_on_conflict(table, conflict))


_PG_TYPES = {"organisation_id": "bigint", "unit_id": "bigint", "touchpoint_id": "bigint",
             "day": "date", "value": "integer", "slot": "smallint", "count": "bigint"}


def _upsert_json_sql(table: str, columns: list[str], conflict: list[str],
                     where: str = "") -> str:
    """PostgreSQL: the rows as one JSON parameter (``json_to_recordset``), inserted in
    their order. The same text for any number of rows (psycopg parses it once)."""
    record = ", ".join(f"{c} {_PG_TYPES.get(c, 'text')}" for c in columns)
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} "
            f"FROM json_to_recordset(%s::json) AS v({record}, n integer) {where}"
            f"ORDER BY n " + _add_on_conflict(table, conflict))


def _json_rows(columns: list[str], rows: list[tuple]) -> str:
    return json.dumps([dict(zip(columns, row, strict=True), n=n) for n, row in enumerate(rows)],
                      default=str)  # dates as ISO text


def _sorted_rows(counts: Counter, sign: int) -> tuple[list[tuple], list[tuple]]:
    """(DailyCount rows, UnitDayCount rows) of ``counts``, each in key order (two writers
    never lock the same rows in opposite orders)."""
    slot = write_slot()
    daily = [(*key, slot, sign * n) for key, n in sorted(counts.items(), key=_order)]
    per_unit = [(*key, slot, sign * n)
                for key, n in sorted(unit_counts(counts).items(), key=_order)]
    return daily, per_unit


def _upsert_ctes(counts: Counter, sign: int) -> tuple[list[str], list]:
    """PostgreSQL: the upserts of :func:`upsert_counts` as two data-modifying CTEs (``d``
    and ``u``) and their parameters. ``u`` reads ``d``'s count, so the DailyCount rows are
    always locked before the UnitDayCount rows, whatever order PostgreSQL runs the CTEs of
    a statement in; every writer takes them in that order."""
    daily, per_unit = _sorted_rows(counts, sign)
    dt, ut = DailyCount._meta.db_table, UnitDayCount._meta.db_table
    d_sql = _upsert_json_sql(dt, _COLUMNS, _CONFLICT)
    u_sql = _upsert_json_sql(ut, _UNIT_COLUMNS, _UNIT_CONFLICT,
                             "WHERE (SELECT count(*) FROM d) > 0 ")
    return ([f"d AS ({d_sql} RETURNING 1)", f"u AS ({u_sql})"],
            [_json_rows(_COLUMNS, daily), _json_rows(_UNIT_COLUMNS, per_unit)])


def response_rollup_ctes(response, unit_zone: str, answers: str | None,
                         guard: str) -> tuple[list[str], list]:
    """PostgreSQL: the rollup increments of one new response, as CTEs (``x``, ``d``, ``u``)
    of the statement that inserts it: :func:`keys_for` computed by PostgreSQL from the
    rows that the CTE ``answers`` returns (question_key, question_type, value, choice) and
    one response row when the CTE ``guard`` returns a row (the response was inserted), so
    no key reaches Python and nothing is counted for a repeat. Rows go in the order of
    :func:`_order` (text of each key field, compared by code point: the "C" collation),
    DailyCount before UnitDayCount, as :func:`upsert_counts` writes them."""
    day = local_day(response.submitted_at, unit_zone)
    touchpoint = response.touchpoint_id or NO_TOUCHPOINT
    slot = write_slot()
    free = "question_type = 'free_text'"
    rows = [f"SELECT %s::text AS k, %s::text AS t, {NO_VALUE}::integer AS v, ''::text AS c "
            f"FROM {guard}"]
    if answers:
        rows.append(f"SELECT question_key, question_type, CASE WHEN {free} THEN {NO_VALUE} "
                    f"ELSE coalesce(value, {NO_VALUE}) END, CASE WHEN {free} THEN '' "
                    f"ELSE coalesce(choice, '') END FROM {answers}")
    dt, ut = DailyCount._meta.db_table, UnitDayCount._meta.db_table
    ctes = [
        f"x AS ({' UNION ALL '.join(rows)})",
        f"d AS (INSERT INTO {dt} ({', '.join(_COLUMNS)}) "
        f"SELECT %s, %s, %s, %s, %s, k, t, %s::date, v, c, %s, count(*) FROM x "
        f"GROUP BY k, t, v, c ORDER BY {_c_order('k', 't', 'v::text', 'c')} "
        f"{_add_on_conflict(dt, _CONFLICT)} RETURNING 1)",
        f"u AS (INSERT INTO {ut} ({', '.join(_UNIT_COLUMNS)}) "
        f"SELECT %s, %s, t, %s::date, v, %s, count(*) FROM x "
        f"WHERE (SELECT count(*) FROM d) > 0 "
        f"GROUP BY t, v ORDER BY {_c_order('t', 'v::text')} "
        f"{_add_on_conflict(ut, _UNIT_CONFLICT)})",
    ]
    params = [RESPONSE_KEY, RESPONSE_KEY,
              response.organisation_id, response.unit_id, touchpoint, response.channel,
              response.language, day, slot,
              response.organisation_id, response.unit_id, day, slot]
    return ctes, params


def upsert_counts(counts: Counter, sign: int = 1) -> None:
    """Add (or with ``sign=-1`` subtract) counts to both rollup tables.

    Rows go in key order, DailyCount before UnitDayCount (two writers never lock the same
    rows in opposite orders). On PostgreSQL both upserts are one statement (data-modifying
    CTEs): one round trip; on SQLite two ``executemany``."""
    counts = +counts if sign > 0 else Counter({k: n for k, n in counts.items() if n})
    if not counts:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ctes, params = _upsert_ctes(counts, sign)
            cursor.execute("WITH " + ", ".join(ctes) + " SELECT 1", params)
        else:
            daily, per_unit = _sorted_rows(counts, sign)
            dt, ut = DailyCount._meta.db_table, UnitDayCount._meta.db_table
            cursor.executemany(_upsert_sql(dt, _COLUMNS, _CONFLICT, 1), daily)
            cursor.executemany(_upsert_sql(ut, _UNIT_COLUMNS, _UNIT_CONFLICT, 1), per_unit)


def _order(item) -> tuple:
    return tuple(str(v) for v in item[0])


def bump_for_response(response, answers: Iterable, unit_zone: str, sign: int = 1) -> None:
    upsert_counts(Counter(keys_for(response, answers, unit_zone)), sign=sign)


def count_from_raw_python(organisation_id: int | None = None, since=None) -> Counter:
    """Reference recount in Python through :func:`keys_for` (slow: for tests and small
    databases; :func:`count_from_raw` is the SQL equivalent)."""
    from kokemus.responses.models import Answer, Response

    raw_from, first_day = horizon(since)
    responses = Response.objects.select_related("unit").order_by("pk")
    if organisation_id is not None:
        responses = responses.filter(organisation_id=organisation_id)
    if raw_from is not None:
        responses = responses.filter(submitted_at__gte=raw_from)
    counts: Counter = Counter()
    batch: list = []

    def flush():
        by_response: dict[int, list] = {}
        for answer in Answer.objects.filter(response_id__in=[r.pk for r in batch]).only(
                "response_id", "question_key", "question_type", "value", "choice"):
            by_response.setdefault(answer.response_id, []).append(answer)
        for r in batch:
            for key in keys_for(r, by_response.get(r.pk, []), r.unit.time_zone):
                if first_day is None or key[7] >= first_day:
                    counts[key] += 1
        batch.clear()

    for response in responses.iterator(chunk_size=2000):
        batch.append(response)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    return counts


# --- The recount in SQL ----------------------------------------------------------------------
#
# One GROUP BY over responses (the response key) and one over answers joined to their
# response, producing exactly the keys of ``keys_for``: the local day of ``submitted_at`` in
# the unit's time zone, touchpoint NULL -> NO_TOUCHPOINT, value NULL -> NO_VALUE, and for
# free-text answers value NO_VALUE and choice "" (the text never enters a rollup).
# PostgreSQL converts with ``AT TIME ZONE``; SQLite (no zone support) gets, per time zone in
# use, the UTC offsets between its transitions as a CASE over the stored UTC text.


def horizon(since) -> tuple[datetime | None, date | None]:
    """``since`` (the raw-data horizon: a datetime from which raw rows are complete, or the
    first complete local date) → (first raw ``submitted_at`` to read, first rollup day to
    compare). Days before the second may have lost raw rows; they are left alone."""
    if since is None:
        return None, None
    if isinstance(since, datetime):
        utc = since.astimezone(UTC)
        midnight = datetime.combine(utc.date(), dtime.min, UTC)
        first_day = utc.date() + timedelta(days=1 if utc == midnight else 2)
        return utc, first_day
    # a date: rows from its UTC midnight minus the largest UTC offset (14 h) can reach it
    start = datetime.combine(since, dtime.min, UTC) - timedelta(days=1)
    return start, since


def _sqlite_local_day(zones: list[str], start: datetime, end: datetime,
                      params: list) -> str:
    """SQL for the local date of ``r.submitted_at`` (UTC text) in ``u.time_zone``."""
    outer = []
    for name in zones:
        spans = _offset_spans(name, start, end)
        params.append(name)
        inner = []
        for bound, minutes in spans[:-1]:
            inner.append(f"WHEN r.submitted_at < %s THEN '{minutes:+d} minutes'")
            params.append(bound.strftime("%Y-%m-%d %H:%M:%S"))
        last = f"'{spans[-1][1]:+d} minutes'"
        expr = f"CASE {' '.join(inner)} ELSE {last} END" if inner else last
        outer.append(f"WHEN %s THEN {expr}")
    modifier = f"CASE u.time_zone {' '.join(outer)} END" if outer else "'+0 minutes'"
    # whole seconds: SQLite rounds fractions to milliseconds (23:59:59.9999 → next day)
    return f"date(substr(r.submitted_at, 1, 19), {modifier})"


def _offset_spans(name: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(until, offset minutes), …] covering [start, end]: the offset applies before
    ``until``; the last span's ``until`` is ``end``. Transitions are found hour by hour and
    refined to the second."""
    zone = ZoneInfo(name)

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds() // 60)

    spans: list[tuple[datetime, int]] = []
    t = start.replace(minute=0, second=0, microsecond=0)
    current = offset(t)
    step = timedelta(hours=1)
    while t < end:
        nxt = t + step
        if offset(nxt) != current:
            lo, hi = t, nxt  # offset(lo) == current, offset(hi) differs
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            spans.append((hi, current))
            current = offset(hi)
        t = nxt
    spans.append((end, current))
    return spans


def _raw_select(organisation_id: int | None, since) -> tuple[str, list]:
    """SELECT of every rollup key and its count from the raw tables (+ parameters)."""
    from kokemus.accounts.models import Unit
    from kokemus.responses.models import Answer, Response

    rt, at, ut = Response._meta.db_table, Answer._meta.db_table, Unit._meta.db_table
    raw_from, first_day = horizon(since)
    where, wparams = ["1 = 1"], []
    if organisation_id is not None:
        where.append("r.organisation_id = %s")
        wparams.append(organisation_id)
    if raw_from is not None:
        where.append("r.submitted_at >= %s")
        wparams.append(raw_from)
    day_params: list = []
    if connection.vendor == "postgresql":
        day = "(r.submitted_at AT TIME ZONE u.time_zone)::date"
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT MIN(r.submitted_at), MAX(r.submitted_at) FROM {rt} r "
                f"WHERE {' AND '.join(where)}", wparams)
            lo, hi = cursor.fetchone()
            cursor.execute(f"SELECT DISTINCT time_zone FROM {ut}")
            zones = sorted(z for (z,) in cursor.fetchall())
        lo = _parse_utc(lo) - timedelta(days=2) if lo else datetime(2000, 1, 1, tzinfo=UTC)
        hi = _parse_utc(hi) + timedelta(days=2) if hi else lo + timedelta(days=4)
        day = _sqlite_local_day(zones, lo, hi, day_params)
    having = ""
    having_params: list = []
    if first_day is not None:
        having = f" HAVING {day} >= %s"
        having_params = [*day_params, first_day]
    base = ("r.organisation_id, r.unit_id, COALESCE(r.touchpoint_id, 0), r.channel, "
            "r.language")
    free = "a.question_type = 'free_text'"
    sql = (
        f"SELECT r.organisation_id AS organisation_id, r.unit_id AS unit_id, "
        f"COALESCE(r.touchpoint_id, 0) AS touchpoint_id, r.channel AS channel, "
        f"r.language AS language, %s AS question_key, %s AS question_type, {day} AS day, "
        f"{NO_VALUE} AS value, '' AS choice, COUNT(*) AS n "
        f"FROM {rt} r JOIN {ut} u ON u.id = r.unit_id WHERE {' AND '.join(where)} "
        f"GROUP BY {base}, {day}{having} "
        f"UNION ALL "
        f"SELECT {base}, a.question_key, a.question_type, {day}, "
        f"CASE WHEN {free} THEN {NO_VALUE} ELSE COALESCE(a.value, {NO_VALUE}) END, "
        f"CASE WHEN {free} THEN '' ELSE COALESCE(a.choice, '') END, COUNT(*) "
        f"FROM {at} a JOIN {rt} r ON r.id = a.response_id JOIN {ut} u ON u.id = r.unit_id "
        f"WHERE {' AND '.join(where)} "
        f"GROUP BY {base}, a.question_key, a.question_type, {day}, "
        f"CASE WHEN {free} THEN {NO_VALUE} ELSE COALESCE(a.value, {NO_VALUE}) END, "
        f"CASE WHEN {free} THEN '' ELSE COALESCE(a.choice, '') END{having}")
    params = ([RESPONSE_KEY, RESPONSE_KEY, *day_params, *wparams, *day_params,
               *having_params, *day_params, *wparams, *day_params, *having_params])
    return sql, params


def _parse_utc(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _key(row) -> Key:
    day = row[7]
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return (*row[:7], day, *row[8:10])


def _tune(cursor) -> None:
    """Room for the big GROUP BY / hash joins of a recount (this transaction only)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")


def count_from_raw(organisation_id: int | None = None, since=None) -> Counter:
    """Recount every rollup key from the raw responses and answers (one SQL GROUP BY).

    ``since``: the raw-data horizon (see :func:`horizon`); keys of earlier days are left
    out because their raw rows may be gone."""
    sql, params = _raw_select(organisation_id, since)
    counts: Counter = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            counts[_key(row)] += row[10]
    return counts


def stored_counts(organisation_id: int | None = None, since=None) -> Counter:
    rows = DailyCount.objects.all()
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    first_day = horizon(since)[1]
    if first_day is not None:
        rows = rows.filter(day__gte=first_day)
    counts: Counter = Counter()
    for row in rows.values_list(*KEY_FIELDS, "count").iterator(chunk_size=5000):
        if row[-1]:
            counts[tuple(row[:-1])] += row[-1]
    return Counter({k: n for k, n in counts.items() if n})  # slots summing to zero


def _scope(organisation_id, first_day, prefix: str = "") -> tuple[str, list]:
    where, params = ["1 = 1"], []
    if organisation_id is not None:
        where.append(f"{prefix}organisation_id = %s")
        params.append(organisation_id)
    if first_day is not None:
        where.append(f"{prefix}day >= %s")
        params.append(first_day)
    return " AND ".join(where), params


@transaction.atomic
def rebuild(organisation_id: int | None = None, since=None) -> int:
    """Replace the rollups by a recount of the raw answers (INSERT … SELECT … GROUP BY);
    returns the number of keys. With ``since`` (the raw-data horizon) the rollups of days
    before it are kept as they are. The per-unit rollups follow from the new counts."""
    rows = DailyCount.objects.all()
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    first_day = horizon(since)[1]
    if first_day is not None:
        rows = rows.filter(day__gte=first_day)
    rows._raw_delete(rows.db)  # no cascades or signals point at rollups
    sql, params = _raw_select(organisation_id, since)
    table = DailyCount._meta.db_table
    with connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(f"INSERT INTO {table} ({', '.join(_KEY_COLUMNS)}, count) {sql}", params)
        n = cursor.rowcount
    rebuild_unit_counts(organisation_id, first_day)
    return n


def rebuild_unit_counts(organisation_id: int | None = None, first_day: date | None = None,
                        last_day: date | None = None) -> int:
    """Recompute the per-unit rollups (slot 0) from DailyCount, optionally for one
    organisation and a range of days. Call inside a transaction."""
    where, params = _scope(organisation_id, first_day)
    if last_day is not None:
        where += " AND day <= %s"
        params.append(last_day)
    dt, ut = DailyCount._meta.db_table, UnitDayCount._meta.db_table
    cols = ", ".join(_UNIT_KEY_COLUMNS)
    with connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(f"DELETE FROM {ut} WHERE {where}", params)
        cursor.execute(f"INSERT INTO {ut} ({cols}, count) SELECT {cols}, SUM(count) "
                       f"FROM {dt} WHERE {where} GROUP BY {cols}", params)
        return cursor.rowcount


def compact(before: date | None = None) -> int:
    """Fold the slots of days before ``before`` (default: yesterday and earlier in every
    zone, i.e. two days ago UTC) into slot 0; returns the keys folded into. Concurrent writers
    of those days (late imports) keep working: they add to their own slot again."""
    if before is None:
        before = datetime.now(UTC).date() - timedelta(days=1)
    folded = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for model, keys, conflict in ((DailyCount, _KEY_COLUMNS, _CONFLICT),
                                      (UnitDayCount, _UNIT_KEY_COLUMNS, _UNIT_CONFLICT)):
            table, cols = model._meta.db_table, ", ".join(keys)
            source = "moved" if connection.vendor == "postgresql" else table

            def fold(source=source, table=table, cols=cols, conflict=conflict):
                return (f"INSERT INTO {table} ({cols}, slot, count) "
                        f"SELECT {cols}, 0, SUM(count) FROM {source} "
                        f"WHERE slot <> 0 AND day < %s GROUP BY {cols} "
                        + _add_on_conflict(table, conflict))
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH moved AS (DELETE FROM {table} WHERE slot <> 0 AND "
                               f"day < %s RETURNING {cols}, slot, count) {fold()}",
                               [before, before])
                folded += cursor.rowcount
            else:  # one writer at a time: both statements see the same rows
                cursor.execute(fold(), [before])
                cursor.execute(f"DELETE FROM {table} WHERE slot <> 0 AND day < %s", [before])
                folded += cursor.rowcount
    return folded


_CMP = _KEY_COLUMNS


def _temp_table(cursor, name: str, columns: str, select: str, params: list,
                index: list[str]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    # Declared column types: SQLite uses an index only between columns of the same
    # affinity (CREATE TABLE … AS SELECT would leave these without one).
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns})")
    cursor.execute(f"INSERT INTO {name} {select}", params)
    cursor.execute(f"CREATE INDEX {name}_key ON {name} ({', '.join(index)})")


_KEY_TYPES = ("organisation_id bigint, unit_id bigint, touchpoint_id bigint, "
              "channel varchar(16), language varchar(8), question_key varchar(64), "
              "question_type varchar(32), day date, value integer, choice varchar(64)")
_UNIT_KEY_TYPES = ("organisation_id bigint, unit_id bigint, question_type varchar(32), "
                   "day date, value integer")


def _differences(cursor, x: str, s: str, cmp: list[str], s_params: list | None = None) -> list:
    """Rows (key…, stored, recounted) where table ``s`` (stored, column ``count``) and
    ``x`` (expected, column ``n``) disagree; zero counts equal missing rows."""
    same = " AND ".join(f"s.{c} = x.{c}" for c in cmp)
    cursor.execute(
        f"SELECT {', '.join('x.' + c for c in cmp)}, COALESCE(s.count, 0), x.n "
        f"FROM {x} x LEFT JOIN {s} s ON {same} "
        f"WHERE x.n <> COALESCE(s.count, 0) "
        f"UNION ALL "
        f"SELECT {', '.join('s.' + c for c in cmp)}, s.count, 0 "
        f"FROM {s} s WHERE s.count <> 0 "
        f"AND NOT EXISTS (SELECT 1 FROM {x} x WHERE {same})", (s_params or []) * 2)
    return cursor.fetchall()


def verify(organisation_id: int | None = None, since=None) -> list[tuple[Key, int, int]]:
    """Keys whose stored count differs from the recount: (key, stored, recounted).

    The recount goes into a temporary table and is compared with the rollups (summed over
    slots) in SQL, so only the differences reach Python. Then the per-unit rollups are
    compared with DailyCount summed per unit; their differences are reported with ``"*"``
    for touchpoint, channel, language, question key and choice. ``since``: the raw-data
    horizon (days before it are not checked; their raw rows may have been dropped)."""
    sql, params = _raw_select(organisation_id, since)
    first_day = horizon(since)[1]
    dt, ut = DailyCount._meta.db_table, UnitDayCount._meta.db_table
    where, wparams = _scope(organisation_id, first_day)
    cols, ucols = ", ".join(_KEY_COLUMNS), ", ".join(_UNIT_KEY_COLUMNS)
    temps = ["kokemus_rollup_recount", "kokemus_rollup_stored", "kokemus_unit_expected",
             "kokemus_unit_stored"]
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        _temp_table(cursor, temps[0], _KEY_TYPES + ", n bigint", sql, params, _CONFLICT[:-1])
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {dt} WHERE slot <> 0 AND {where})",
                       wparams)
        stored_params: list = []
        if cursor.fetchone()[0]:  # several slots per key: sum them first
            _temp_table(cursor, temps[1], _KEY_TYPES + ", count bigint",
                        f"SELECT {cols}, SUM(count) FROM {dt} WHERE {where} GROUP BY {cols}",
                        wparams, _CONFLICT[:-1])
            stored = temps[1]
        else:
            stored, stored_params = f"(SELECT {cols}, count FROM {dt} WHERE {where})", wparams
        # Joins by index on both sides (SQLite has no hash joins).
        rows = [(_key(r), int(r[10]), int(r[11]))
                for r in _differences(cursor, temps[0], stored, _CMP, stored_params)]
        _temp_table(cursor, temps[2], _UNIT_KEY_TYPES + ", n bigint",
                    f"SELECT {ucols}, SUM(count) FROM {dt} WHERE {where} GROUP BY {ucols}",
                    wparams, _UNIT_CONFLICT[:-1])
        _temp_table(cursor, temps[3], _UNIT_KEY_TYPES + ", count bigint",
                    f"SELECT {ucols}, SUM(count) FROM {ut} WHERE {where} GROUP BY {ucols}",
                    wparams, _UNIT_CONFLICT[:-1])
        for r in _differences(cursor, temps[2], temps[3], _UNIT_KEY_COLUMNS):
            day = date.fromisoformat(r[3]) if isinstance(r[3], str) else r[3]
            rows.append(((r[0], r[1], "*", "*", "*", "*", r[2], day, r[4], "*"),
                         int(r[5]), int(r[6])))
        for name in temps:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return sorted(rows, key=lambda m: repr(m[0]))


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


def batch_rollup_ctes(responses: str, answers: str) -> list[str]:
    """PostgreSQL: the rollup increments of several new responses, as CTEs (``x``, ``d``,
    ``u``) of the statement that inserts them. ``responses`` names a CTE of the inserted
    responses with columns ``id, org, unit, rtp`` (touchpoint or NO_TOUCHPOINT)``, ch,
    lang, day`` (the local day of the response in its unit's zone); ``answers`` a CTE of
    their inserted answers (``response_id, question_key, question_type, value, choice``).
    :func:`keys_for` of each response, summed per key; rows are written in the order of
    :func:`_order` (the text of each key field, compared by code point: the "C"
    collation), DailyCount before UnitDayCount, as :func:`upsert_counts` writes them, so
    batches and single writers never lock rollup rows in opposite orders. One parameter:
    the writer's slot."""
    free = "a.question_type = 'free_text'"
    dt, ut = DailyCount._meta.db_table, UnitDayCount._meta.db_table
    day = "to_char(day, 'YYYY-MM-DD')"
    return [
        f"x AS (SELECT org, unit, rtp, ch, lang, '{RESPONSE_KEY}'::text AS k, "
        f"'{RESPONSE_KEY}'::text AS t, day, {NO_VALUE}::integer AS v, ''::text AS c "
        f"FROM {responses} UNION ALL "
        f"SELECT q.org, q.unit, q.rtp, q.ch, q.lang, a.question_key, a.question_type, q.day, "
        f"CASE WHEN {free} THEN {NO_VALUE} ELSE coalesce(a.value, {NO_VALUE}) END, "
        f"CASE WHEN {free} THEN '' ELSE coalesce(a.choice, '') END "
        f"FROM {answers} a JOIN {responses} q ON q.id = a.response_id)",
        f"d AS (INSERT INTO {dt} ({', '.join(_COLUMNS)}) "
        f"SELECT org, unit, rtp, ch, lang, k, t, day, v, c, %s, count(*) FROM x "
        f"GROUP BY org, unit, rtp, ch, lang, k, t, day, v, c ORDER BY "
        + _c_order("org::text", "unit::text", "rtp::text", "ch", "lang", "k", "t", day,
                   "v::text", "c")
        + f" {_add_on_conflict(dt, _CONFLICT)} RETURNING 1)",
        f"u AS (INSERT INTO {ut} ({', '.join(_UNIT_COLUMNS)}) "
        f"SELECT org, unit, t, day, v, %s, count(*) FROM x "
        f"WHERE (SELECT count(*) FROM d) > 0 GROUP BY org, unit, t, day, v ORDER BY "
        + _c_order("org::text", "unit::text", "t", day, "v::text")
        + f" {_add_on_conflict(ut, _UNIT_CONFLICT)})",
    ]
