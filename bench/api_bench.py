"""Batch submission throughput of the REST API: prints JSON with items/s.

Run: .venv/bin/python bench/api_bench.py [--batches 5] [--size 1000]
Uses a throw-away SQLite database under a temporary directory and the in-process client.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="kokemus-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
    os.environ["KOKEMUS_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.KOKEMUS_API_BATCH_BURST = 10**9
    settings.KOKEMUS_API_BATCH_ITEMS_PER_SECOND = 10**9
    settings.KOKEMUS_API_REQUESTS_PER_MINUTE = 10**9
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    try:
        call_command("createcachetable", verbosity=0)
    except Exception:  # noqa: BLE001 - no database cache configured
        pass

    from tests.conftest import build_org, make_user
    from tests.surveys.helpers import make_survey

    from kokemus.accounts.audit import SYSTEM
    from kokemus.api.actions import do_create_token

    tree = build_org(make_user("bench@example.com"), slug="bench")
    survey = make_survey(tree.org)
    _token, raw = do_create_token(SYSTEM, tree.org, name="bench", scope="write")
    client = Client()
    units = [tree.kamppi.pk, tree.kallio.pk, tree.oulu.pk]
    total, elapsed, created = 0, 0.0, 0
    for b in range(args.batches):
        items = [{"unit": units[i % 3], "survey": survey.pk, "language": "fi",
                  "answers": {"nps": i % 11, "csat": 1 + i % 5, "smiley": 1 + i % 4},
                  "idempotency_key": f"b{b}-{i}"} for i in range(args.size)]
        body = json.dumps({"items": items})
        start = time.perf_counter()
        r = client.post("/api/v1/responses/batch", body, content_type="application/json",
                        headers={"Authorization": f"Bearer {raw}"})
        elapsed += time.perf_counter() - start
        assert r.status_code == 200, r.content[:300]
        created += r.json()["created"]
        total += args.size
    print(json.dumps({"benchmark": "api_batch_submit", "database": "sqlite",
                      "batches": args.batches, "batch_size": args.size, "items": total,
                      "created": created, "seconds": round(elapsed, 3),
                      "items_per_second": round(total / elapsed, 1)}))


if __name__ == "__main__":
    main()
