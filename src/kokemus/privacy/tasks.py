"""Background tasks (run by `kokemus worker`; schedule `purge_expired_data` daily, e.g.
from cron: `kokemus privacy purge`)."""

from __future__ import annotations

from django_tasks import task


@task()
def purge_expired_data() -> dict:
    from kokemus.privacy.actions import purge_expired

    return purge_expired()
