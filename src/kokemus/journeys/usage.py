"""Which touchpoints are in use (e.g. have responses), without journeys importing those apps.

Another app registers a check in its ``AppConfig.ready()``::

    from kokemus.journeys.usage import register_usage_check
    register_usage_check(lambda ids: set(Response.objects.filter(touchpoint_id__in=ids)
                                         .values_list("touchpoint_id", flat=True)))

A touchpoint that any check reports as used is archived instead of deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

UsageCheck = Callable[[list[int]], Iterable[int]]
_CHECKS: list[UsageCheck] = []


def register_usage_check(check: UsageCheck) -> None:
    if check not in _CHECKS:
        _CHECKS.append(check)


def unregister_usage_check(check: UsageCheck) -> None:
    if check in _CHECKS:
        _CHECKS.remove(check)


def touchpoints_in_use(touchpoint_ids: Iterable[int]) -> set[int]:
    """The ids among ``touchpoint_ids`` that some registered check says are in use."""
    ids = list(touchpoint_ids)
    used: set[int] = set()
    if not ids:
        return used
    for check in list(_CHECKS):
        used.update(int(i) for i in (check(ids) or ()))
    return used & set(ids)
