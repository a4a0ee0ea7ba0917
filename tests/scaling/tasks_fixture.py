"""A tiny background task for tests/scaling/test_workers.py. The worker subprocesses
import it by its path ``tests.scaling.tasks_fixture.record_run`` (PYTHONPATH = repo root)."""

import os

from django.db import connection
from django_tasks import task

TABLE = "scaling_task_runs"


def create_table() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"CREATE TABLE {TABLE} (arg integer NOT NULL, pid integer NOT NULL)")


@task()
def record_run(arg: int) -> int:
    """Count one execution of ``arg`` (no unique constraint: duplicates would show)."""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (arg, pid) VALUES (%s, %s)", [arg, os.getpid()])
    return arg
