"""Interval boundaries and ranges of the KPI functions (pure)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.kpis import INTERVALS, KpiRangeError
from supervisor.kpis.intervals import boundaries, check_range, interval_count, origin
from supervisor.kpis.model import AgentKpis, QueueKpis, kpis_dict, ratio

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_day_starts_at_beijing_midnight() -> None:
    start = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 04:30 on 2 March in Beijing
    assert origin(start, INTERVALS["1d"], SHANGHAI) == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_quarter_hours_follow_the_local_clock() -> None:
    start = datetime(2026, 3, 2, 2, 7, 30, tzinfo=UTC)
    assert origin(start, INTERVALS["15m"], SHANGHAI) == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert origin(start, INTERVALS["30m"], SHANGHAI) == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_boundaries_cover_the_range() -> None:
    start = datetime(2026, 3, 2, 2, 7, tzinfo=UTC)
    got = boundaries(start, start + timedelta(hours=1), INTERVALS["15m"], SHANGHAI)
    assert got[0] <= start < got[0] + INTERVALS["15m"]
    assert len(got) == 5 == interval_count(start, start + timedelta(hours=1), INTERVALS["15m"], SHANGHAI)


@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=5000),
    name=st.sampled_from(sorted(INTERVALS)),
)
def test_every_instant_of_the_range_is_in_exactly_one_interval(
    start: datetime, minutes: int, name: str
) -> None:
    step = INTERVALS[name]
    end = start + timedelta(minutes=minutes)
    starts = boundaries(start, end, step, SHANGHAI)
    assert starts[0] <= start
    assert starts[-1] < end <= starts[-1] + step
    assert all(b - a == step for a, b in itertools.pairwise(starts))


def test_naive_or_empty_ranges_are_refused() -> None:
    t = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(KpiRangeError, match="timezone-aware"):
        check_range(t.replace(tzinfo=None), t)
    with pytest.raises(KpiRangeError, match="after start"):
        check_range(t, t)


def test_ratios_and_dicts() -> None:
    assert ratio(1, 3) == 0.3333
    assert ratio(0, 0) is None
    t = datetime(2026, 3, 2, tzinfo=UTC)
    q = QueueKpis("general", t, t + timedelta(hours=1), 1, 1, 1, 0, 0, 0, 1.0, 1.0, 0.0, 3.0, 60.0, 0, 0, 0)
    assert kpis_dict(q)["start"] == "2026-03-02T00:00:00+00:00"
    assert kpis_dict(q)["offered"] == 1
    a = AgentKpis("a1", t, t, 0, 0.0, 0.0, None, {"小休": 3.0}, 0.0, None, 0, 0)
    assert kpis_dict(a)["pause_s"] == {"小休": 3.0}
