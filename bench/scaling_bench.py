"""Figures for docs/scaling.md; prints JSON.

1. Background workers: two `kokemus worker --batch` processes on one database drain N
   tiny tasks (tests/scaling/tasks_fixture.py); tasks/s and "each exactly once".
   SQLite file always; PostgreSQL (scratch database kokemus_scaling_bench) with --pg-url.
2. Storage model: from bench/generate_bench.py JSON (responses → answers → rollup keys)
   and bench/dashboard.py JSON (rollup rows, overview latency), extrapolated linearly to
   1 billion responses (raw rows) and by units × days × values (rollups).

Run: .venv/bin/python bench/scaling_bench.py [--tasks 500]
     [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
     [--generate-json var/bench/generate.json] [--dashboard-json var/bench/dashboard.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
KOKEMUS = str(ROOT / ".venv" / "bin" / "kokemus")


def env_for(url: str) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=url, KOKEMUS_TESTING="1", CACHE_URL="", LOG_LEVEL="ERROR",
               DJANGO_SETTINGS_MODULE="kokemus.settings",
               KOKEMUS_VAR_DIR=tempfile.mkdtemp(prefix="kokemus-scaling-"),
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    return env


def workers(url: str, tasks: int, n_workers: int = 2) -> dict:
    env = env_for(url)
    subprocess.run([KOKEMUS, "migrate", "django_tasks_database", "-v", "0"], env=env,
                   cwd=ROOT, check=True, capture_output=True)
    check = [sys.executable, "tests/scaling/workers_check.py"]
    subprocess.run([*check, "enqueue", str(tasks)], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    t = time.monotonic()
    procs = [subprocess.Popen([KOKEMUS, "worker", "--batch", "--interval", "0"], env=env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(n_workers)]
    for p in procs:
        p.wait()
    elapsed = time.monotonic() - t
    out = subprocess.run([*check, "count"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"tasks": tasks, "workers": n_workers, "seconds": round(elapsed, 2),
            "tasks_per_s": round(tasks / elapsed, 1),
            "exactly_once": r["runs"] == tasks == r["distinct"], "per_worker": r["per_worker"]}


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


def extrapolate(gen: dict | None, dash: dict | None) -> dict:
    out: dict = {}
    if gen:
        for engine in ("sqlite", "postgresql"):
            for size, s in (gen.get(engine) or {}).items():
                n = s["responses"]
                out[f"{engine}_{size}"] = {
                    "answers_per_response": round(s["answers"] / n, 2),
                    "rollup_keys_per_response": round(s["rollup_keys"] / n, 2),
                    "write_responses_per_s": round(n / s["write_s"]),
                    "rollups_responses_per_s": round(n / s["rollups_s"]),
                    "total_responses_per_s": round(n / s["total_s"]),
                    "hours_for_1e9_single_process": round(1e9 / (n / s["total_s"]) / 3600, 1),
                }
    if dash:
        out["dashboard"] = {k: dash[k] for k in ("responses", "rollup_rows", "overview_90d",
                                                  "overview_365d", "database") if k in dash}
    # Raw rows grow with responses; rollup rows with units × days × (metric values +
    # dimension combinations), so they saturate. Per 1e9 responses:
    per_resp = next((v for v in out.values() if "answers_per_response" in v), None)
    if per_resp:
        out["1e9_responses"] = {
            "answers": round(1e9 * per_resp["answers_per_response"]),
            "raw_gb_at_150_bytes_per_answer_row": round(
                1e9 * per_resp["answers_per_response"] * 150 / 1e9),
            "raw_gb_at_250_bytes_per_response_row": round(1e9 * 250 / 1e9),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=500)
    ap.add_argument("--pg-url", default=os.environ.get("KOKEMUS_TEST_DATABASE_URL", ""))
    ap.add_argument("--generate-json", default=str(ROOT / "var/bench/generate.json"))
    ap.add_argument("--dashboard-json", default=str(ROOT / "var/bench/dashboard.json"))
    args = ap.parse_args()
    result: dict = {"benchmark": "scaling", "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        result["workers_sqlite"] = workers(f"sqlite:///{tmp}/w.sqlite3", args.tasks)
    if args.pg_url:
        u = urlparse(args.pg_url)
        admin = u._replace(path="/postgres").geturl()
        scratch = u._replace(path="/kokemus_scaling_bench").geturl()
        psql(admin, "DROP DATABASE IF EXISTS kokemus_scaling_bench WITH (FORCE)")
        psql(admin, "CREATE DATABASE kokemus_scaling_bench")
        try:
            result["workers_postgresql"] = workers(scratch, args.tasks)
        finally:
            psql(admin, "DROP DATABASE IF EXISTS kokemus_scaling_bench WITH (FORCE)")

    def load(path):
        p = Path(path)
        return json.loads(p.read_text()) if p.exists() else None

    result["storage"] = extrapolate(load(args.generate_json), load(args.dashboard_json))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
