"""Emerging topics of an organisation or unit: words used in more of the last 30 days'
comments than in the year before (kokemus.text.emerging does the statistics)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta

from django.core.cache import cache

from kokemus.text import RisingTerm, comment_terms, rising_terms

WINDOW_DAYS = 30
BASELINE_DAYS = 365
#: At most this many of the latest comments of each period are read (a cache miss reads
#: and lemmatises them: about 0.1 ms each); the rates stay per comment, so a large
#: organisation's baseline is its latest comments rather than its whole year.
MAX_WINDOW, MAX_BASELINE = 3_000, 9_000
SHOWN = 10
CACHE_SECONDS = 15 * 60
#: Results from at least this many comments are cached (for ``CACHE_SECONDS``).
CACHE_FROM = 500


def emerging_for(f) -> list[RisingTerm]:
    """Rising terms of the dashboard filters ``f`` (units, touchpoint, channel, language):
    the 30 days up to the end of its period against the 365 days before them. Only the
    redacted comment text is read, so no name or number can surface as a topic."""
    _start, end = f.aware_range()
    key = "emerging:" + hashlib.sha256(repr((
        f.org.pk, sorted(f.unit_ids), f.touchpoint_id, f.channel, f.language,
        end.isoformat())).encode()).hexdigest()[:32]
    found = cache.get(key)
    if found is None:
        found, read = _compute(f, end)
        if read >= CACHE_FROM:  # a few hundred comments are read faster than cached
            cache.set(key, found, CACHE_SECONDS)
    return found


def _compute(f, end) -> tuple[list[RisingTerm], int]:
    from kokemus.comments.models import PENDING, CommentAnalysis

    window_start = end - timedelta(days=WINDOW_DAYS)
    baseline_start = window_start - timedelta(days=BASELINE_DAYS)
    qs = (CommentAnalysis.objects.filter(organisation_id=f.org.pk,
                                         answer__response__unit_id__in=f.unit_ids)
          .filter(f.response_q("answer__response__"))
          .exclude(sentiment=PENDING).exclude(redacted=""))
    counts: list[Counter[str]] = []
    sizes: list[int] = []
    for start, stop, limit in ((window_start, end, MAX_WINDOW),
                               (baseline_start, window_start, MAX_BASELINE)):
        rows = (qs.filter(answer__response__submitted_at__gte=start,
                          answer__response__submitted_at__lt=stop)
                .order_by("-answer__response__submitted_at", "-answer_id")
                .values_list("language", "redacted")[:limit])
        counter: Counter[str] = Counter()
        n = 0
        for language, text in rows:
            counter.update(comment_terms(text, language or None))
            n += 1
        counts.append(counter)
        sizes.append(n)
    return rising_terms(counts[0], sizes[0], counts[1], sizes[1])[:SHOWN], sum(sizes)
