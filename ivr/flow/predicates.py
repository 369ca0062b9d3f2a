"""Condition tests a flow can branch on, and their pure evaluation against a call context.

A test looks at the clock (time of day, working day, working hours), at the caller's profile
(elderly, repeat caller, open work order, VIP, number prefix) or at an admin switch (a flow flag).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ivr.flow.context import CallContext

VarName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _require_text_time(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            "a time must be a quoted 'HH:MM' string (unquoted 17:30 is read by YAML as the number 1050)"
        )
    return value


ClockTime = Annotated[str, BeforeValidator(_require_text_time), StringConstraints(pattern=_HHMM)]


class TimeRange(BaseModel):
    """A daily clock range ``[start, end)``; a range whose end is not after its start wraps midnight."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: ClockTime
    end: ClockTime

    def contains(self, moment: time) -> bool:
        """Whether the wall-clock ``moment`` falls inside the range."""
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        bare = moment.replace(tzinfo=None)
        if start < end:
            return start <= bare < end
        return bare >= start or bare < end


class TimeOfDayTest(BaseModel):
    """True when the local time (Asia/Shanghai) is inside one of the ranges."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["time_of_day"]
    ranges: list[TimeRange] = Field(min_length=1)


class WorkingDayTest(BaseModel):
    """True on an official working day (weekends and public holidays off, make-up days on)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["working_day"]


class WorkingHoursTest(BaseModel):
    """True on a working day inside the flow's ``working_hours``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["working_hours"]


class CallerTest(BaseModel):
    """True when the caller profile has the attribute."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["caller"]
    attribute: Literal["elderly", "repeat_caller", "has_open_work_order", "vip"]


class CallerPrefixTest(BaseModel):
    """True when the calling number starts with one of the prefixes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["caller_prefix"]
    prefixes: list[Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{1,20}$")]] = Field(min_length=1)


class FlagTest(BaseModel):
    """True when an admin switch of the flow is on (the call context may override the flow default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["flag"]
    flag: VarName


Test = Annotated[
    TimeOfDayTest | WorkingDayTest | WorkingHoursTest | CallerTest | CallerPrefixTest | FlagTest,
    Field(discriminator="kind"),
]


def _caller_attribute(ctx: CallContext, attribute: str) -> bool:
    attrs = ctx.attributes
    values = {
        "elderly": attrs.elderly,
        "repeat_caller": attrs.repeat_caller,
        "has_open_work_order": bool(attrs.open_work_orders),
        "vip": attrs.vip,
    }
    return values[attribute]


def evaluate(
    test: Test,
    ctx: CallContext,
    *,
    working_hours: Sequence[TimeRange],
    flags: dict[str, bool],
) -> bool:
    """Evaluate ``test`` for the call; ``flags`` are the flow defaults, overridden by the context."""
    local = ctx.local_now
    if isinstance(test, TimeOfDayTest):
        return any(r.contains(local.time()) for r in test.ranges)
    if isinstance(test, WorkingDayTest):
        return ctx.calendar.is_working_day(local.date())
    if isinstance(test, WorkingHoursTest):
        in_hours = any(r.contains(local.time()) for r in working_hours)
        return in_hours and ctx.calendar.is_working_day(local.date())
    if isinstance(test, CallerTest):
        return _caller_attribute(ctx, test.attribute)
    if isinstance(test, CallerPrefixTest):
        return any(ctx.caller.startswith(p) for p in test.prefixes)
    return bool(ctx.flags.get(test.flag, flags.get(test.flag, False)))
