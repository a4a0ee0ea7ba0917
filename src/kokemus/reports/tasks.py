"""Background delivery of scheduled reports (run by ``kokemus worker``).

Each run sends what is due and queues the next run for the following full hour, so the
worker keeps checking hourly; ``kokemus reports send-due`` does the same from cron.
"""

from __future__ import annotations

from django_tasks import task


@task()
def send_due_reports() -> dict:
    from kokemus.reports.actions import schedule_next_run, send_due

    counts = send_due()
    schedule_next_run()
    return counts
