"""Report periods: local (Asia/Shanghai) days, Monday-based weeks and calendar months, cut at now;
dates before 2000 or after today refused; the agents' total row worked out from the sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.reports import LOCAL, Period, Window, agent_total, period_bounds, report_window

NOW = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)  # 11:30 in Beijing, a Sunday


def test_given_a_day_then_the_window_runs_from_local_midnight_to_local_midnight() -> None:
    window = report_window(Period.DAY, date(2026, 12, 1), NOW)
    assert window.start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert window.interval == timedelta(hours=1)


def test_given_a_sunday_then_its_week_starts_on_the_monday_before() -> None:
    assert period_bounds(Period.WEEK, date(2026, 12, 6)) == (date(2026, 11, 30), date(2026, 12, 7))
    assert period_bounds(Period.WEEK, date(2026, 11, 30)) == (date(2026, 11, 30), date(2026, 12, 7))


def test_given_december_then_the_month_ends_on_the_first_of_january() -> None:
    assert period_bounds(Period.MONTH, date(2025, 12, 31)) == (date(2025, 12, 1), date(2026, 1, 1))
    assert period_bounds(Period.MONTH, date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 3, 1))


def test_given_today_then_the_window_stops_at_now_and_breaks_down_by_day_for_a_month() -> None:
    window = report_window(Period.MONTH, date(2026, 12, 6), NOW)
    assert window.start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert window.end == NOW
    assert window.interval == timedelta(days=1)
    assert window.day == date(2026, 12, 1)


@pytest.mark.parametrize("day", [date(2026, 12, 7), date(1999, 12, 31)])
def test_given_a_date_after_today_or_before_2000_then_it_is_refused(day: date) -> None:
    with pytest.raises(ValueError, match="between"):
        report_window(Period.DAY, day, NOW)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 12, 6)), st.sampled_from(list(Period)))
def test_every_period_holds_its_day_and_starts_at_local_midnight(day: date, period: Period) -> None:
    window = report_window(period, day, NOW)
    local_start = window.start.astimezone(LOCAL)
    assert (local_start.hour, local_start.minute) == (0, 0)
    assert local_start.date() <= day
    assert window.start < window.end <= NOW
    if period is Period.WEEK:
        assert local_start.weekday() == 0
    if period is Period.MONTH:
        assert local_start.day == 1


def _window() -> Window:
    return report_window(Period.DAY, date(2026, 12, 1), NOW)


def _agent(
    agent_id: str, answered: int, talk: float, wrap: float, signed: float, pause: dict[str, float]
) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "answered": answered,
        "talk_s": talk,
        "wrap_s": wrap,
        "signed_in_s": signed,
        "pause_s": pause,
        "transfers": 1,
        "three_way": 2,
    }


def test_given_two_agents_then_the_total_sums_and_derives_aht_and_occupancy_from_the_sums() -> None:
    rows = [
        _agent("a1", 10, 1000.0, 200.0, 3600.0, {"小休": 600.0}),
        _agent("a2", 5, 500.0, 100.0, 1800.0, {"小休": 300.0, "就餐": 900.0}),
    ]
    total = agent_total(rows, _window())
    assert total["answered"] == 15
    assert total["aht_s"] == pytest.approx(1800.0 / 15)
    assert total["pause_s"] == {"就餐": 900.0, "小休": 900.0}
    assert total["occupancy"] == pytest.approx(1800.0 / (5400.0 - 1800.0))
    assert (total["transfers"], total["three_way"]) == (2, 4)


def test_given_no_agents_then_the_total_has_no_rates() -> None:
    total = agent_total([], _window())
    assert total["answered"] == 0
    assert total["aht_s"] is None
    assert total["occupancy"] is None
