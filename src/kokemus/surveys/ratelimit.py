"""The public form's rate limit: submissions per device (IP address) and collection point.

One row per (code, IP) in ``RespondRateCounter``, counted with a single
``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING`` (PostgreSQL and SQLite): no cache
round trips, no separate commits. Every POST to the form counts once, refused ones too
(``do_submit_response(limiter=…)``): on PostgreSQL the count is the first CTE of the
submission's one statement (:meth:`Limiter.hit_sql`) and gates the rest, so over the limit
nothing else is stored; on SQLite it is its own short transaction just before the
submission's. The table lives in the database every web process and machine shares, so
the limit holds across workers and machines.

The window starts with a device's first submission (like a cache entry with a timeout)
and the count starts again after it. A process remembers keys it saw over the limit until
their window ends and refuses those without a query. Expired rows are purged by the web
processes themselves, at most once a minute per process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kokemus.surveys.models import RespondRateCounter

logger = logging.getLogger("kokemus.ratelimit")

PURGE_EVERY_SECONDS = 60.0
PURGE_BATCH = 5000
MEMO_MAX = 10_000

_TABLE = RespondRateCounter._meta.db_table
_ON_HIT = (
    f"ON CONFLICT (key) DO UPDATE SET "
    f"count = CASE WHEN {_TABLE}.expires_at > %s THEN {_TABLE}.count + 1 ELSE 1 END, "
    f"expires_at = CASE WHEN {_TABLE}.expires_at > %s THEN {_TABLE}.expires_at "
    f"ELSE excluded.expires_at END "
    f"RETURNING key, count, expires_at"
)
_HIT_SQL = f"INSERT INTO {_TABLE} (key, count, expires_at) VALUES (%s, 1, %s) {_ON_HIT}"

# key -> unix time its window ends; only keys seen over the limit (bounded, per process).
_over_until: dict[str, float] = {}
_next_purge = 0.0
_purge_lock = threading.Lock()


def limits() -> tuple[int, int]:
    """(submissions allowed, window in seconds) from the settings."""
    return (int(getattr(settings, "KOKEMUS_RESPOND_RATE_LIMIT", 30)),
            int(getattr(settings, "KOKEMUS_RESPOND_RATE_WINDOW", 600)))


def _secret() -> bytes:
    return hashlib.sha256(b"kokemus.ratelimit|" + settings.SECRET_KEY.encode()).digest()


def key_for(code: str, ip: str) -> str:
    """A keyed hash of the collection point code and the IP address (32 hex digits)."""
    return hashlib.blake2s(f"{code}|{ip}".encode(), key=_secret(), digest_size=16).hexdigest()


def _aware(value) -> datetime:
    if isinstance(value, float):  # epoch seconds
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):  # SQLite returns the stored text
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


class Limiter:
    """The rate limit of one request: ``blocked()`` without a query, ``hit()`` counts."""

    def __init__(self, code: str, ip: str):
        self.limit, self.window = limits()
        self.key = key_for(code, ip)

    def blocked(self) -> bool:
        """True when this process already saw the key over the limit in its window."""
        until = _over_until.get(self.key)
        if until is None:
            return False
        if until > time.time():
            return True
        _over_until.pop(self.key, None)
        return False

    def hit_sql(self) -> tuple[str, list]:
        """The counting statement and its parameters (``RETURNING count, expires_at``), for
        callers that run it as part of a larger statement; pass its result to
        :meth:`over`."""
        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        stamp = adapt(now)
        return _HIT_SQL, [self.key, adapt(now + timedelta(seconds=self.window)), stamp, stamp]

    @staticmethod
    def hit_many_sql(source: str) -> tuple[str, list]:
        """:meth:`hit_sql` for the keys of several limiters at once (PostgreSQL; one row per
        key): ``source`` names a relation with columns ``lk`` (the key) and ``lexp`` (the
        end of a new window). Rows are counted in key order, so two such statements never
        lock counters in opposite orders."""
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        return (f'INSERT INTO {_TABLE} (key, count, expires_at) SELECT lk, 1, lexp FROM '
                f'{source} ORDER BY lk COLLATE "C" {_ON_HIT}', [stamp, stamp])

    def window_end(self):
        """The end of a window that would start now."""
        return timezone.now() + timedelta(seconds=self.window)

    def over(self, count: int, expires_at) -> bool:
        """Whether a counted submission (``count`` in the window ending ``expires_at``: a
        datetime, its text or epoch seconds) is over the limit; remembers the key until the
        window ends when it is."""
        if count <= self.limit:
            return False
        if len(_over_until) >= MEMO_MAX:
            _over_until.clear()
        _over_until[self.key] = _aware(expires_at).timestamp()
        return True

    def hit(self) -> bool:
        """Count one submission (one statement); True when it is over the limit, and then
        the submission must not be stored."""
        sql, params = self.hit_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            _key, count, expires_at = cursor.fetchone()
        return self.over(count, expires_at)

    def count(self) -> None:
        """:meth:`hit`, raising :class:`RateLimited` when over the limit."""
        if self.hit():
            raise RateLimited


class RateLimited(Exception):
    """A submission is over its device's limit: nothing of it is stored (HTTP 429)."""


def count_for(code: str, ip: str) -> int:
    """Submissions counted for (code, IP) in the current window (0 when none)."""
    row = (RespondRateCounter.objects.filter(key=key_for(code, ip), expires_at__gt=timezone.now())
           .values_list("count", flat=True).first())
    return row or 0


def purge_expired(now: datetime | None = None) -> int:
    """Delete expired counters (one batch, skipping rows a submission holds)."""
    now = now or timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        sql = (f"DELETE FROM {_TABLE} WHERE key IN (SELECT key FROM {_TABLE} "
               f"WHERE expires_at <= %s LIMIT {PURGE_BATCH} FOR UPDATE SKIP LOCKED)")
    else:
        sql = (f"DELETE FROM {_TABLE} WHERE key IN (SELECT key FROM {_TABLE} "
               f"WHERE expires_at <= %s LIMIT {PURGE_BATCH})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [stamp])
        return cursor.rowcount


def maybe_purge() -> None:
    """Purge expired counters at most once a minute per process; never fails a request.

    Call it before the transaction that stores a submission.
    """
    global _next_purge
    now = time.monotonic()
    if now < _next_purge or not _purge_lock.acquire(blocking=False):
        return
    try:
        if now < _next_purge:
            return
        _next_purge = now + PURGE_EVERY_SECONDS
        with transaction.atomic():  # a failure leaves no broken transaction behind
            purge_expired()
    except DatabaseError:
        logger.warning("Could not purge expired rate-limit counters", exc_info=True)
    finally:
        _purge_lock.release()


def forget() -> None:
    """Forget this process's memory of keys over the limit (tests)."""
    _over_until.clear()
