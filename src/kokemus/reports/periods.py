"""Report periods: calendar months and ISO weeks (Monday–Sunday), in the unit's local time."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.utils.formats import date_format

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(first: date) -> tuple[date, date]:
    first = first.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def parse_month(value: str) -> tuple[date, date]:
    """``"YYYY-MM"`` → (first day, last day); ValueError for anything else."""
    m = MONTH_RE.match(value or "")
    if not m:
        raise ValueError("expected YYYY-MM")
    year, month = int(m.group(1)), int(m.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError("month out of range")
    return month_bounds(date(year, month, 1))


def previous_month(today: date) -> tuple[date, date]:
    return month_bounds(today.replace(day=1) - timedelta(days=1))


def previous_week(today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
    return monday, monday + timedelta(days=6)


def last_complete(frequency: str, today: date) -> tuple[date, date]:
    return previous_week(today) if frequency == "weekly" else previous_month(today)


def label(start: date, end: date) -> str:
    """Human label in the active language: "March 2025" for a calendar month, else the
    date range."""
    if start.day == 1 and month_bounds(start)[1] == end:
        return date_format(start, "YEAR_MONTH_FORMAT")
    return f"{date_format(start, 'SHORT_DATE_FORMAT')}–{date_format(end, 'SHORT_DATE_FORMAT')}"


def month_key(start: date) -> str:
    return f"{start:%Y-%m}"
