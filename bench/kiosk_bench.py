"""Benchmark of the kiosk sync endpoint and the QR poster; prints JSON timings.

Uses a temporary SQLite database (migrated from scratch) and Django's test client.
Run: PYTHONPATH=src python bench/kiosk_bench.py
"""

import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

TMP = tempfile.TemporaryDirectory(prefix="kiosk-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{Path(TMP.name) / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from kokemus.accounts import actions as account_actions  # noqa: E402
from kokemus.accounts.audit import SYSTEM  # noqa: E402
from kokemus.accounts.models import Unit  # noqa: E402
from kokemus.kiosk.actions import do_register_kiosk  # noqa: E402
from kokemus.surveys import actions as survey_actions  # noqa: E402
from kokemus.surveys.posters import render_poster  # noqa: E402
from kokemus.surveys.questions import new_question  # noqa: E402

BATCH = 200
REPEATS = 3


def best_of(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def setup():
    call_command("migrate", verbosity=0)
    org = account_actions.do_create_organisation(SYSTEM, name="Bench Apteekki", slug="bench")
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    unit = account_actions.do_create_unit(SYSTEM, org, name="Kamppi", parent=root)
    smiley = survey_actions.do_create_survey(
        SYSTEM, org, name={"fi": "Hymiöt"}, publish=True,
        questions=[new_question("smiley", "smiley", required=True)])
    cp = survey_actions.do_create_collection_point(SYSTEM, smiley, unit=unit, channel="kiosk")
    device, token = do_register_kiosk(SYSTEM, org, unit=unit, name="Bench",
                                      collection_point=cp)
    device.created_at = timezone.now() - timedelta(days=1)
    device.save(update_fields=["created_at"])
    return cp, token


def batch():
    now = timezone.now()
    return json.dumps({"responses": [
        {"idempotency_key": str(uuid.uuid4()),
         "submitted_at": (now - timedelta(seconds=i)).isoformat(), "language": "fi",
         "answers": {"smiley": i % 4 + 1}} for i in range(BATCH)]})


def main():
    cp, token = setup()
    client = Client()
    url = f"/kiosk/{token}/sync"
    bodies = [batch() for _ in range(REPEATS)]
    new_times, dup_times = [], []
    for body in bodies:
        start = time.perf_counter()
        resp = client.post(url, body, content_type="application/json")
        new_times.append(time.perf_counter() - start)
        assert resp.status_code == 200 and resp.json()["created"] == BATCH, resp.content[:200]
        start = time.perf_counter()
        resp = client.post(url, body, content_type="application/json")
        dup_times.append(time.perf_counter() - start)
        assert resp.json()["created"] == 0
    render_poster(cp, "a4")  # warm up fonts
    a4 = best_of(lambda: render_poster(cp, "a4"))
    a5 = best_of(lambda: render_poster(cp, "a5"))
    print(json.dumps({
        "python": platform.python_version(),
        "database": "sqlite (temporary file)",
        "sync_batch_items": BATCH,
        "sync_new_batch_seconds": round(min(new_times), 4),
        "sync_new_items_per_second": round(BATCH / min(new_times), 1),
        "sync_duplicate_batch_seconds": round(min(dup_times), 4),
        "sync_duplicate_items_per_second": round(BATCH / min(dup_times), 1),
        "poster_a4_render_seconds": round(a4, 4),
        "poster_a5_render_seconds": round(a5, 4),
        "poster_a4_bytes": len(render_poster(cp, "a4")),
    }, indent=2))


if __name__ == "__main__":
    try:
        main()
    finally:
        TMP.cleanup()
