"""Import throughput and peak memory on a temporary SQLite database.

    .venv/bin/python bench/import_bench.py [N] [--rows N] [--batch-size 500]

Prints JSON: rows, seconds, rows_per_s, peak_rss_mb (resource.getrusage ru_maxrss), ok, bad.
Default N = 200,000; the issue's target is --rows 1000000 (≤ 300 MB RSS).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=None)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    n = args.rows or args.n or 200_000

    tmp = Path(tempfile.mkdtemp(prefix="kokemus-import-bench-"))
    os.environ["KOKEMUS_VAR_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kokemus.settings"
    os.environ["KOKEMUS_TESTING"] = "1"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kokemus.accounts import actions as acc
    from kokemus.accounts.audit import SYSTEM
    from kokemus.accounts.models import Unit
    from kokemus.imports.actions import do_create_job, do_set_mapping, run_job
    from kokemus.surveys.actions import do_create_survey_from_template

    org = acc.do_create_organisation(SYSTEM, name="Bench", slug="bench")
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    units = [acc.do_create_unit(SYSTEM, org, name=f"Site {i}", parent=root) for i in range(5)]
    survey = do_create_survey_from_template(SYSTEM, org, "fft_why")
    labels = ["Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know",
              "Erittäin hyvä", "Mycket bra"]
    path = tmp / "responses.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "unit", "date", "lang", "fft", "comment"])
        for i in range(n):
            w.writerow([f"b{i}", units[i % 5].name,
                        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {8 + i % 10:02d}:{i % 60:02d}",
                        ["fi", "sv", "en"][i % 3],
                        "Superb" if i % 100 == 7 else labels[i % len(labels)],
                        "" if i % 5 else f"comment {i}"])
    job = do_create_job(SYSTEM, org, source=path, copy=False)
    do_set_mapping(SYSTEM, job, {"survey": survey.pk, "columns": {
        "id": "external_id", "unit": "unit", "date": "time", "lang": "language",
        "fft": "q:fft", "comment": "q:why"}})
    started = time.monotonic()
    job = run_job(job, actor=SYSTEM, batch_size=args.batch_size)
    seconds = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": n, "seconds": round(seconds, 1),
                      "rows_per_s": round(n / seconds, 1),
                      "peak_rss_mb": round(peak_kb / 1024, 1), "ok": job.rows_ok,
                      "bad": job.rows_bad, "status": job.status,
                      "file_mb": round(path.stat().st_size / 2**20, 1)}))


if __name__ == "__main__":
    main()
