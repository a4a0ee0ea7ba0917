"""Reports benchmark: render time of a 10-page unit report and export throughput; prints JSON.

Builds a temporary SQLite database with N synthetic responses (default 40,000, about 208,000
answers) written with ``kokemus.demo.bulk.BulkWriter`` (responses, answers and rollups):
a root, region "Alue 1" with 16 sites and "Alue 2" with 4, three journeys of four stages ×
two touchpoints applied to every site (16 collection points per site), NPS/CSAT/FFT/
expectations/smiley answers and a comment on every fifth response over the last 150 days.
For the last complete month it adds what fills a real monthly report of "Alue 1": the
service promise, goals, analysed comments (themes, praise naming staff), 90 follow-up
cases, 8 improvement actions and a perception-gap round. Then

* renders the region's monthly report to PDF (WeasyPrint + vl-convert charts) ``runs``
  times after a warm-up and reports the page count (pdfinfo), median and p95, the number
  of queries and the phases (queries + template, charts, WeasyPrint);
* downloads the ``responses`` and ``answers`` exports of the whole organisation (last 200
  days) as CSV, XLSX and Parquet through the HTTP export view as an administrator,
  reporting rows/s and the growth of the process's peak RSS.

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
    sites, regions = [], []
    for r, size in enumerate((16, 4)):
        region = actions.do_create_unit(SYSTEM, org, name=f"Alue {r + 1}", parent=root,
                                        kind="region")
        regions.append(region)
        for s in range(size):
            sites.append(actions.do_create_unit(SYSTEM, org, name=f"Apteekki {r + 1}.{s + 1}",
                                                parent=region))
    tps = []
    for j, journey_name in enumerate(JOURNEYS):
        journey = Journey.objects.create(organisation=org, name={"fi": journey_name})
        journey.units.set([root])
        for st, (stage_name, tp_names) in enumerate(STAGES[j]):
            stage = Stage.objects.create(organisation=org, journey=journey, key=f"s{st}",
                                         position=st, name={"fi": stage_name})
            for t, tp_name in enumerate(tp_names):
                tps.append(Touchpoint.objects.create(
                    organisation=org, journey=journey, stage=stage, key=f"t{st}{t}",
                    position=t, name={"fi": tp_name}))
    version = make_survey(org)
    cps = []
    for site in sites:
        for tp in rng.choice(tps, size=16, replace=False):
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
    texts = COMMENTS
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
    enrich(org, root, regions[0], tps, rng)
    return org, regions[0], writer.responses, writer.answers


JOURNEYS = ["Asiointi apteekissa", "Reseptilääkkeen nouto", "Verkkoapteekin tilaus"]
STAGES = [
    [("Saapuminen", ["Sisäänkäynti", "Jonotus"]),
     ("Neuvonta", ["Farmaseutin neuvonta", "Itsehoitotuotteet"]),
     ("Maksaminen", ["Kassa", "Kanta-asiakasetu"]),
     ("Lähtö", ["Hyvästely", "Jälkiyhteydenotto"])],
    [("Resepti", ["Reseptin haku", "Reseptin uusinta"]),
     ("Lääke", ["Lääkevaihto", "Saatavuus"]),
     ("Opastus", ["Annostus", "Yhteisvaikutukset"]),
     ("Nouto", ["Noutolokero", "Maksu"])],
    [("Tilaus", ["Verkkokauppa", "Tuotehaku"]),
     ("Toimitus", ["Toimitusaika", "Pakkaus"]),
     ("Tuki", ["Chat", "Puhelinpalvelu"]),
     ("Palautus", ["Palautusohje", "Hyvitys"])],
]
STAFF = ["Maija", "Liisa", "Pekka", "Anna", "Jussi", "Sanna"]
COMMENTS = [
    "Ystävällinen palvelu ja nopea apu",
    "Jono oli pitkä, odotin 20 minuuttia kassalle",
    "Soita minulle 040 123 4567, hetu 131052-308T, palvelu oli hidas",
    "Farmaseutti neuvoi lääkkeen käytössä erinomaisesti ja kertoi yhteisvaikutuksista",
    "Hinnat ovat liian korkeita verrattuna verkkokauppaan",
    "Parkkipaikkoja ei ollut, ja sisäänkäynti oli hankala rollaattorin kanssa",
    "Tuotetta ei ollut varastossa, jouduin tulemaan uudestaan seuraavana päivänä",
    "Henkilökunta oli kiireinen eikä tervehtinyt, tunsin itseni näkymättömäksi",
    "Siisti ja valoisa apteekki, asiointi oli mukavaa",
    "Verkkokaupan toimitus kesti viikon eikä seurantakoodi toiminut",
    "Maija oli todella ystävällinen ja neuvoi hyvin, kiitos!",
    "Kiitos Pekka, sain erinomaista palvelua ja hyvät ohjeet annostukseen",
]


def enrich(org, root, region, tps, rng) -> None:
    """What makes a full monthly report for ``region``: a service promise, goals, analysed
    comments with themes and praise, follow-up cases, improvement actions and a
    perception-gap round (all in the last complete month)."""
    from kokemus.accounts import actions as accounts
    from kokemus.accounts.audit import SYSTEM, Actor
    from kokemus.accounts.models import Membership, Role, Unit
    from kokemus.comments.analysis import analyse_answer_ids
    from kokemus.goals import actions as goals
    from kokemus.improvement import actions as improvement
    from kokemus.improvement.models import (
        CaseReason,
        CaseStatus,
        FollowUpCase,
        Praise,
        TargetMetric,
    )
    from kokemus.reports import periods
    from kokemus.reports.report import local_today
    from kokemus.responses.models import Answer

    start, end = periods.previous_month(local_today(region))
    zone = ZoneInfo("Europe/Helsinki")
    sites = list(Unit.objects.filter(parent=region).order_by("path"))
    admin = Membership.objects.get(organisation=org, role=Role.ADMIN).user
    goals.do_write_promise(Actor(user=admin), org, promise={
        "fi": "Jokainen asiakas lähtee apteekista tietäen, miten hänen lääkkeensä toimii.",
        "sv": "Varje kund vet hur läkemedlet fungerar.", "en": "Every customer knows."})
    for metric, target in (("nps", 20.0), ("csat", 45.0), ("fft", 45.0),
                           ("expectations", 40.0)):
        goals.do_create_goal(Actor(user=admin), org, aim=f"{metric} goal", metric=metric,
                             scope="organisation", target=target)
    staff = []
    for i, name in enumerate(STAFF):
        user = accounts.do_create_user(SYSTEM, email=f"staff{i}@example.com", password=None,
                                       full_name=f"{name} Virtanen", validate=False)
        staff.append(accounts.do_add_member(SYSTEM, org, user=user, role=Role.STAFF,
                                            unit=sites[i % len(sites)]))
    from kokemus.comments.ingest import forget_org_context
    forget_org_context()
    # Analyse the region's comments of the report month (capped: the analysis is slow).
    comments = list(Answer.objects.filter(
        organisation=org, question_type="free_text", response__unit__in=sites,
        response__submitted_at__gte=datetime.combine(start, time_min(), zone),
        response__submitted_at__lt=datetime.combine(end + timedelta(days=1), time_min(),
                                                    zone))
        .order_by("-response__submitted_at").values_list("pk", "text", "response__unit_id")
        [:600])
    analyse_answer_ids([pk for pk, _t, _u in comments])
    by_site = {m.unit_id: m for m in staff}
    Praise.objects.bulk_create([
        Praise(organisation=org, unit_id=unit_id, answer_id=pk,
               membership=by_site.get(unit_id, staff[0]))
        for pk, text, unit_id in comments if text.startswith(("Maija", "Kiitos Pekka"))])
    now = datetime.combine(end, time_min(), zone)
    reasons, statuses = list(CaseReason.values), list(CaseStatus.values)
    FollowUpCase.objects.bulk_create([
        FollowUpCase(organisation=org, unit=sites[i % len(sites)],
                     reason=reasons[i % len(reasons)], score=int(rng.integers(0, 7)),
                     status=statuses[i % len(statuses)],
                     due_date=start + timedelta(days=int(rng.integers(0, 40))),
                     created_at=now - timedelta(days=int(rng.integers(0, 28))),
                     closed_at=(now - timedelta(days=int(rng.integers(0, 5)))
                                if statuses[i % len(statuses)] in ("resolved",
                                                                   "could_not_reach")
                                else None))
        for i in range(90)])
    titles = ["Jonotusnumeron näyttö ulko-ovelle", "Henkilökohtaisen huomion valmennus",
              "Reseptien uusimisesta muistutus tekstiviestillä",
              "Iltavuoroon kolmas farmaseutti maanantaisin", "Tervehdi jokaista asiakasta",
              "Verkkokaupan toimitusaikojen seuranta", "Yhteisvaikutusten tarkistuslista",
              "Sisäänkäynnin esteettömyyden parantaminen"]
    metrics = list(TargetMetric.values)
    for i, title in enumerate(titles):
        improvement.do_create_action(
            Actor(user=admin), org, title=title,
            units=[region] if i % 3 == 0 else sites[i % len(sites):i % len(sites) + 2],
            start_date=start - timedelta(days=10 * i), target_metric=metrics[i % len(metrics)],
            expected_effect=5.0, owner=admin)
    rnd = goals.do_open_round(Actor(user=admin), org, title="Syksyn ennusteet", unit=region,
                              period_start=start, period_end=end, touchpoints=tps[:8])
    for m in staff:
        goals.do_save_predictions(Actor(user=m.user), rnd, user=m.user, force=True, values={
            t.pk: (float(rng.integers(40, 90)), float(rng.integers(20, 70)))
            for t in tps[:8]})


def time_min():
    from datetime import time

    return time.min


def main(n: int, runs: int = 5) -> dict:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    org, unit, responses, answers = build(n)
    build_s = time.perf_counter() - t0

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kokemus.reports import charts, periods
    from kokemus.reports.report import local_today, render

    start, end = periods.previous_month(local_today(unit))
    render(org, unit, start, end)  # warm-up (templates, fonts, the chart engine)
    # Phases: data queries + template (render without PDF) and the charts within it
    # (vl-convert, timed by wrapping charts.to_svg); WeasyPrint layout = total - HTML.
    real_to_svg, chart_s = charts.to_svg, []

    def timed_to_svg(spec):
        t = time.perf_counter()
        try:
            return real_to_svg(spec)
        finally:
            chart_s[-1] += time.perf_counter() - t

    charts.to_svg = timed_to_svg
    totals, cpu, html_s, queries = [], [], [], 0
    try:
        for _ in range(runs):
            chart_s.append(0.0)
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as cq:
                render(org, unit, start, end, pdf=False)
            html_s.append(time.perf_counter() - t)
            queries = len(cq)
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            rep = render(org, unit, start, end)
            totals.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    finally:
        charts.to_svg = real_to_svg
    pages = pdf_pages(rep.pdf)
    med = statistics.median
    report = {"unit": unit.name, "period": f"{start}..{end}", "pages": pages,
              "bytes": len(rep.pdf), "runs": runs,
              "render_seconds_median": round(med(totals), 2),
              "render_seconds_p95": round(p95(totals), 2),
              "render_seconds": [round(x, 2) for x in totals],
              # CPU time of this process: less distorted by other processes on the machine.
              "render_cpu_seconds_median": round(med(cpu), 2),
              "render_cpu_seconds_p95": round(p95(cpu), 2),
              "target_seconds": 5.0, "meets_target": p95(totals) <= 5.0,
              "phases_median_seconds": {
                  "queries_and_template": round(med(html_s) - med(chart_s), 2),
                  "charts_vl_convert": round(med(chart_s), 2),
                  "weasyprint_layout_and_pdf": round(med(totals) - med(html_s), 2)},
              "queries": queries}
    return {
        "benchmark": "reports", "python": platform.python_version(),
        "database": "sqlite (temporary file)", "responses": responses, "answers": answers,
        "build_seconds": round(build_s, 1), "report": report,
        "exports": export_throughput(org),
        "note": "times are wall clock on a shared 2-core machine; compare within one run",
    }


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(0.95 * len(xs) + 0.5) - 1))]


def export_throughput(org) -> dict:
    """Every dataset × format through the HTTP export view (the dashboard's filters: the
    whole organisation, the last 200 days), as an administrator; the body is consumed
    chunk by chunk as a client would. Peak RSS growth shows that memory stays bounded."""
    import resource

    from django.test import Client
    from django.urls import reverse

    from kokemus.accounts.models import Membership, Role, Unit
    from kokemus.reports.report import local_today

    admin = Membership.objects.get(organisation=org, role=Role.ADMIN).user
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    client = Client()
    client.force_login(admin)
    today = local_today(root)
    params = {"period": "custom", "start": (today - timedelta(days=200)).isoformat(),
              "end": today.isoformat(), "unit": root.pk}
    out = {}
    for dataset in ("responses", "answers"):
        rows = None
        for fmt in ("csv", "xlsx", "parquet"):
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t = time.perf_counter()
            r = client.get(reverse("reports_export", args=[org.slug, dataset, fmt]), params)
            assert r.status_code == 200, r.status_code
            nbytes, lines = 0, 0
            for chunk in (r.streaming_content if r.streaming else [r.content]):
                nbytes += len(chunk)
                if fmt == "csv":
                    lines += chunk.count(b"\r\n")
            if hasattr(r, "close"):
                r.close()
            s = time.perf_counter() - t
            if fmt == "csv":
                rows = lines - 1
            rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            out[f"{dataset}_{fmt}"] = {"rows": rows, "seconds": round(s, 2),
                                       "rows_per_s": round(rows / s), "bytes": nbytes,
                                       "peak_rss_growth_mb": round((rss1 - rss0) / 1024, 1)}
    return out


def pdf_pages(pdf: bytes) -> int:
    import re
    import subprocess

    path = Path(TMP) / "report.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info).group(1))


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40_000), indent=2))
