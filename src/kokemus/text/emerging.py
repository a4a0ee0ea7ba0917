"""Emerging topics: lemmas whose share of comments rises in the recent window.

Each candidate term gets a 2×2 contingency table (term / other, window / baseline) and
Dunning's log-likelihood ratio G². G² is asymptotically χ² with one degree of freedom, which
gives a p-value; because hundreds of terms are tested at once, p-values are adjusted with
Benjamini–Hochberg and only terms with q ≤ ``alpha`` that also meet the minimum count are
reported. Run it per unit or per organisation by passing that unit's comments.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from ._data import load_json
from .langid import detect_language
from .normalise import lemmas as _lemmas


@dataclass(frozen=True)
class RisingTerm:
    """A term that is significantly more frequent in the window than in the baseline."""

    term: str
    window_count: int
    baseline_count: int
    window_rate: float
    baseline_rate: float
    ratio: float
    g2: float
    p_value: float
    q_value: float


def _xlogx_ratio(observed: float, expected: float) -> float:
    return observed * math.log(observed / expected) if observed > 0 else 0.0


def g_squared(a: int, n1: int, b: int, n2: int) -> float:
    """Log-likelihood ratio G² for ``a`` of ``n1`` (window) against ``b`` of ``n2`` (baseline)."""
    total = n1 + n2
    k = a + b
    if total == 0 or k == 0 or k == total:
        return 0.0
    cells = ((a, n1, k), (b, n2, k), (n1 - a, n1, total - k), (n2 - b, n2, total - k))
    g = sum(_xlogx_ratio(o, row * col / total) for o, row, col in cells)
    return max(0.0, 2.0 * g)


def _chi2_sf_1df(x: float) -> float:
    # Survival function of χ²(1): P(X > x) = erfc(sqrt(x / 2)).
    return math.erfc(math.sqrt(x / 2.0)) if x > 0 else 1.0


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q


def rising_terms(
    window_counts: Mapping[str, int],
    window_total: int,
    baseline_counts: Mapping[str, int],
    baseline_total: int,
    *,
    min_count: int = 5,
    min_ratio: float = 1.5,
    alpha: float = 0.05,
) -> list[RisingTerm]:
    """Terms whose rate rises significantly from the baseline to the window.

    Counts are per term (typically the number of comments mentioning a lemma) and totals are
    the number of comments (or tokens) in each period. A term is reported when it occurs at
    least ``min_count`` times in the window, its smoothed rate ratio is at least ``min_ratio``,
    and its Benjamini–Hochberg q-value (one-sided, across all terms meeting ``min_count``) is
    at most ``alpha``. Results are sorted by G², largest first.
    """
    if window_total <= 0:
        return []
    n2 = max(baseline_total, 0)
    candidates: list[tuple[str, int, int, float, float, float, float, float]] = []
    for term, a in window_counts.items():
        if a < min_count:
            continue
        b = int(baseline_counts.get(term, 0))
        rate1 = a / window_total
        rate2 = b / n2 if n2 else 0.0
        # Add-half smoothing keeps the ratio finite for terms absent from the baseline.
        ratio = ((a + 0.5) / (window_total + 1)) / ((b + 0.5) / (n2 + 1))
        g2 = g_squared(a, window_total, b, n2)
        rising = rate1 > rate2
        # One-sided test: only increases are interesting, so halve the two-sided p-value.
        p = _chi2_sf_1df(g2) / 2.0 if rising else 1.0
        candidates.append((term, a, b, rate1, rate2, ratio, g2 if rising else 0.0, p))
    if not candidates:
        return []
    qs = benjamini_hochberg([c[-1] for c in candidates])
    out = [
        RisingTerm(term, a, b, round(r1, 6), round(r2, 6), round(ratio, 3), round(g2, 3), p, q)
        for (term, a, b, r1, r2, ratio, g2, p), q in zip(candidates, qs, strict=True)
        if q <= alpha and ratio >= min_ratio
    ]
    out.sort(key=lambda t: (-t.g2, t.term))
    return out


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    data = load_json("stopwords.json")
    return frozenset(w for lang in ("fi", "sv", "en") for w in data[lang])


#: Redaction's replacement tokens ([NAME], [PHONE], ...) are not words of the comment.
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


def comment_terms(text: str, language: str | None = None) -> set[str]:
    """The terms a comment counts once each: lemmas of three letters or more that are not
    function words (nor redaction placeholders). ``language`` is identified when omitted."""
    text = _PLACEHOLDER.sub(" ", text)
    lang = language or detect_language(text)[0]
    stop = _stopwords()
    return {t for t in _lemmas(text, lang) if len(t) >= 3 and t.isalpha() and t not in stop}


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def emerging_topics(
    items: Iterable[tuple[date | datetime, str | Sequence[str]]],
    as_of: date | datetime | None = None,
    *,
    window_days: int = 30,
    baseline_days: int | None = 365,
    language: str | None = None,
    min_count: int = 5,
    min_ratio: float = 1.5,
    alpha: float = 0.05,
) -> list[RisingTerm]:
    """Emerging lemmas from dated comments (``(date, text)`` or ``(date, lemmas)`` pairs).

    The window is the ``window_days`` days up to and including ``as_of`` (default: the latest
    date); the baseline is the ``baseline_days`` before it (``None`` = all earlier comments).
    Each comment counts a lemma once, so one long rant cannot create a topic. Function words
    and tokens shorter than three letters are ignored.
    """
    rows = [(_as_date(d), content) for d, content in items]
    if not rows:
        return []
    end = _as_date(as_of) if as_of is not None else max(d for d, _ in rows)
    window_start = end - timedelta(days=window_days - 1)
    baseline_start = (window_start - timedelta(days=baseline_days)
                      if baseline_days is not None else date.min)
    window: Counter[str] = Counter()
    baseline: Counter[str] = Counter()
    n_window = n_baseline = 0
    for day, content in rows:
        if day > end or day < baseline_start:
            continue
        if isinstance(content, str):
            unique = comment_terms(content, language)
        else:
            stop = _stopwords()
            unique = {t for t in (w.lower() for w in content)
                      if len(t) >= 3 and t.isalpha() and t not in stop}
        if day >= window_start:
            window.update(unique)
            n_window += 1
        else:
            baseline.update(unique)
            n_baseline += 1
    return rising_terms(window, n_window, baseline, n_baseline,
                        min_count=min_count, min_ratio=min_ratio, alpha=alpha)
