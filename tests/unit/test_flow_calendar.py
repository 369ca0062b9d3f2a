"""The official working-day calendar: holidays off, make-up days on, weekends off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ivr.flow import ChineseCalendar, FlowError, default_calendar


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2026, 10, 1), False, "National Day, a Thursday"),
        (date(2026, 2, 17), False, "Spring Festival, a Tuesday"),
        (date(2025, 10, 8), False, "National Day / Mid-Autumn 2025, a Wednesday"),
        (date(2026, 10, 10), True, "make-up working day, a Saturday"),
        (date(2026, 1, 4), True, "make-up working day, a Sunday"),
        (date(2025, 4, 27), True, "make-up working day, a Sunday"),
        (date(2026, 11, 14), False, "a normal Saturday"),
        (date(2026, 11, 15), False, "a normal Sunday"),
        (date(2026, 11, 16), True, "a normal Monday"),
        (date(2028, 3, 4), False, "a Saturday in a year the file does not cover"),
    ],
)
def test_given_official_arrangement_when_asked_then_working_day(day: date, working: bool, why: str) -> None:
    assert default_calendar().is_working_day(day) is working, why


def test_holiday_names_and_coverage() -> None:
    cal = default_calendar()
    assert cal.holiday_name(date(2026, 2, 15)) == "春节"
    assert cal.holiday_name(date(2026, 10, 10)) is None
    assert cal.is_makeup_workday(date(2026, 2, 28))
    assert (cal.covers(2025), cal.covers(2026), cal.covers(2028)) == (True, True, False)


def test_given_a_weekday_as_makeup_day_when_loaded_then_rejected(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(
        "years:\n  2026:\n    holidays:\n"
        "      - {name: 元旦, start: 2026-01-01, end: 2026-01-03, workdays: [2026-01-05]}\n",
        encoding="utf-8",
    )
    with pytest.raises(FlowError) as info:
        ChineseCalendar.from_yaml(path)
    assert info.value.error_id == "calendar_invalid"
    assert "2026-01-05 is not a Saturday or Sunday" in info.value.message


def test_given_a_day_both_off_and_on_when_built_then_rejected() -> None:
    with pytest.raises(FlowError) as info:
        ChineseCalendar(holidays={date(2026, 1, 4): "x"}, workdays={date(2026, 1, 4): "x"})
    assert info.value.error_id == "calendar_conflict"
