"""Group commit: the public form's concurrent submissions in one process share a statement.

Under load every submission on PostgreSQL costs a statement of its own (``_insert_one_pg``):
PostgreSQL starts an executor for a plan of a dozen nodes, fires the foreign-key checks,
and flushes the write-ahead log at commit, for each one, and the worker thread waits for
that round trip. Here the threads of a process queue their submissions instead: when no
statement of the process is running, a submission runs at once (a batch of one: no wait
at low load); when one is running, the submissions that arrive meanwhile wait for it, and
the first of them then runs them all as one statement (:func:`~kokemus.responses.actions.
_insert_many_pg`) while the next arrivals queue again. That is the group commit of
databases, one level up: each statement's fixed cost is shared by the submissions that
queued during the previous one, and a submission never waits for more than one statement
ahead of its own.

Nothing changes for a submission's outcome: the batch statement writes the same rows as
the submissions one by one would (the rate-limit count that gates each, its key, response,
answers, pending analyses, mentions and rollup counts), and each thread gets its own
result. Every submission of a batch is acknowledged only after the batch commits. Two
submissions with the same rate-limit key (one device) or the same idempotency key never
share a batch (the later one waits for the next). When a batch of several fails (a
deadlock, a constraint), each of its submissions is run again on its own thread by its own
statement, so one bad submission cannot take others down with it, and nothing was counted
or stored by the failed batch.

Only the public form's submissions in autocommit take this path (``group=True`` of
``do_submit_response``); ``KOKEMUS_PG_GROUP_COMMIT=false`` turns it off.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import DatabaseError, connection

MAX_BATCH = 32


class _Item:
    __slots__ = ("args", "done", "error", "event", "result")

    def __init__(self, args: tuple):
        self.args = args  # (response, rows, comments, mentions, unit_zone, limiter)
        self.event = threading.Event()
        self.done = False  # result or error set
        self.result = None
        self.error: BaseException | None = None


_lock = threading.Lock()
_queue: list[_Item] = []
_busy = False  # a thread of this process is running a batch
_SOLO = object()  # the batch failed: run on your own


def enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "KOKEMUS_PG_GROUP_COMMIT",
                                                         True) \
        and connection.get_autocommit() and not connection.in_atomic_block


def insert(response, rows, comments, mentions, unit_zone, limiter) -> tuple[bool, tuple]:
    """``_insert_one_pg(...)`` for a submission with an idempotency key and a limiter, in a
    batch with the submissions other threads of this process make meanwhile."""
    from kokemus.responses.actions import _insert_one_pg

    global _busy
    item = _Item((response, rows, comments, mentions, unit_zone, limiter))
    with _lock:
        _queue.append(item)
        lead = not _busy
        _busy = True
    if not lead:
        item.event.wait()
    if not item.done:  # leading: this thread runs the next batch (its own item in it)
        _run_batch(item)
    if item.error is _SOLO:
        return _insert_one_pg(*item.args)
    if item.error is not None:
        raise item.error
    return item.result


def _take(me: _Item) -> list[_Item]:
    """The next batch from the queue (under the lock): ``me`` first, then queued items in
    arrival order whose rate-limit key and idempotency key are not in the batch yet (and
    whose limit is the same: one statement compares every count with one limit)."""
    batch, limiters, keys, rest = [], set(), set(), []
    limit = me.args[5].limit
    for item in [me, *(i for i in _queue if i is not me)]:
        response, limiter = item.args[0], item.args[5]
        key = (response.organisation_id, response.idempotency_key)
        if len(batch) < MAX_BATCH and limiter.key not in limiters and key not in keys \
                and limiter.limit == limit:
            batch.append(item)
            limiters.add(limiter.key)
            keys.add(key)
        else:
            rest.append(item)
    _queue[:] = rest
    return batch


def _run_batch(me: _Item) -> None:
    from kokemus.responses.actions import _insert_many_pg, _insert_one_pg

    global _busy
    with _lock:
        batch = _take(me)
    try:
        results = [_insert_one_pg(*me.args)] if len(batch) == 1 else \
            _insert_many_pg([item.args for item in batch])
    except DatabaseError as exc:
        for item in batch:
            item.error = _SOLO if len(batch) > 1 else exc
    except BaseException as exc:
        for item in batch:
            item.error = _SOLO if item is not me else exc
    else:
        for item, result in zip(batch, results, strict=True):
            item.result = result
    with _lock:
        for item in batch:
            item.done = True
        if _queue:
            _queue[0].event.set()  # the first waiting thread runs the next batch
        else:
            _busy = False
    for item in batch:
        if item is not me:
            item.event.set()
