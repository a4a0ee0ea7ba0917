"""Read replica routing (docs/scaling.md, "Read replica").

With ``DATABASE_REPLICA_URL`` set, settings define ``DATABASES["replica"]`` and install
``ReplicaRouter``. Reads go to the replica ONLY inside an explicit ``use_replica()``
context (a context manager and decorator); everything else — every write, every read
outside the context, every read inside a transaction on the primary, and every read of a
model outside ``KOKEMUS_REPLICA_APPS`` (sessions, users, memberships, the cache table,
the task queue, login throttling) — goes to ``default``.

``ReplicaMiddleware`` opens the context for GET/HEAD requests under
``/o/<slug>/dashboards/`` and ``/o/<slug>/reports/`` only. After a POST (or any other
unsafe method) the browser gets a short-lived cookie that pins its next reads to the
primary, so a user always sees what they just wrote (read-after-write).

Lag: ``SELECT now() - pg_last_xact_replay_timestamp()`` on the replica (0 when the replica
has replayed everything it has received, so an idle primary does not look lagging),
cached per process for ``KOKEMUS_REPLICA_LAG_CACHE_SECONDS`` (5 s). Lag above
``KOKEMUS_REPLICA_MAX_LAG`` (30 s) or an unreachable replica → the primary is used. A
lag above ``KOKEMUS_REPLICA_NOTICE_LAG`` (2 s) but acceptable → the context processor
``data_as_of`` gives the templates the time the data is from ("data as of HH:MM").
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from contextlib import ContextDecorator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
DEFAULT_REPLICA_APPS = ("analytics", "responses", "comments", "journeys", "surveys")
REPLICA_PATH = re.compile(r"^/o/[^/]+/(dashboards|reports)/")
PIN_COOKIE = "kokemus_primary_until"

LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() IS NOT NULL
       AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


def _setting(name: str, default):
    return getattr(settings, name, default)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


# --- Lag, cached per process ---------------------------------------------------------------

_lag_lock = threading.Lock()
_lag_cache: dict = {}  # {"at": monotonic seconds, "lag": float | None (None = unreachable)}


def reset_lag_cache() -> None:
    with _lag_lock:
        _lag_cache.clear()


def measure_lag() -> float | None:
    """Seconds the replica is behind the primary, or None when it cannot be reached."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            return max(0.0, float(cursor.fetchone()[0] or 0))
    except DatabaseError as exc:
        logger.warning("read replica unreachable: %s", exc)
        try:
            connections[REPLICA].close()
        except DatabaseError:
            pass
        return None


def replica_lag() -> float | None:
    ttl = float(_setting("KOKEMUS_REPLICA_LAG_CACHE_SECONDS", 5))
    now = time.monotonic()
    with _lag_lock:
        if _lag_cache and now - _lag_cache["at"] < ttl:
            return _lag_cache["lag"]
    lag = measure_lag()
    with _lag_lock:
        _lag_cache.update(at=time.monotonic(), lag=lag)
    return lag


# --- The context ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplicaState:
    alias: str               # "replica" or "default" (fallback)
    lag: float | None        # seconds; None if unreachable or not configured
    reason: str              # "replica", "not-configured", "unreachable", "lagging", "pinned"
    measured_at: datetime

    @property
    def data_as_of(self) -> datetime | None:
        """When the data read in this context is from, if notably behind (else None)."""
        if self.alias != REPLICA or self.lag is None:
            return None
        if self.lag <= float(_setting("KOKEMUS_REPLICA_NOTICE_LAG", 2)):
            return None
        return self.measured_at - timedelta(seconds=self.lag)


_state: contextvars.ContextVar[ReplicaState | None] = contextvars.ContextVar(
    "kokemus_replica_state", default=None)


def current_state() -> ReplicaState | None:
    return _state.get()


def decide(pinned: bool = False) -> ReplicaState:
    now = timezone.now()
    if not replica_configured():
        return ReplicaState(PRIMARY, None, "not-configured", now)
    if pinned:
        return ReplicaState(PRIMARY, None, "pinned", now)
    lag = replica_lag()
    if lag is None:
        return ReplicaState(PRIMARY, None, "unreachable", now)
    if lag > float(_setting("KOKEMUS_REPLICA_MAX_LAG", 30)):
        return ReplicaState(PRIMARY, lag, "lagging", now)
    return ReplicaState(REPLICA, lag, "replica", now)


class use_replica(ContextDecorator):  # noqa: N801 - reads like a statement
    """Route reads of KOKEMUS_REPLICA_APPS models to the replica in this block.

    ``with use_replica() as state:`` / ``@use_replica()``. ``state.alias`` says where
    reads go ("default" when the replica is missing, unreachable or too far behind).
    """

    def __init__(self, pinned: bool = False):
        self.pinned = pinned
        self._tokens: list = []

    def __enter__(self) -> ReplicaState:
        state = decide(self.pinned)
        self._tokens.append(_state.set(state))
        return state

    def __exit__(self, *exc) -> bool:
        _state.reset(self._tokens.pop())
        return False


class use_primary(ContextDecorator):  # noqa: N801
    """Force primary reads inside a replica block (e.g. just before a write)."""

    def __enter__(self):
        self._token = _state.set(None)

    def __exit__(self, *exc) -> bool:
        _state.reset(self._token)
        return False


# --- The router -----------------------------------------------------------------------------

class ReplicaRouter:
    """DATABASE_ROUTERS = ["kokemus.dbrouting.ReplicaRouter"]."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if (state is not None and state.alias == REPLICA
                and model._meta.app_label in _setting("KOKEMUS_REPLICA_APPS",
                                                      DEFAULT_REPLICA_APPS)
                and not connections[PRIMARY].in_atomic_block):
            return REPLICA
        # Explicit, so related objects of an instance read from the replica are not
        # silently fetched from the replica outside the context.
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


# --- Request plumbing -----------------------------------------------------------------------

def wants_replica(request) -> bool:
    return request.method in ("GET", "HEAD") and bool(REPLICA_PATH.match(request.path_info))


def _pinned(request) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


class ReplicaMiddleware:
    """Dashboard/report GETs read from the replica; after a write, the primary for a while."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        if wants_replica(request):
            with use_replica(pinned=_pinned(request)) as state:
                request.replica_state = state
                response = self.get_response(request)
                # Lazy responses (TemplateResponse) render inside the context too.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and response.status_code < 500:
            seconds = int(_setting("KOKEMUS_REPLICA_PIN_SECONDS",
                                   _setting("KOKEMUS_REPLICA_MAX_LAG", 30)))
            response.set_cookie(PIN_COOKIE, str(int(time.time()) + seconds), max_age=seconds,
                                httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response


def data_as_of(request) -> dict:
    """Context processor: ``data_as_of`` (aware datetime) when reading a lagging replica."""
    state = _state.get()
    return {"data_as_of": state.data_as_of if state is not None else None}
