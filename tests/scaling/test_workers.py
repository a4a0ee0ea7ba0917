"""Two real `kokemus worker --batch` processes on one database run every task once.

django_tasks_db claims a task inside a transaction with
``select_for_update(skip_locked=True)`` and marks it RUNNING before committing; on
PostgreSQL concurrent workers skip each other's locked rows, on SQLite (no row locks) the
claim runs in an EXCLUSIVE transaction, so only one worker claims at a time. The test uses
the PostgreSQL server of DATABASE_URL (a scratch database) when it is PostgreSQL, else a
SQLite file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TASKS = 1000
SCRATCH = "kokemus_workers_test"


def _env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url, KOKEMUS_TESTING="1", CACHE_URL="",
               DJANGO_SETTINGS_MODULE="kokemus.settings", LOG_LEVEL="ERROR",
               KOKEMUS_VAR_DIR=tempfile.mkdtemp(prefix="kokemus-workers-"),
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    return env


def _py(env, *args, timeout=120):
    proc = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def database_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'workers.sqlite3'}"
        return
    u = urlparse(url)
    admin = ["psql", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U",
             u.username or "postgres", "-d", "postgres", "-qc"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"], check=True,
                   capture_output=True, env={**os.environ, "PGPASSWORD": u.password or ""})
    subprocess.run([*admin, f"CREATE DATABASE {SCRATCH}"], check=True, capture_output=True,
                   env={**os.environ, "PGPASSWORD": u.password or ""})
    try:
        yield u._replace(path=f"/{SCRATCH}").geturl()
    finally:
        subprocess.run([*admin, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"],
                       capture_output=True, env={**os.environ, "PGPASSWORD": u.password or ""})


def test_two_workers_run_each_task_once(database_url):
    env = _env(database_url)
    kokemus = str(ROOT / ".venv/bin/kokemus")
    subprocess.run([kokemus, "migrate", "django_tasks_database", "-v", "0"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=120)
    assert _py(env, "tests/scaling/workers_check.py", "enqueue", str(TASKS)) == {
        "queued": TASKS}
    t = time.monotonic()
    workers = [subprocess.Popen([kokemus, "worker", "--batch", "--interval", "0"], env=env,
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    errors = [w.communicate(timeout=240)[1] for w in workers]
    elapsed = time.monotonic() - t
    assert [w.returncode for w in workers] == [0, 0], errors
    r = _py(env, "tests/scaling/workers_check.py", "count")
    print(json.dumps({**r, "seconds": round(elapsed, 2),
                      "tasks_per_s": round(TASKS / elapsed, 1)}))
    assert r["runs"] == TASKS and r["distinct"] == TASKS          # each exactly once
    assert r["statuses"] == {"SUCCESSFUL": TASKS}
    assert r["pids"] == 2 and min(r["per_worker"]) > 0           # both really worked
