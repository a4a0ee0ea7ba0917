"""Time `kokemus generate` on SQLite (temp DB) and PostgreSQL (scratch database
on KOKEMUS_TEST_DATABASE_URL's server, dropped afterwards), then `rollups verify`; print JSON.

Usage: .venv/bin/python bench/generate_bench.py [--sizes 1000000,10000000] [--skip-pg]
       [--skip-sqlite] [--pg-database kokemus_bench] [--no-verify]
Each size runs in a fresh database (migrate + demo organisations, then generate, then the
SQL recount of `rollups verify`, which must find no mismatch). Issue #11 asks for 10 M
responses in at most 10 minutes on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from urllib.parse import urlparse, urlunparse

CHILD = r"""
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from kokemus.demo import load_demo, story
with story.skip_demo_step():
    load_demo(stdout=open(os.devnull, "w"))
t = time.perf_counter()
stats = story.generate(int(sys.argv[1]), seed=1)
stats["wall_s"] = round(time.perf_counter() - t, 2)
if sys.argv[2] == "verify":
    from kokemus.analytics import rollups
    t = time.perf_counter()
    mismatches = rollups.verify()
    stats["verify"] = {"mismatches": len(mismatches), "s": round(time.perf_counter() - t, 2)}
    if mismatches:
        print(json.dumps(stats))
        sys.exit("rollups verify failed: " + repr(mismatches[:5]))
print(json.dumps(stats))
"""


def run(n: int, env: dict, verify: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n),
                          "verify" if verify else "-"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--pg-database", default="kokemus_bench")
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict = {"sqlite": {}, "postgresql": {}}
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if not args.skip_sqlite:
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                result["sqlite"][n] = run(n, base | {"KOKEMUS_VAR_DIR": tmp},
                                          not args.no_verify)
                print(json.dumps({"sqlite": {n: result["sqlite"][n]}}), file=sys.stderr)
    if not args.skip_pg:
        server = os.environ.get("KOKEMUS_TEST_DATABASE_URL",
                                "postgres://postgres@127.0.0.1:5432/test")
        name = args.pg_database
        scratch = urlunparse(urlparse(server)._replace(path="/" + name))
        for n in sizes:
            psql(server, f"DROP DATABASE IF EXISTS {name}")
            psql(server, f"CREATE DATABASE {name}")
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    result["postgresql"][n] = run(n, base | {"KOKEMUS_VAR_DIR": tmp,
                                                             "DATABASE_URL": scratch},
                                                  not args.no_verify)
            finally:
                psql(server, f"DROP DATABASE IF EXISTS {name}")
            print(json.dumps({"postgresql": {n: result["postgresql"][n]}}), file=sys.stderr)
    for engine, runs in list(result.items()):
        if runs and 10_000_000 not in runs:
            biggest = max(runs)
            result[f"{engine}_extrapolated_10M_s"] = round(
                runs[biggest]["wall_s"] * 10_000_000 / biggest, 1)
        if runs and 10_000_000 in runs:
            result[f"{engine}_10M_within_10_min"] = runs[10_000_000]["wall_s"] <= 600
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
