"""Benchmark of the public response path; prints JSON.

- page weight of /r/<code>/: bytes of HTML + CSS + JS, raw and gzip (first load, no images)
- submit throughput: do_submit_response calls per second on SQLite in a temporary database

Run: .venv/bin/python bench/respond_bench.py
"""

import gzip
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

TMP = tempfile.mkdtemp(prefix="kokemus-bench-")
os.environ["KOKEMUS_VAR_DIR"] = TMP
os.environ["KOKEMUS_TESTING"] = "1"  # unmanifested static files: served by finders
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402


def main():
    call_command("migrate", verbosity=0)
    from kokemus.accounts import actions as account_actions
    from kokemus.accounts.audit import SYSTEM
    from kokemus.accounts.models import Unit
    from kokemus.responses.actions import do_submit_response
    from kokemus.surveys import actions

    org = account_actions.do_create_organisation(SYSTEM, name="Bench Apteekki", slug="bench")
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    site = account_actions.do_create_unit(SYSTEM, org, name="Kamppi", parent=root)
    survey = actions.do_create_survey_from_template(SYSTEM, org, "nps_why_consent",
                                                    units=[site])
    cp = survey.collection_points.get()

    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    page = client.get(f"/r/{cp.code}/")
    html = page.content
    import re

    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    parts = {"html": html}
    for asset in assets:
        resp = client.get(asset.decode())
        parts[asset.decode().rsplit("/", 1)[-1]] = b"".join(resp.streaming_content) \
            if resp.streaming else resp.content
    raw = {k: len(v) for k, v in parts.items()}
    gz = {k: len(gzip.compress(v, 9)) for k, v in parts.items()}

    n = 500
    answers = [{"nps": i % 11, "improve" if i % 11 <= 6 else "liked": "Palvelu oli hyvää " * 3,
                "contact": "no"} for i in range(n)]
    start = time.perf_counter()
    for i in range(n):
        do_submit_response(collection_point=cp, answers=answers[i], language="fi",
                           channel="qr", idempotency_key=f"bench-{i}")
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(n):  # repeated keys: the idempotent fast path
        do_submit_response(collection_point=cp, answers=answers[i], language="fi",
                           channel="qr", idempotency_key=f"bench-{i}")
    repeat_elapsed = time.perf_counter() - start

    print(json.dumps({
        "python": platform.python_version(),
        "page_weight": {"files_raw_bytes": raw, "files_gzip_bytes": gz,
                        "total_raw_bytes": sum(raw.values()),
                        "total_gzip_bytes": sum(gz.values()), "budget_bytes": 60 * 1024},
        "submit": {"calls": n, "seconds": round(elapsed, 3),
                   "calls_per_second": round(n / elapsed, 1),
                   "repeat_key_calls_per_second": round(n / repeat_elapsed, 1),
                   "database": "sqlite (temporary file)"},
    }, indent=2))


if __name__ == "__main__":
    import shutil

    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
