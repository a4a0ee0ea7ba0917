"""SQLite with 4 server workers under concurrent writes: no "database is locked" (no 5xx)
reaches a user, and every accepted response is stored exactly once. Prints JSON.

Run: .venv/bin/python bench/sqlite_concurrency.py [--seconds 20] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest_load as il  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    var = Path(f"/tmp/kokemus-sqlite-{uuid.uuid4().hex[:6]}")
    var.mkdir()
    db = var / "kokemus.sqlite3"
    env = il.server_env(f"sqlite:///{db}", str(var),
                        {"DJANGO_SETTINGS_MODULE": "fault_settings",
                         "PYTHONPATH": str(il.ROOT / "bench")})
    env.pop("DATABASE_URL")
    try:
        code = il.prepare(env)
        port = il.free_port()
        proc = il.start_kokemus(env, port, args.workers)
        try:
            stats = asyncio.run(il.drive(port, f"/r/{code}/", args.seconds, args.connections))
        finally:
            il.stop(proc)
            log = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM responses_response").fetchone()[0]
        fivexx = sum(v for k, v in stats.status.items() if k >= 500)
        result = {"bench": "sqlite_concurrency", "workers": args.workers,
                  **stats.summary(args.seconds), "http_5xx": fivexx,
                  "database_is_locked_in_log": log.count("database is locked"),
                  "stored": stored, "stored_equals_accepted": stored == len(stats.accepted)}
    finally:
        subprocess.run(["rm", "-rf", str(var)])
    print(json.dumps(result, indent=2))
    return 0 if result["http_5xx"] == 0 and result["stored_equals_accepted"] else 1


if __name__ == "__main__":
    sys.exit(main())
