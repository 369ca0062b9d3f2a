"""The official Chinese working-day calendar: weekends off, public holidays off, make-up days (调休) on.

Data comes from the yearly State Council notice (国务院办公厅关于 N 年部分节假日安排的通知), kept in a
YAML file so a new year is an edit, not a release. A year the file does not cover falls back to the
plain weekend rule; ``covers(year)`` tells which years are known.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ivr.flow.errors import FlowError

DEFAULT_CALENDAR_PATH = Path(__file__).resolve().parent.parent / "flows" / "holidays_cn.yaml"


class _Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    start: date
    end: date
    workdays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> _Holiday:
        if self.end < self.start:
            raise ValueError(f"{self.name}: end {self.end} is before start {self.start}")
        for day in self.workdays:
            if day.weekday() < 5:
                raise ValueError(f"{self.name}: make-up working day {day} is not a Saturday or Sunday")
        return self


class _Year(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice: str = ""
    url: str = ""
    published: date | None = None
    holidays: list[_Holiday]


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "holiday_calendar"
    country: str = "CN"
    years: dict[int, _Year]


class ChineseCalendar:
    """Answers "is this an official working day?" for the years it has data for."""

    def __init__(
        self,
        *,
        holidays: Mapping[date, str] | None = None,
        workdays: Mapping[date, str] | None = None,
        years: frozenset[int] = frozenset(),
    ) -> None:
        self._holidays = dict(holidays or {})
        self._workdays = dict(workdays or {})
        clash = sorted(set(self._holidays) & set(self._workdays))
        if clash:
            raise FlowError("calendar_conflict", f"{clash[0]} is both a holiday and a working day")
        self._years = years

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
        holidays: dict[date, str] = {}
        workdays: dict[date, str] = {}
        for year in parsed.years.values():
            for hol in year.holidays:
                day = hol.start
                while day <= hol.end:
                    holidays[day] = hol.name
                    day += timedelta(days=1)
                workdays.update({d: hol.name for d in hol.workdays})
        return cls(holidays=holidays, workdays=workdays, years=frozenset(parsed.years))

    def covers(self, year: int) -> bool:
        """Whether the official arrangement for ``year`` is known."""
        return year in self._years

    def holiday_name(self, day: date) -> str | None:
        """The public holiday ``day`` belongs to, if any."""
        return self._holidays.get(day)

    def is_makeup_workday(self, day: date) -> bool:
        """Whether ``day`` is a weekend day made a working day (调休上班)."""
        return day in self._workdays

    def is_working_day(self, day: date) -> bool:
        """Weekends off except make-up working days; public holidays off."""
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5


@functools.lru_cache(maxsize=1)
def default_calendar() -> ChineseCalendar:
    """The calendar shipped in ``ivr/flows/holidays_cn.yaml``."""
    return ChineseCalendar.from_yaml(DEFAULT_CALENDAR_PATH)
