"""Background sending of invitations (run by ``kokemus worker``).

Each visit event enqueues ``send_due_invitations`` at its due time (rounded up to five
minutes, one queued task per slot); each run enqueues the next one for the earliest pending
invitation or reminder. ``kokemus invitations send-due`` does the same from cron.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

SLOT = dt.timedelta(minutes=5)


@task()
def send_due_invitations() -> dict:
    from kokemus.invitations.actions import next_due_at, schedule_run, send_due

    counts = send_due()
    schedule_run(next_due_at())
    return counts


def _slot(at: dt.datetime) -> dt.datetime:
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    steps = -((at - epoch) // -SLOT)  # ceiling
    return epoch + steps * SLOT


def enqueue_send_at(at: dt.datetime) -> None:
    from django.utils import timezone

    backend = send_due_invitations.get_backend()
    if not backend.supports_defer:
        return
    run_after = max(_slot(at), _slot(timezone.now()))
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover
        DatabaseBackend = None  # noqa: N806
    if DatabaseBackend is not None and isinstance(backend, DatabaseBackend):
        if DBTaskResult.objects.filter(task_path=send_due_invitations.module_path,
                                       status="READY", run_after=run_after).exists():
            return
    send_due_invitations.using(run_after=run_after).enqueue()
