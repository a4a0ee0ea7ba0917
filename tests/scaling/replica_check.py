"""Run by test_replica.py in a subprocess: DATABASE_URL = the scratch database on the
primary, DATABASE_REPLICA_URL = the same database on the streaming replica,
DJANGO_SETTINGS_MODULE = tests.scaling.replica_settings. Prints one JSON object."""

import json
import os
import subprocess
import sys
import time

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from kokemus import dbrouting  # noqa: E402
from kokemus.accounts import actions  # noqa: E402
from kokemus.accounts.audit import SYSTEM, Actor  # noqa: E402
from kokemus.accounts.models import Organisation, Sector  # noqa: E402

setup_test_environment()
out: dict = {}


def wait_until(fn, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.1)
    return False


def replica_sql(sql):
    with connections["replica"].cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0] if cur.description else None


def capture(fn):
    with CaptureQueriesContext(connections["default"]) as p, \
            CaptureQueriesContext(connections["replica"]) as r:
        result = fn()
    return result, [q["sql"] for q in p.captured_queries], [q["sql"] for q in r.captured_queries]


# 1. A write through the ORM lands on the primary and streams to the replica.
admin = actions.do_create_user(SYSTEM, email="replica@example.com", password="x" * 20,
                               validate=False)
org = actions.do_create_organisation(Actor(user=admin), name="Replica Oy", slug="replica",
                                     sector=Sector.PHARMACY)
out["write_on_primary"] = Organisation.objects.using("default").filter(slug="replica").exists()
out["replica_in_recovery"] = replica_sql("SELECT pg_is_in_recovery()")
out["write_on_replica"] = wait_until(
    lambda: Organisation.objects.using("replica").filter(slug="replica").exists())
out["plain_read_alias"] = Organisation.objects.filter(slug="replica").db  # outside context

# 2. Routing: dashboard GET → replica for rollups; POST → primary only.


def reads_rollups(sql: str) -> bool:
    """A query of either rollup table (the overview reads the per-unit one)."""
    return "analytics_dailycount" in sql or "analytics_unitdaycount" in sql



client = Client()
client.force_login(admin)
dash = f"/o/{org.slug}/dashboards/"
dbrouting.reset_lag_cache()
resp, prim, repl = capture(lambda: client.get(dash))
out["dash_status"] = resp.status_code
out["dash_replica_queries"] = len(repl)
out["dash_replica_reads_rollups"] = any(reads_rollups(q) for q in repl)
out["dash_primary_reads_rollups"] = any(reads_rollups(q) for q in prim)
out["dash_primary_reads_session"] = any("django_session" in q for q in prim)
out["dash_state"] = resp.wsgi_request.replica_state.reason

resp, prim, repl = capture(lambda: client.post(f"/o/{org.slug}/reports/schedules/new/", {}))
out["post_status"] = resp.status_code
out["post_replica_queries"] = len(repl)
out["post_primary_queries"] = len(prim)
out["post_sets_pin_cookie"] = dbrouting.PIN_COOKIE in resp.cookies
resp, prim, repl = capture(lambda: client.get(dash))   # pinned: read-after-write
out["pinned_replica_queries"] = len(repl)
out["pinned_state"] = resp.wsgi_request.replica_state.reason
client.cookies.pop(dbrouting.PIN_COOKIE, None)

resp, prim, repl = capture(lambda: client.get(f"/o/{org.slug}/journeys/"))
out["other_page_replica_queries"] = len(repl)

# 3. Lag: pause replay, write on the primary, then the thresholds decide.
replica_sql("SELECT pg_wal_replay_pause()")
time.sleep(2.5)
Organisation.objects.filter(pk=org.pk).update(name="Replica Oy (paused)")
with connections["default"].cursor() as cur:
    cur.execute("SELECT pg_current_wal_insert_lsn()::text")
    target = cur.fetchone()[0]
out["replica_received_write"] = wait_until(lambda: replica_sql(
    f"SELECT pg_last_wal_receive_lsn() >= '{target}'::pg_lsn"))
out["paused_replica_sees_old"] = (
    Organisation.objects.using("replica").get(pk=org.pk).name == "Replica Oy")
wait_until(lambda: replica_sql("SELECT pg_get_wal_replay_pause_state()") == "paused")
out["lag_debug"] = replica_sql(
    "SELECT concat_ws(' ', pg_get_wal_replay_pause_state(), pg_last_wal_receive_lsn(), "
    "pg_last_wal_replay_lsn(), now() - pg_last_xact_replay_timestamp())")
dbrouting.reset_lag_cache()
lag = dbrouting.replica_lag()
out["measured_lag_s"] = round(lag, 2) if lag is not None else None

with override_settings(KOKEMUS_REPLICA_MAX_LAG=1):
    dbrouting.reset_lag_cache()
    resp, prim, repl = capture(lambda: client.get(dash))
    out["strict_state"] = resp.wsgi_request.replica_state.reason
    out["strict_replica_queries"] = sum(reads_rollups(q) for q in repl)
    out["strict_primary_reads_rollups"] = any(reads_rollups(q) for q in prim)
    out["strict_data_as_of"] = resp.context["data_as_of"] is not None

with override_settings(KOKEMUS_REPLICA_MAX_LAG=120, KOKEMUS_REPLICA_NOTICE_LAG=2):
    dbrouting.reset_lag_cache()
    resp, prim, repl = capture(lambda: client.get(dash))
    out["lenient_state"] = resp.wsgi_request.replica_state.reason
    out["lenient_replica_reads_rollups"] = any(reads_rollups(q) for q in repl)
    as_of = resp.context["data_as_of"]
    out["lenient_data_as_of"] = as_of.isoformat() if as_of else None

# Cache: a second decision within 5 s does not query the replica again.
with override_settings(KOKEMUS_REPLICA_LAG_CACHE_SECONDS=5):
    dbrouting.reset_lag_cache()
    dbrouting.replica_lag()
    _, _, repl = capture(dbrouting.replica_lag)
    out["cached_lag_queries"] = len(repl)

replica_sql("SELECT pg_wal_replay_resume()")
out["caught_up"] = wait_until(
    lambda: Organisation.objects.using("replica").get(pk=org.pk).name == "Replica Oy (paused)")

# 4. Unreachable replica → primary.
connections["replica"].close()
subprocess.run(["pg_ctlcluster", "15", os.environ["REPLICA_CLUSTER"], "stop", "-m", "fast"],
               check=True, capture_output=True)
dbrouting.reset_lag_cache()
t = time.monotonic()
with CaptureQueriesContext(connections["default"]) as p:   # (replica: nothing to capture)
    resp = client.get(dash)
prim = [q["sql"] for q in p.captured_queries]
out["down_status"] = resp.status_code
out["down_state"] = resp.wsgi_request.replica_state.reason
out["down_primary_reads_rollups"] = any(reads_rollups(q) for q in prim)
out["down_seconds"] = round(time.monotonic() - t, 2)
out["max_lag_default"] = settings.KOKEMUS_REPLICA_MAX_LAG
print(json.dumps(out))
sys.stdout.flush()
