"""Dashboard benchmark on N real generated responses (PostgreSQL and SQLite); prints JSON.

For each database: a fresh database (migrate, the demo organisations), then
``kokemus.demo.story.generate(N)`` (the product's generator: responses, answers and their
rollups through the bulk path), then

* the overview (``/o/aurinko/dashboards/``, default 90-day filter and a 365-day filter) as
  the demo administrator through Django's test client: server time p50/p95 over
  ``--requests`` GETs after one warm-up;
* NPS by unit × month over the whole story as the product computes it
  (``kokemus.goals.series.per_unit_monthly``: one grouped query on the per-unit rollups,
  scores per unit subtree and month), against DuckDB computing NPS by unit × local month
  over the same raw NPS answers (unit, submitted_at, value read from the database into an
  in-memory DuckDB table first). Only the queries are timed (median of ``--repeat`` runs
  each, after one warm-up run), not the loading; the two results are checked to agree
  (same unit-months, same counts and NPS).

Usage: .venv/bin/python bench/dashboard.py [--responses 1000000] [--engines postgresql,sqlite]
       [--requests 30] [--repeat 5] [--pg-database kokemus_bench_dashboard] [--verify]
The PostgreSQL server is KOKEMUS_TEST_DATABASE_URL's (default
postgres://postgres@127.0.0.1:5432/test); the scratch database is dropped afterwards.
SQLite runs in a temporary directory. Times are wall-clock on a possibly shared machine:
compare the ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, statistics, sys, time
from datetime import UTC, datetime
sys.path.insert(0, os.path.join(sys.argv[4], "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
import django
django.setup()
import duckdb
import numpy as np
import pyarrow as pa
from django.core.management import call_command
from django.db import connection
from django.test import Client

n, requests, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = {"database": connection.vendor, "responses": n}
call_command("migrate", interactive=False, verbosity=0)
from kokemus.accounts.models import Organisation, User
from kokemus.analytics.models import DailyCount, UnitDayCount
from kokemus.demo import load_demo, story
from kokemus.goals.series import per_unit_monthly
from kokemus.responses.models import Answer, Response

with story.skip_demo_step():
    load_demo(stdout=open(os.devnull, "w"))
t = time.perf_counter()
out["generate"] = story.generate(n, seed=1)
out["generate"]["wall_s"] = round(time.perf_counter() - t, 2)
out["rows"] = {"responses": Response.objects.count(), "answers": Answer.objects.count(),
               "rollups": DailyCount.objects.count(),
               "unit_rollups": UnitDayCount.objects.count()}
if sys.argv[5] == "verify":
    from kokemus.analytics import rollups
    t = time.perf_counter()
    mismatches = rollups.verify()
    out["rollups_verify"] = {"mismatches": len(mismatches),
                             "s": round(time.perf_counter() - t, 2)}
    assert not mismatches, mismatches[:5]


def timed_get(client, url, params):
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], 1),
            "max_ms": round(times[-1], 1)}


org = Organisation.objects.get(slug="aurinko")
admin = User.objects.get(email="admin@aurinko.example")
client = Client()
client.force_login(admin)
url = f"/o/{org.slug}/dashboards/"
assert client.get(url).status_code == 200  # warm-up (templates, static manifest)
out["overview_90d"] = timed_get(client, url, {})
out["overview_365d"] = timed_get(client, url, {"period": "365"})
out["overview_requests"] = requests

# --- NPS by unit x month: the product (rollups) against DuckDB (raw answers) ------------------
from kokemus.analytics.queries import local_today

units = story._places(org)
today = local_today(org)
start = (DailyCount.objects.filter(organisation=org).order_by("day")
         .values_list("day", flat=True).first())
zone = org.time_zone


def product():
    return per_unit_monthly(org, "nps", "", units, start, today)


def median_time(fn):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, sorted(times), result

product_ms, product_all, series = median_time(product)

# raw NPS answers of the same organisation: unit, submitted_at (UTC), value
t0 = time.perf_counter()
unit_ids, stamps, values = [], [], []
with connection.cursor() as cursor:
    cursor.execute(
        f"SELECT r.unit_id, r.submitted_at, a.value FROM {Answer._meta.db_table} a "
        f"JOIN {Response._meta.db_table} r ON r.id = a.response_id "
        f"WHERE r.organisation_id = %s AND a.question_type = 'nps' AND a.value IS NOT NULL",
        [org.pk])
    while rows := cursor.fetchmany(200_000):
        u, s, v = zip(*rows)
        unit_ids.append(np.array(u, dtype=np.int64))
        stamps.append(np.array(
            [datetime.fromisoformat(x) if isinstance(x, str) else x for x in s], dtype=object))
        values.append(np.array(v, dtype=np.int16))
naive_utc = [x.astimezone(UTC).replace(tzinfo=None) if x.tzinfo else x
             for x in np.concatenate(stamps).tolist()]  # SQLite: naive UTC already
table = pa.table({"unit_id": np.concatenate(unit_ids),
                  "submitted_at": pa.array(naive_utc, pa.timestamp("us", tz="UTC")),
                  "value": np.concatenate(values)})
duck = duckdb.connect()
duck.execute("SET TimeZone = 'UTC'")
duck.register("nps_arrow", table)
duck.execute("CREATE TABLE nps AS SELECT * FROM nps_arrow")
duck.unregister("nps_arrow")
load_s = time.perf_counter() - t0
unit_tz = {u.pk: u.time_zone for u in units}
assert set(unit_tz.values()) == {zone}, "the bench assumes one time zone per organisation"
DUCK_SQL = (
    "SELECT unit_id, CAST(date_trunc('month', timezone(?, submitted_at)) AS DATE) AS month, "
    "count(*) AS n, "
    "100.0 * (count(*) FILTER (WHERE value >= 9) - count(*) FILTER (WHERE value <= 6)) "
    "/ count(*) AS nps "
    "FROM nps GROUP BY 1, 2")


def duck_query():
    return duck.execute(DUCK_SQL, [zone]).fetchall()

duck_ms, duck_all, duck_rows = median_time(duck_query)

# the two agree: every shown product point has the same n and NPS as DuckDB's unit-month
duck_map = {(u, m): (c, v) for u, m, c, v in duck_rows}
checked = 0
for unit in units:
    for p in series[unit.pk].points:
        c, v = duck_map[(unit.pk, p.period)]
        assert c == p.n, (unit.name, p.period, c, p.n)
        assert abs(v - p.value) <= 0.006, (unit.name, p.period, p.value, v)
        checked += 1
assert checked > 0
out["nps_unit_month"] = {
    "units": len(units), "months": len({m for _u, m, _c, _v in duck_rows}),
    "unit_months_checked_equal": checked, "raw_nps_answers": table.num_rows,
    "product_per_unit_monthly_ms": round(product_ms, 1),
    "duckdb_raw_ms": round(duck_ms, 1),
    "ratio_product_to_duckdb": round(product_ms / duck_ms, 2),
    "repeat": repeat,
    "duckdb_load_s_untimed": round(load_s, 1),
}
print("RESULT " + json.dumps(out))
"""


def run(n: int, env: dict, args) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.requests),
                           str(args.repeat), str(ROOT), "verify" if args.verify else "-"],
                          env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-4000:])
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-database", default="kokemus_bench_dashboard")
    parser.add_argument("--verify", action="store_true",
                        help="also run `rollups verify` after generating (timed)")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base["PYTHONPATH"] = str(ROOT / "src")
    base["KOKEMUS_TESTING"] = "1"  # plain static files storage (no collectstatic manifest)
    result: dict = {"benchmark": "dashboard", "responses": args.responses,
                    "python": platform.python_version(), "cpus": os.cpu_count()}
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix="kokemus-dash-bench-") as tmp:
            env = base | {"KOKEMUS_VAR_DIR": tmp}
            if engine == "sqlite":
                result["sqlite"] = run(args.responses, env, args)
            elif engine == "postgresql":
                server = os.environ.get("KOKEMUS_TEST_DATABASE_URL",
                                        "postgres://postgres@127.0.0.1:5432/test")
                scratch = urlunparse(urlparse(server)._replace(path="/" + args.pg_database))
                psql(server, f"DROP DATABASE IF EXISTS {args.pg_database}")
                psql(server, f"CREATE DATABASE {args.pg_database}")
                try:
                    result["postgresql"] = run(args.responses, env | {"DATABASE_URL": scratch},
                                               args)
                finally:
                    psql(server, f"DROP DATABASE IF EXISTS {args.pg_database}")
            else:
                raise SystemExit(f"unknown engine {engine!r}")
        print(json.dumps({engine: result[engine]}), file=sys.stderr)
    targets = {}
    for engine in ("postgresql", "sqlite"):
        if engine in result:
            r = result[engine]
            targets[engine] = {
                "overview_p95_ms_le_300": r["overview_90d"]["p95_ms"] <= 300,
                "nps_unit_month_ratio_le_1_5":
                    r["nps_unit_month"]["ratio_product_to_duckdb"] <= 1.5}
    result["targets_met"] = targets
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
