"""Background maintenance of the response partitions (run by ``kokemus worker``).

``maintain_partitions`` creates the coming months' partitions and applies
``KOKEMUS_RAW_RETENTION_MONTHS``, folds the rollups' per-writer slots of past days into
one row per key (:func:`kokemus.analytics.rollups.compact`), then queues itself for the next day (03:15 UTC), as
``reports.tasks.send_due_reports`` does hourly. :func:`schedule_maintenance` starts the
chain (called when the worker starts); ``kokemus partitions ensure`` / ``retention`` from
cron do the same work. On SQLite nothing is scheduled.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from django_tasks import task

RUN_AT = dt.time(3, 15)


@task()
def maintain_partitions() -> dict:
    from kokemus.analytics.rollups import compact
    from kokemus.responses.partitions import maintain

    try:
        result = maintain()
        result["rollup_keys_compacted"] = compact()
        return result
    finally:
        schedule_maintenance()


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    now = (now or timezone.now()).astimezone(dt.UTC)
    run = dt.datetime.combine(now.date(), RUN_AT, tzinfo=dt.UTC)
    return run if run > now else run + dt.timedelta(days=1)


def schedule_maintenance(now: dt.datetime | None = None) -> bool:
    """Queue ``maintain_partitions`` for the next 03:15 UTC unless one is queued already
    (or the database is not PostgreSQL, or the task backend cannot defer). True if queued."""
    if connection.vendor != "postgresql":
        return False
    backend = maintain_partitions.get_backend()
    if not backend.supports_defer:
        return False
    try:
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=maintain_partitions.module_path,
                                       status="READY").exists():
            return False
    except ImportError:  # pragma: no cover
        pass
    maintain_partitions.using(run_after=next_run(now)).enqueue()
    return True
