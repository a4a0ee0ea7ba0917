"""Reports benchmark: PDF render time and export throughput; prints JSON.

Builds a temporary SQLite database with N synthetic responses (default 50,000) written with
``kokemus.demo.bulk.BulkWriter`` (responses, answers and their rollups): 4 regions × 4 sites,
three journeys applied to every site, NPS/CSAT/FFT/expectations/smiley answers and a free-text
comment on every fifth response, spread over the last 150 days. Then

* renders the organisation-level report (root unit) for the last complete month to PDF
  (WeasyPrint + vl-convert charts), three times, and reports the median and the page count;
* streams the ``responses`` and ``answers`` exports through the same row generators and
  writers the views use (CSV, XLSX write-only, Parquet), reporting rows/s.

Run: .venv/bin/python bench/report_bench.py [N]
"""

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

TMP = tempfile.mkdtemp(prefix="kokemus-report-bench-")
os.environ["KOKEMUS_VAR_DIR"] = TMP
os.environ["KOKEMUS_TESTING"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def build(n: int, seed: int = 7):
    from tests.analytics.helpers import make_survey

    from kokemus.accounts import actions
    from kokemus.accounts.audit import SYSTEM, Actor
    from kokemus.accounts.models import Sector, Unit
    from kokemus.analytics.models import NO_VALUE, RESPONSE_KEY
    from kokemus.demo.bulk import BulkWriter, sqlite_fast_writes
    from kokemus.journeys.models import Journey, Stage, Touchpoint
    from kokemus.surveys import actions as survey_actions

    rng = np.random.default_rng(seed)
    admin = actions.do_create_user(SYSTEM, email="bench@example.com", password="x" * 20,
                                   validate=False)
    org = actions.do_create_organisation(Actor(user=admin), name="Bench Apteekit",
                                         slug="bench", sector=Sector.PHARMACY)
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    sites = []
    for r in range(4):
        region = actions.do_create_unit(SYSTEM, org, name=f"Alue {r + 1}", parent=root,
                                        kind="region")
        for s in range(4):
            sites.append(actions.do_create_unit(SYSTEM, org, name=f"Apteekki {r + 1}.{s + 1}",
                                                parent=region))
    tps = []
    for j in range(3):
        journey = Journey.objects.create(organisation=org, name={"fi": f"Polku {j + 1}"})
        journey.units.set([root])
        for st in range(3):
            stage = Stage.objects.create(organisation=org, journey=journey, key=f"s{st}",
                                         position=st, name={"fi": f"Vaihe {st + 1}"})
            for t in range(2):
                tps.append(Touchpoint.objects.create(
                    organisation=org, journey=journey, stage=stage, key=f"t{st}{t}",
                    position=t, name={"fi": f"Kohta {j + 1}.{st + 1}.{t + 1}"}))
    version = make_survey(org)
    cps = []
    for site in sites:
        for tp in rng.choice(tps, size=4, replace=False):
            cp = survey_actions.do_create_collection_point(SYSTEM, version.survey, unit=site,
                                                           touchpoint=tp)
            cps.append({"organisation_id": org.pk, "unit_id": site.pk,
                        "touchpoint_id": tp.pk, "survey_version_id": version.pk,
                        "collection_point_id": cp.pk, "channel": "qr"})
    questions = [(RESPONSE_KEY, RESPONSE_KEY), ("nps", "nps"), ("csat", "csat"),
                 ("fft", "fft"), ("expectations", "expectations"), ("smiley", "smiley"),
                 ("comment", "free_text")]
    zone = ZoneInfo("Europe/Helsinki")
    today = datetime.now(zone).date()
    days = [today - timedelta(days=i) for i in range(150, 0, -1)]
    writer = BulkWriter(cps, questions, [""], days)
    ranges = {1: (0, 11), 2: (1, 6), 3: (1, 6), 4: (1, 6), 5: (1, 5)}
    texts = ["Ystävällinen palvelu ja nopea apu", "Jono oli pitkä, odotin 20 minuuttia",
             "Soita minulle 040 123 4567, hetu 131052-308T", "Hyvä neuvonta lääkkeistä"]
    batch = 10_000
    with sqlite_fast_writes():
        for offset in range(0, n, batch):
            m = min(batch, n - offset)
            first = writer.reserve_response_ids(m)
            day = rng.integers(0, len(days), m)
            noon = np.array([int(datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
                                 .timestamp() * 1e6) for d in days], dtype=np.int64)
            sub = noon[day] + rng.integers(-3 * 3600, 6 * 3600, m) * 1_000_000
            r = {"id": np.arange(first, first + m, dtype=np.int64),
                 "cp": rng.integers(0, len(cps), m), "lang": rng.integers(0, 3, m),
                 "day": day, "submitted_us": sub, "received_us": sub,
                 "consent": np.zeros(m, dtype=bool), "contact": [""] * m,
                 "consent_wording": ["{}"] * m}
            resp, q, value = [], [], []
            for qi, (lo, hi) in ranges.items():
                resp.append(np.arange(m))
                q.append(np.full(m, qi))
                value.append(rng.integers(lo, hi, m))
            commented = np.flatnonzero(rng.random(m) < 0.2)
            resp.append(commented)
            q.append(np.full(len(commented), 6))
            value.append(np.full(len(commented), NO_VALUE))
            a = {"resp": np.concatenate(resp), "q": np.concatenate(q),
                 "value": np.concatenate(value)}
            a["choice"] = np.zeros(len(a["resp"]), dtype=np.int64)
            base = len(a["resp"]) - len(commented)
            a["text"] = {base + i: texts[i % len(texts)] for i in range(len(commented))}
            writer.write_batch(r, a)
        writer.write_rollups()
    return org, root, writer.responses, writer.answers


def main(n: int) -> dict:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    org, root, responses, answers = build(n)
    build_s = time.perf_counter() - t0

    from kokemus.accounts.models import Unit
    from kokemus.analytics.queries import Filters
    from kokemus.reports import exports, periods
    from kokemus.reports.report import local_today, render

    start, end = periods.previous_month(local_today(root))
    render(org, root, start, end)  # warm-up (templates, fonts, the chart engine)
    times, pages, size = [], 0, 0
    for _ in range(3):
        t = time.perf_counter()
        rep = render(org, root, start, end)
        times.append(time.perf_counter() - t)
        pages = pdf_pages(rep.pdf)
        size = len(rep.pdf)
    units = list(Unit.objects.filter(organisation=org).order_by("path"))
    today = local_today(root)
    f = Filters(org=org, unit=root, units=units, start=today - timedelta(days=200), end=today,
                period="custom", org_unit_count=len(units))
    out = {}
    for dataset in ("responses", "answers"):
        ds = exports.DATASETS[dataset]
        for fmt in ("csv", "xlsx", "parquet"):
            rows = exports.rows_for(dataset, f, "fi")
            t = time.perf_counter()
            if fmt == "csv":
                nbytes, box = 0, [0]
                for chunk in exports.csv_chunks(ds, count_rows(rows, box)):
                    nbytes += len(chunk.encode())
                count = box[0]
            else:
                box = [0]
                fh = exports.to_tempfile(fmt, ds, count_rows(rows, box))
                fh.seek(0, 2)
                nbytes = fh.tell()
                fh.close()
                count = box[0]
            s = time.perf_counter() - t
            out[f"{dataset}_{fmt}"] = {"rows": count, "seconds": round(s, 2),
                                       "rows_per_s": round(count / s), "bytes": nbytes}
    return {
        "benchmark": "reports", "python": platform.python_version(),
        "database": "sqlite (temporary file)", "responses": responses, "answers": answers,
        "build_seconds": round(build_s, 1),
        "report": {"unit": root.name, "period": f"{start}..{end}", "pages": pages,
                   "bytes": size, "render_seconds_median": round(statistics.median(times), 2),
                   "render_seconds": [round(x, 2) for x in times],
                   "target_seconds": 5.0,
                   "seconds_per_10_pages": round(statistics.median(times) * 10 / max(pages, 1),
                                                 2)},
        "exports": out,
    }


def pdf_pages(pdf: bytes) -> int:
    import re
    import subprocess

    path = Path(TMP) / "report.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info).group(1))


def count_rows(rows, box):
    for r in rows:
        box[0] += 1
        yield r


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000), indent=2))
