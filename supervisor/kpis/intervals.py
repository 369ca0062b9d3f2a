"""Interval boundaries: 15 min, 30 min, 1 h or 1 day, aligned to the centre's local clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from supervisor.kpis.model import KpiRangeError

INTERVALS: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
"""The interval names the API accepts."""


def check_range(start: datetime, end: datetime) -> None:
    """Raise KpiRangeError unless both are aware and ``end`` is after ``start``."""
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise KpiRangeError(f"{name} must be timezone-aware")
    if end <= start:
        raise KpiRangeError("end must be after start")


def origin(start: datetime, step: timedelta, zone: ZoneInfo) -> datetime:
    """The interval boundary at or before ``start``: local midnight for a day, else the local clock
    rounded down to a multiple of ``step`` since local midnight."""
    local = start.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if step >= timedelta(days=1):
        return midnight
    since = local - midnight
    return midnight + step * int(since / step)


def boundaries(start: datetime, end: datetime, step: timedelta, zone: ZoneInfo) -> list[datetime]:
    """Interval starts from ``origin(start)`` to before ``end``, every ``step`` (China keeps no
    daylight saving, so a local day is always 24 h)."""
    first = origin(start, step, zone)
    count = -(-(end - first) // step)
    return [first + step * i for i in range(count)]


def interval_count(start: datetime, end: datetime, step: timedelta, zone: ZoneInfo) -> int:
    """How many intervals ``boundaries`` would give, without building them."""
    return int(-(-(end - origin(start, step, zone)) // step))
