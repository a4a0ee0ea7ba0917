"""Time `kokemus generate` on SQLite (temp DB) and PostgreSQL (scratch database
kokemus_bench on KOKEMUS_TEST_DATABASE_URL's server); print JSON.

Usage: .venv/bin/python bench/generate_bench.py [--sizes 100000,1000000] [--skip-pg]
Each size runs in a fresh database (migrate + demo organisations, then generate).
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
print(json.dumps(stats))
"""


def run(n: int, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict = {"sqlite": {}, "postgresql": {}}
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if not args.skip_sqlite:
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                result["sqlite"][n] = run(n, base | {"KOKEMUS_VAR_DIR": tmp})
                print(json.dumps({"sqlite": {n: result["sqlite"][n]}}), file=sys.stderr)
    if not args.skip_pg:
        server = os.environ.get("KOKEMUS_TEST_DATABASE_URL",
                                "postgres://postgres@127.0.0.1:5432/test")
        scratch = urlunparse(urlparse(server)._replace(path="/kokemus_bench"))
        for n in sizes:
            psql(server, "DROP DATABASE IF EXISTS kokemus_bench")
            psql(server, "CREATE DATABASE kokemus_bench")
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    result["postgresql"][n] = run(n, base | {"KOKEMUS_VAR_DIR": tmp,
                                                             "DATABASE_URL": scratch})
            finally:
                psql(server, "DROP DATABASE IF EXISTS kokemus_bench")
    for engine, runs in list(result.items()):
        if runs:
            biggest = max(runs)
            result[f"{engine}_extrapolated_10M_s"] = round(
                runs[biggest]["wall_s"] * 10_000_000 / biggest, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
