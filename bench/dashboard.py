"""Dashboard benchmark: overview server time on N synthetic responses; prints JSON.

The responses are written straight into the rollup table (DailyCount rows, exactly what
``rollups.keys_for`` would produce for them: one response row plus NPS, CSAT, FFT,
expectations and smiley answers), spread over 2 years, 60 sites in 6 regions, 6 touchpoints,
4 channels and 3 languages. Raw Response/Answer rows are not generated (the overview reads
only rollups). Then 30 GETs of the overview (default filter: last 90 days, whole
organisation) and 30 with a 365-day filter, via Django's test Client, on SQLite in a
temporary directory.

Run: .venv/bin/python bench/dashboard.py [N]   (default N = 200000)
"""

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np

TMP = tempfile.mkdtemp(prefix="kokemus-dash-bench-")
os.environ["KOKEMUS_VAR_DIR"] = TMP
os.environ["KOKEMUS_TESTING"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

REQUESTS = 30


def build(n: int, seed: int = 1) -> dict:
    from kokemus.accounts import actions
    from kokemus.accounts.audit import SYSTEM, Actor
    from kokemus.accounts.models import Sector, Unit, UnitKind
    from kokemus.analytics.models import NO_VALUE, RESPONSE_KEY, DailyCount
    from kokemus.analytics.queries import local_today
    from kokemus.journeys.models import Journey, Stage, Touchpoint

    admin = actions.do_create_user(SYSTEM, email="bench@example.com", password="x" * 20,
                                   validate=False)
    org = actions.do_create_organisation(Actor(user=admin), name="Bench", slug="bench",
                                         sector=Sector.PHARMACY)
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    sites = []
    for r in range(6):
        region = actions.do_create_unit(SYSTEM, org, name=f"Alue {r}", parent=root,
                                        kind=UnitKind.REGION)
        for s in range(10):
            sites.append(actions.do_create_unit(SYSTEM, org, name=f"Apteekki {r}-{s}",
                                                parent=region))
    journey = Journey.objects.create(organisation=org, name={"fi": "Käynti"})
    stage = Stage.objects.create(organisation=org, journey=journey, key="s", name={"fi": "S"})
    tps = [Touchpoint.objects.create(organisation=org, journey=journey, stage=stage,
                                     key=f"t{i}", name={"fi": f"T{i}"}, position=i)
           for i in range(6)]

    rng = np.random.default_rng(seed)
    today = local_today(org)
    day = rng.integers(0, 730, n)
    unit = rng.integers(0, len(sites), n)
    tp = rng.integers(0, len(tps), n)
    channel = rng.choice(["qr", "link", "kiosk", "invitation"], n)
    language = rng.choice(["fi", "sv", "en"], n, p=[0.8, 0.1, 0.1])
    answers = {
        "nps": rng.choice(11, n, p=[.02, .02, .02, .03, .03, .05, .08, .12, .18, .2, .25]),
        "csat": rng.choice([1, 2, 3, 4, 5], n, p=[.04, .06, .15, .35, .4]),
        "fft": rng.choice([1, 2, 3, 4, 5, 6], n, p=[.5, .3, .08, .05, .04, .03]),
        "expectations": rng.choice([1, 2, 3, 4, 5], n, p=[.05, .1, .45, .25, .15]),
        "smiley": rng.choice([1, 2, 3, 4], n, p=[.05, .1, .35, .5]),
    }
    counts: Counter = Counter()
    base = list(zip(unit.tolist(), tp.tolist(), channel.tolist(), language.tolist(),
                    day.tolist(), strict=True))
    for i, (u, t, c, lang, d) in enumerate(base):
        key = (sites[u].pk, tps[t].pk, c, lang, d)
        counts[(*key, RESPONSE_KEY, RESPONSE_KEY, NO_VALUE)] += 1
        for qt, values in answers.items():
            counts[(*key, qt, qt, int(values[i]))] += 1
    days = [today - timedelta(days=int(d)) for d in range(730)]
    t0 = time.perf_counter()
    DailyCount.objects.bulk_create(
        [DailyCount(organisation_id=org.pk, unit_id=u, touchpoint_id=t, channel=c, language=lg,
                    day=days[d], question_key=qk, question_type=qt, value=v, count=cnt)
         for (u, t, c, lg, d, qk, qt, v), cnt in counts.items()], batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"admin": admin, "org": org, "rows": len(counts),
            "insert_s": round(time.perf_counter() - t0, 2)}


def timed(client, url, params) -> dict:
    times = []
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "max_ms": round(times[-1], 1)}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    call_command("migrate", verbosity=0)
    built = build(n)
    client = Client()
    client.force_login(built["admin"])
    url = f"/o/{built['org'].slug}/dashboards/"
    client.get(url)  # warm-up (template loading, static manifest)
    result = {
        "benchmark": "dashboard_overview",
        "responses": n,
        "rollup_rows": built["rows"],
        "rollup_insert_s": built["insert_s"],
        "requests": REQUESTS,
        "overview_90d": timed(client, url, {}),
        "overview_365d": timed(client, url, {"period": "365"}),
        "database": "sqlite (temp dir)",
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
