"""Builders for goals tests: rollups written directly (fast and exact)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from kokemus.analytics.models import RESPONSE_KEY
from kokemus.analytics.rollups import upsert_counts
from kokemus.goals import series as S


def month_start(today: date, back: int) -> date:
    return S.add_months(today.replace(day=1), -back)


def put(org, unit, day: date, qtype: str, counts: dict[int, int], touchpoint_id: int = 0,
        key: str | None = None) -> None:
    """Add counts to both rollup tables (as ingestion would)."""
    base = (org.pk, unit.pk, touchpoint_id, "qr", "fi")
    rows = Counter({(*base, key or qtype, qtype, day, value, ""): n
                    for value, n in counts.items() if n})
    rows[(*base, RESPONSE_KEY, RESPONSE_KEY, day, -1,
          qtype + key if key else qtype)] += sum(counts.values())
    upsert_counts(rows)


def share_counts(pct: float, n: int = 100, top: int = 5, low: int = 2) -> dict[int, int]:
    k = round(pct * n / 100)
    return {top: k, low: n - k}


def nps_counts(promoters: int, detractors: int, n: int) -> dict[int, int]:
    return {10: promoters, 5: detractors, 8: n - promoters - detractors}


def monthly_shares(org, unit, today: date, shares: list[float], qtype: str = "csat",
                   n: int = 100, touchpoint_id: int = 0) -> None:
    """One day per month (the 10th), oldest first, ending last month."""
    k = len(shares)
    for i, pct in enumerate(shares):
        day = month_start(today, k - i).replace(day=10)
        put(org, unit, day, qtype, share_counts(pct, n), touchpoint_id)
