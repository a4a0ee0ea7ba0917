"""Helper run in subprocesses by test_workers.py: `enqueue N` or `count`."""

import json
import sys

import django

django.setup()

from django.db import connection  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from tests.scaling import tasks_fixture  # noqa: E402

if sys.argv[1] == "enqueue":
    tasks_fixture.create_table()
    for i in range(int(sys.argv[2])):
        tasks_fixture.record_run.enqueue(i)
    print(json.dumps({"queued": DBTaskResult.objects.count()}))
else:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT arg), count(DISTINCT pid) "
                    f"FROM {tasks_fixture.TABLE}")
        runs, distinct, pids = cur.fetchone()
        cur.execute(f"SELECT pid, count(*) FROM {tasks_fixture.TABLE} GROUP BY pid")
        per_pid = dict(cur.fetchall())
    statuses = {}
    for r in DBTaskResult.objects.values_list("status", flat=True):
        statuses[r] = statuses.get(r, 0) + 1
    print(json.dumps({"runs": runs, "distinct": distinct, "pids": pids,
                      "per_worker": sorted(per_pid.values()), "statuses": statuses,
                      "vendor": connection.vendor}))
