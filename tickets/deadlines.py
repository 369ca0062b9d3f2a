"""Deadlines of a dispatched order from its urgency, matter and category, on the official calendar.

Which limits apply is decided in this order: an urgency with a class of its own (特急 → critical,
紧急 → urgent); else the class of the matter or of its main department (water, power, gas and
heating are ``urgent``); else the category's class (a suggestion is ``complex``). Limits come from
``tickets/data/time_limits.yaml`` and are counted in hours, calendar days or working days; working
days follow ``ivr.flow.ChineseCalendar`` (public holidays off, 调休 make-up days on) in local time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ivr.flow.calendar import ChineseCalendar, default_calendar
from tickets.errors import CatalogueError, TicketValidationError
from tickets.rows import Deadlines
from tickets.vocab import BEIJING, Category, TimeClass, Urgency

DEFAULT_TIME_LIMITS_PATH = Path(__file__).resolve().parent / "data" / "time_limits.yaml"
END_OF_DAY = time(23, 59, 59)
MAX_WORKING_DAYS = 366


class Limit(BaseModel):
    """One time limit: exactly one of ``hours``, ``days`` or ``working_days``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hours: float | None = Field(default=None, gt=0, le=24 * 90)
    days: int | None = Field(default=None, ge=1, le=365)
    working_days: int | None = Field(default=None, ge=1, le=MAX_WORKING_DAYS)

    @model_validator(mode="after")
    def _exactly_one(self) -> Limit:
        if sum(v is not None for v in (self.hours, self.days, self.working_days)) != 1:
            raise ValueError("give exactly one of hours, days, working_days")
        return self


class ClassLimits(BaseModel):
    """The sign, handle and reply limits of one time class."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sign: Limit
    handle: Limit
    reply: Limit


class LoopLimits(BaseModel):
    """Limits of the department steps: returning an order (退单) and asking for more time (延期)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    return_limit: Limit = Limit(working_days=2)
    extension_max_working_days: int = Field(default=10, ge=1, le=MAX_WORKING_DAYS)


class _TimeLimitsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^time_limits$")
    loop: LoopLimits = Field(default_factory=LoopLimits)
    classes: dict[TimeClass, ClassLimits]
    urgency_class: dict[Urgency, TimeClass] = Field(default_factory=dict)
    category_class: dict[Category, TimeClass]

    @model_validator(mode="after")
    def _complete(self) -> _TimeLimitsFile:
        missing = [c.value for c in TimeClass if c not in self.classes]
        missing += [c.value for c in Category if c not in self.category_class]
        if missing:
            raise ValueError(f"missing entries: {missing}")
        return self


class DeadlinePolicy:
    """Computes an order's deadlines; the calendar and local zone are injected."""

    def __init__(
        self,
        *,
        classes: Mapping[TimeClass, ClassLimits],
        category_class: Mapping[Category, TimeClass],
        urgency_class: Mapping[Urgency, TimeClass] | None = None,
        calendar: ChineseCalendar | None = None,
        zone: tzinfo = BEIJING,
        loop: LoopLimits | None = None,
    ) -> None:
        self.classes = dict(classes)
        self.loop = loop if loop is not None else LoopLimits()
        self.category_class = dict(category_class)
        self.urgency_class = dict(urgency_class or {})
        self.calendar = calendar if calendar is not None else default_calendar()
        self.zone = zone

    @classmethod
    def from_yaml(
        cls, path: Path | str, *, calendar: ChineseCalendar | None = None, zone: tzinfo = BEIJING
    ) -> DeadlinePolicy:
        """Load limits from a file such as ``tickets/data/time_limits.yaml``."""
        source = str(path)
        try:
            raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            parsed = _TimeLimitsFile.model_validate(raw)
        except (yaml.YAMLError, ValidationError) as exc:
            raise CatalogueError("time_limits_invalid", f"{source}: {exc}", source=source) from exc
        return cls(
            classes=parsed.classes,
            category_class=parsed.category_class,
            urgency_class=parsed.urgency_class,
            calendar=calendar,
            zone=zone,
            loop=parsed.loop,
        )

    def time_class(
        self, *, urgency: Urgency, category: Category, matter_class: TimeClass | None = None
    ) -> TimeClass:
        """The class whose limits apply (urgency, then matter, then category)."""
        return self.urgency_class.get(urgency) or matter_class or self.category_class[category]

    def add_working_days(self, start: datetime, count: int) -> datetime:
        """The end (23:59:59 local) of the ``count``-th working day after ``start``'s local date."""
        day: date = _aware(start).astimezone(self.zone).date()
        left = count
        for _ in range(count * 7 + 60):
            if left == 0:
                break
            day += timedelta(days=1)
            left -= self.calendar.is_working_day(day)
        return datetime.combine(day, END_OF_DAY, tzinfo=self.zone)

    def due(self, start: datetime, limit: Limit) -> datetime:
        """When ``limit`` runs out for something that started at ``start`` (same zone as ``start``)."""
        start = _aware(start)
        if limit.hours is not None:
            return start + timedelta(hours=limit.hours)
        if limit.days is not None:
            return start + timedelta(days=limit.days)
        return self.add_working_days(start, limit.working_days or 0).astimezone(start.tzinfo)

    def deadlines(
        self,
        start: datetime,
        *,
        urgency: Urgency,
        category: Category,
        matter_class: TimeClass | None = None,
    ) -> Deadlines:
        """Sign, handle and reply deadlines for an order dispatched at ``start``."""
        limits = self.classes[self.time_class(urgency=urgency, category=category, matter_class=matter_class)]
        handle = self.due(start, limits.handle)
        return Deadlines(
            sign_due=min(self.due(start, limits.sign), handle),
            handle_due=handle,
            reply_due=max(self.due(start, limits.reply), handle),
        )


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TicketValidationError("naive_datetime", "the start must be timezone-aware", field="start")
    return value


@functools.lru_cache(maxsize=1)
def default_policy() -> DeadlinePolicy:
    """The shipped time limits on the shipped holiday calendar, in Beijing time."""
    return DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH)
