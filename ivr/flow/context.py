"""What the interpreter knows about a call: who calls, when, their profile, the calendar, the switches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.flow.calendar import ChineseCalendar
from ivr.flow.errors import FlowRunError

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class OpenWorkOrder:
    """An unfinished work order of the caller and the agent who took it."""

    number: str
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class CallerAttributes:
    """The caller profile the flow may branch on."""

    elderly: bool = False
    repeat_caller: bool = False
    open_work_orders: tuple[OpenWorkOrder, ...] = ()
    vip: bool = False


@dataclass(frozen=True, slots=True)
class CallContext:
    """One call: caller number, an aware ``now``, the profile, the calendar and flag overrides.

    ``flags`` override the flow's own flag defaults (an admin switching the surge group on without
    editing the flow). ``speech_available`` is false when no speech model is loaded; speech menus then
    ask for DTMF only.
    """

    caller: str
    now: datetime
    calendar: ChineseCalendar
    attributes: CallerAttributes = field(default_factory=CallerAttributes)
    flags: Mapping[str, bool] = field(default_factory=dict)
    speech_available: bool = False

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise FlowRunError(
                "naive_datetime", "CallContext.now must be timezone-aware", {"now": str(self.now)}
            )

    @property
    def local_now(self) -> datetime:
        """``now`` on the Asia/Shanghai wall clock."""
        return self.now.astimezone(SHANGHAI)
