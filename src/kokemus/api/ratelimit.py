"""Per-token rate limits in Django's cache.

* requests: ``KOKEMUS_API_REQUESTS_PER_MINUTE`` (600) per token per fixed minute window;
* batch items: a token bucket refilled at ``KOKEMUS_API_BATCH_ITEMS_PER_SECOND`` (100/s)
  holding at most ``KOKEMUS_API_BATCH_BURST`` (1,000) items, so one full batch is accepted
  at once and then about 100 items a second.

With several server processes the cache must be shared (database or Redis cache).
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from kokemus.api.errors import ApiError


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def check_request(token_id: int) -> None:
    limit = int(_setting("KOKEMUS_API_REQUESTS_PER_MINUTE", 600))
    now = time.time()
    window = int(now // 60)
    key = f"kokemus:api:rl:{token_id}:{window}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=120)
            count = 1
    if count > limit:
        retry = max(1, math.ceil((window + 1) * 60 - now))
        raise ApiError(429, "rate_limited",
                       f"Too many requests: at most {limit} per minute per token.",
                       {"limit_per_minute": limit, "retry_after": retry},
                       headers={"Retry-After": str(retry)})


def take_batch_items(token_id: int, items: int) -> None:
    rate = float(_setting("KOKEMUS_API_BATCH_ITEMS_PER_SECOND", 100))
    burst = float(_setting("KOKEMUS_API_BATCH_BURST", 1000))
    key = f"kokemus:api:items:{token_id}"
    now = time.time()
    level, stamp = cache.get(key, (burst, now))
    level = min(burst, level + (now - stamp) * rate)
    if items > level:
        retry = max(1, math.ceil((items - level) / rate))
        raise ApiError(429, "rate_limited",
                       f"Too many batch items: at most {rate:g} items per second per token.",
                       {"items_per_second": rate, "retry_after": retry},
                       headers={"Retry-After": str(retry)})
    cache.set(key, (level - items, now), timeout=int(burst / rate) + 60)
