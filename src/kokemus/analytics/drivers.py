"""Key drivers of NPS from respondent-level answers (the one dashboard that reads raw data).

Sample: the latest ``SAMPLE_CAP`` responses in the filter that answered NPS; predictors are
the service-behaviour questions (1–5). Importance: shares of R² by
:func:`kokemus.metrics.drivers.relative_importance`; performance: top-2-box share by
:func:`kokemus.metrics.scores.top_box`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from kokemus.analytics.queries import POLICY, Filters
from kokemus.metrics import scores
from kokemus.metrics.drivers import relative_importance
from kokemus.responses.models import Answer, Response

SAMPLE_CAP = 20_000
MIN_RESPONSES = 30
MAX_DRIVERS = 12


def compute(f: Filters, cap: int = SAMPLE_CAP) -> dict:
    start, end = f.aware_range()
    responses = Response.objects.filter(organisation_id=f.org.pk, unit_id__in=f.unit_ids,
                                        submitted_at__gte=start, submitted_at__lt=end,
                                        answers__question_type="nps").filter(f.response_q())
    ids = responses.order_by("-submitted_at").values("id")[:cap]
    rows = list(Answer.objects.filter(response_id__in=ids,
                                      question_type__in=("nps", "behaviour"),
                                      value__isnull=False)
                .values_list("response_id", "question_key", "question_type", "value"))
    if not rows:
        return {"n": 0}
    frame = pd.DataFrame(rows, columns=["response", "key", "type", "value"])
    frame.loc[frame["type"] == "nps", "key"] = "__nps__"
    wide = frame.pivot_table(index="response", columns="key", values="value", aggfunc="first")
    if "__nps__" not in wide:
        return {"n": 0}
    y = wide.pop("__nps__")
    keep = [c for c in wide.columns if wide[c].notna().sum() >= MIN_RESPONSES][:MAX_DRIVERS]
    wide = wide[keep]
    complete = wide.notna().all(axis=1) & y.notna()
    n = int(complete.sum())
    if not keep or n < max(MIN_RESPONSES, len(keep) + 2) or POLICY.is_suppressed(n):
        return {"n": n, "too_few": True}
    X, y = wide[complete].astype(float), y[complete].astype(float)
    if (X.std() == 0).any() or y.std() == 0:
        return {"n": n, "no_variance": True}
    shares = relative_importance(X, y, method="lmg" if len(keep) <= 12 else "johnson")
    drivers = []
    for key in keep:
        counts = np.bincount(X[key].astype(int).clip(1, 5) - 1, minlength=5)
        perf = scores.top_box(counts, boxes=2)
        drivers.append({"key": key, "label": key.replace("_", " ").capitalize(),
                        "importance": round(float(shares[key]) * 100, 1),
                        "performance": round(float(perf.value) * 100, 1)})
    mean_imp = float(np.mean([d["importance"] for d in drivers]))
    mean_perf = float(np.mean([d["performance"] for d in drivers]))
    for d in drivers:
        fix = d["importance"] >= mean_imp and d["performance"] < mean_perf
        d["fix_first"] = _("Fix first") if fix else _("Other")
        d["is_fix_first"] = fix
    drivers.sort(key=lambda d: -d["importance"])
    return {"n": n, "r2": round(float(shares.attrs["r2"]), 3), "drivers": drivers,
            "mean_importance": round(mean_imp, 1), "mean_performance": round(mean_perf, 1),
            "capped": n >= cap}
