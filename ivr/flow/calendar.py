"""The official Chinese working-day calendar: weekends off, public holidays off, make-up days (调休) on.

Data comes from the yearly State Council notice (国务院办公厅关于 N 年部分节假日安排的通知), kept in a
YAML file so a new year is an edit, not a release. A year the file does not cover falls back to the
plain weekend rule; ``covers(year)`` tells which years are known. A year is ``confirmed`` (its notice
is published and copied) or ``expected`` (the statutory days with the usual bridging and 调休 pattern,
until the notice is out); ``year_plan(year).status`` says which.

A centre edits a year at run time (``tickets.calendar_store``): ``with_plans`` builds a calendar with
those years replaced, and ``adopt`` swaps a calendar's contents in place, so every holder of the
shared ``default_calendar()`` (IVR time conditions, deadlines, the checker) sees the edit at once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ivr.flow.errors import FlowError

DEFAULT_CALENDAR_PATH = Path(__file__).resolve().parent.parent / "flows" / "holidays_cn.yaml"


class YearStatus(StrEnum):
    """Whether a year's arrangement is the published notice or the expected pattern."""

    CONFIRMED = "confirmed"
    EXPECTED = "expected"


class HolidayPlan(BaseModel):
    """One holiday: every day from ``start`` to ``end`` off, each of ``workdays`` (a weekend day) on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=32)
    start: date
    end: date
    workdays: list[date] = Field(default_factory=list, max_length=8)
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _check(self) -> HolidayPlan:
        if self.end < self.start:
            raise ValueError(f"{self.name}: end {self.end} is before start {self.start}")
        if (self.end - self.start).days > 15:
            raise ValueError(f"{self.name}: a holiday of more than 16 days")
        for day in self.workdays:
            if day.weekday() < 5:
                raise ValueError(f"{self.name}: make-up working day {day} is not a Saturday or Sunday")
        return self


class YearPlan(BaseModel):
    """One year's arrangement, as the notice gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: YearStatus = YearStatus.CONFIRMED
    notice: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=300)
    published: date | None = None
    holidays: list[HolidayPlan] = Field(max_length=20)

    def check_year(self, year: int) -> YearPlan:
        """This plan, if every day it names lies in ``year`` or next to it (a make-up day may be in
        the neighbouring year); else ``ValueError``."""
        for hol in self.holidays:
            days = [hol.start, hol.end, *hol.workdays]
            if any(abs(d.year - year) > 1 for d in days) or all(d.year != year for d in days):
                raise ValueError(f"{hol.name}: its days are not in {year}")
        return self


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "holiday_calendar"
    country: str = "CN"
    years: dict[int, YearPlan]


@dataclass(frozen=True, slots=True)
class _Days:
    holidays: dict[date, str]
    workdays: dict[date, str]
    plans: dict[int, YearPlan]
    years: frozenset[int]


def _days(plans: Mapping[int, YearPlan]) -> tuple[dict[date, str], dict[date, str]]:
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for plan in plans.values():
        for hol in plan.holidays:
            day = hol.start
            while day <= hol.end:
                holidays[day] = hol.name
                day += timedelta(days=1)
            workdays.update({d: hol.name for d in hol.workdays})
    return holidays, workdays


class ChineseCalendar:
    """Answers "is this an official working day?" for the years it has data for."""

    def __init__(
        self,
        *,
        holidays: Mapping[date, str] | None = None,
        workdays: Mapping[date, str] | None = None,
        years: frozenset[int] = frozenset(),
        plans: Mapping[int, YearPlan] | None = None,
    ) -> None:
        holidays_, workdays_ = dict(holidays or {}), dict(workdays or {})
        clash = sorted(set(holidays_) & set(workdays_))
        if clash:
            raise FlowError("calendar_conflict", f"{clash[0]} is both a holiday and a working day")
        plans_ = dict(plans or {})
        self._state = _Days(holidays_, workdays_, plans_, years | frozenset(plans_))

    @classmethod
    def from_plans(cls, plans: Mapping[int, YearPlan]) -> ChineseCalendar:
        """A calendar of exactly these years."""
        holidays, workdays = _days(plans)
        return cls(holidays=holidays, workdays=workdays, plans=plans)

    @classmethod
    def from_yaml(cls, path: Path | str) -> ChineseCalendar:
        """Load the calendar from a YAML file such as ``ivr/flows/holidays_cn.yaml``."""
        return cls.from_text(Path(path).read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def from_text(cls, text: str, *, source: str = "<text>") -> ChineseCalendar:
        """Parse calendar YAML text."""
        try:
            raw: Any = yaml.safe_load(text)
            parsed = _CalendarFile.model_validate(raw)
        except yaml.YAMLError as exc:
            raise FlowError("calendar_parse_error", f"{source}: {exc}", {"source": source}) from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            msg = f"{source}: {loc}: {first['msg']}"
            raise FlowError("calendar_invalid", msg, {"source": source, "loc": loc}) from exc
        return cls.from_plans(parsed.years)

    def with_plans(self, plans: Mapping[int, YearPlan]) -> ChineseCalendar:
        """A new calendar: this one's years with ``plans`` replacing (or adding) whole years."""
        return ChineseCalendar.from_plans(self._state.plans | dict(plans))

    def adopt(self, other: ChineseCalendar) -> None:
        """Take ``other``'s days in place (one reference swap, safe for concurrent readers)."""
        self._state = other._state

    def covers(self, year: int) -> bool:
        """Whether the arrangement for ``year`` is known (confirmed or expected)."""
        return year in self._state.years

    def years(self) -> list[int]:
        """The years with an arrangement, ascending."""
        return sorted(self._state.years)

    def year_plan(self, year: int) -> YearPlan | None:
        """The arrangement of ``year`` as loaded or edited, if any."""
        return self._state.plans.get(year)

    def days(self) -> tuple[dict[date, str], dict[date, str]]:
        """Every holiday and every make-up working day this calendar knows, by date (with names)."""
        state = self._state
        return dict(sorted(state.holidays.items())), dict(sorted(state.workdays.items()))

    def holiday_name(self, day: date) -> str | None:
        """The public holiday ``day`` belongs to, if any."""
        return self._state.holidays.get(day)

    def is_makeup_workday(self, day: date) -> bool:
        """Whether ``day`` is a weekend day made a working day (调休上班)."""
        return day in self._state.workdays

    def is_working_day(self, day: date) -> bool:
        """Weekends off except make-up working days; public holidays off."""
        state = self._state
        if day in state.workdays:
            return True
        if day in state.holidays:
            return False
        return day.weekday() < 5


@functools.lru_cache(maxsize=1)
def shipped_calendar() -> ChineseCalendar:
    """The calendar of ``ivr/flows/holidays_cn.yaml`` exactly as shipped (never edited in place)."""
    return ChineseCalendar.from_yaml(DEFAULT_CALENDAR_PATH)


@functools.lru_cache(maxsize=1)
def default_calendar() -> ChineseCalendar:
    """The centre's live calendar: the shipped file, with edits applied in place by
    ``tickets.calendar_store`` (one shared instance per process)."""
    live = ChineseCalendar()
    live.adopt(shipped_calendar())
    return live
