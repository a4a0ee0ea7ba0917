"""PostgreSQL restarted during load: clients get 503 + Retry-After (not 500), the service
recovers by itself, and after retries with the same idempotency keys the stored count equals
the accepted count exactly. Prints JSON.

Run (as root, PostgreSQL 15 cluster "main"):
    .venv/bin/python bench/fault_pg_restart.py [--seconds 30] [--restart-at 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest_load as il  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--restart-at", type=float, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--cluster", default="15 main")
    ap.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    var = f"/tmp/kokemus-fault-{uuid.uuid4().hex[:6]}"
    dbname, db_url = il.scratch_db(args.admin_url, "kokemus_fault")
    result = {"bench": "fault_pg_restart", "seconds": args.seconds}
    try:
        env = il.server_env(db_url, var, {"DJANGO_SETTINGS_MODULE": "fault_settings",
                                          "PYTHONPATH": str(il.ROOT / "bench"),
                                          "CONN_MAX_AGE": "60"})
        code = il.prepare(env)
        port = il.free_port()
        proc = il.start_kokemus(env, port, 2)
        restart = {}

        def restarter():
            time.sleep(args.restart_at)
            t0 = time.time()
            out = subprocess.run(["pg_ctlcluster", *args.cluster.split(), "restart"],
                                 capture_output=True, text=True)
            restart.update({"rc": out.returncode, "seconds": round(time.time() - t0, 2),
                            "stderr": out.stderr.strip()[:200]})

        th = threading.Thread(target=restarter)
        th.start()
        try:
            stats = asyncio.run(il.drive(port, f"/r/{code}/", args.seconds, args.connections,
                                         retry=True))
        finally:
            th.join()
        # recovery: the same server answers normally afterwards
        after = asyncio.run(il.drive(port, f"/r/{code}/", 3, 2, retry=True))
        il.stop(proc)
        stored = il.count_rows(args.admin_url, dbname,
                               "SELECT count(*) FROM responses_response")
        accepted = len(stats.accepted) + len(after.accepted)
        result.update({
            "restart": restart, "during": stats.summary(args.seconds),
            "after_restart": after.summary(3),
            "http_500": stats.status.get(500, 0) + after.status.get(500, 0),
            "http_503": stats.status.get(503, 0),
            "503_without_retry_after": stats.retry_after_missing,
            "recovered": after.status.get(302, 0) > 0 and not after.errors,
            "stored": stored, "accepted": accepted, "stored_equals_accepted": stored == accepted,
        })
    finally:
        il.drop_db(args.admin_url, dbname)
        subprocess.run(["rm", "-rf", var])
    print(json.dumps(result, indent=2))
    ok = result.get("stored_equals_accepted") and result.get("http_500") == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
