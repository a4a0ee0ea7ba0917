"""Background tasks of imports (run by ``kokemus worker``)."""

from __future__ import annotations

from django_tasks import task

from kokemus.imports.models import ImportJob


@task()
def run_import(job_id: int, dry_run: bool = False) -> dict:
    from kokemus.imports.actions import run_job

    job = ImportJob.objects.select_related("organisation", "uploaded_by").get(pk=job_id)
    job = run_job(job, dry_run=dry_run)
    return {"status": job.status, "rows": job.rows_done, "ok": job.rows_ok, "bad": job.rows_bad}
