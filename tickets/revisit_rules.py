"""When to call a citizen back about a replied order, and what their attempts add up to. No I/O.

Rules (configurable in ``RevisitPolicy``; defaults after common 12345 practice):

- A citizen is called within calling hours only (09:00-20:00 local time, any day of the week): an
  attempt that falls due outside them waits for the next opening.
- The first attempt falls due when the order was replied to; each later one ``retry_after`` (2 hours)
  after the previous attempt ended, whatever its outcome.
- Only attempts that did not reach the citizen count towards ``max_attempts`` (3): no answer, busy, or
  answered without a single key (``COUNTED``). An attempt that failed on the centre's side (telephony
  down) is tried again later but does not use up the citizen's attempts.
- A citizen is done once reached (answers recorded by phone or by hand) or once ``max_attempts``
  counted attempts failed (unreachable, 回访未果). While an attempt is under way nothing else is due.
- Automatic calls go only to citizens who may be phoned (contact preference any or phone only) and not
  to special groups (elderly, disabled: kept to a person, 国办发〔2020〕45号); the others are on the work
  list for an agent to revisit by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum

from tickets.vocab import BEIJING, ContactPreference, SpecialGroup

COUNTED = frozenset({"no_answer", "busy", "no_keys"})
IN_PROGRESS = frozenset({"calling", "answered"})
REACHED = "reached"


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisitPolicy:
    """How often, when and how many calls at once the centre revisits citizens."""

    max_attempts: int = 3
    retry_after: timedelta = timedelta(hours=2)
    calling_from: time = time(9, 0)
    calling_until: time = time(20, 0)
    zone: tzinfo = BEIJING
    ring_timeout_s: float = 30.0
    stale_after: timedelta = timedelta(minutes=5)
    """An attempt still calling or answered after this long is given up (a lost event, a crash)."""
    concurrency: int = 2
    """Revisit calls under way at once, over every app node."""
    tick_s: float = 15.0
    merged_lookback: timedelta = timedelta(days=30)
    """How far back the work list looks for merged orders' citizens whose main order moved on."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not self.calling_from < self.calling_until:
            raise ValueError("calling hours must start before they end")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


class TargetState(StrEnum):
    """Where the revisit of one citizen stands."""

    PENDING = "pending"
    CALLING = "calling"
    REACHED = "reached"
    UNREACHABLE = "unreachable"

    @property
    def label(self) -> str:
        """The Chinese label."""
        return _LABELS[self.value]


_LABELS = {"pending": "待回访", "calling": "回访中", "reached": "已回访", "unreachable": "回访未果"}


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptFacts:
    """What the rules need to know about one attempt."""

    outcome: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """One citizen's revisit: its state, the counted failed attempts, and when to call next."""

    state: TargetState
    failed: int
    next_at: datetime | None


def within_hours(policy: RevisitPolicy, at: datetime) -> datetime:
    """The earliest moment at or after ``at`` inside calling hours (aware, in ``at``'s zone)."""
    local = at.astimezone(policy.zone)
    opening = datetime.combine(local.date(), policy.calling_from, policy.zone)
    closing = datetime.combine(local.date(), policy.calling_until, policy.zone)
    if local < opening:
        return opening.astimezone(at.tzinfo)
    if local >= closing:
        return (opening + timedelta(days=1)).astimezone(at.tzinfo)
    return at


def plan(policy: RevisitPolicy, *, ready_at: datetime, attempts: Sequence[AttemptFacts]) -> Plan:
    """The state of one citizen's revisit in this round (``attempts`` made since ``ready_at``)."""
    failed = sum(1 for a in attempts if a.outcome in COUNTED)
    if any(a.outcome == REACHED for a in attempts):
        return Plan(state=TargetState.REACHED, failed=failed, next_at=None)
    if any(a.outcome in IN_PROGRESS for a in attempts):
        return Plan(state=TargetState.CALLING, failed=failed, next_at=None)
    if failed >= policy.max_attempts:
        return Plan(state=TargetState.UNREACHABLE, failed=failed, next_at=None)
    if attempts:
        last = max(attempts, key=lambda a: a.ended_at or a.started_at)
        base = (last.ended_at or last.started_at) + policy.retry_after
    else:
        base = ready_at
    return Plan(state=TargetState.PENDING, failed=failed, next_at=within_hours(policy, base))


def dialled_automatically(preference: ContactPreference, group: SpecialGroup) -> bool:
    """Whether the centre may revisit this citizen with an automatic call."""
    phoned = preference in (ContactPreference.ANY, ContactPreference.PHONE_ONLY)
    return phoned and group is SpecialGroup.NONE


def is_stale(policy: RevisitPolicy, attempt: AttemptFacts, now: datetime) -> bool:
    """Whether an attempt still under way has outlived ``stale_after``."""
    return attempt.outcome in IN_PROGRESS and now - attempt.started_at > policy.stale_after


def failure_outcome(response_reason: str) -> str:
    """The outcome of an Originate that failed, from the ``Reason`` of its ``OriginateResponse``.

    Asterisk gives the last control frame seen: 5 busy, 1 hung up (rejected), 3 still ringing when the
    timeout ran out. Congestion (8) and 0 (the channel could not be made) are the network's or the
    centre's side and do not count against the citizen.
    """
    return _FAILURES.get(response_reason.strip(), "failed")


_FAILURES = {"5": "busy", "3": "no_answer", "1": "no_answer"}


def parse_hours(text: str) -> tuple[time, time]:
    """``"09:00-20:00"`` as (opening, closing); ValueError saying what is wrong."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        opening, closing = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValueError(f"calling hours {text!r} are not HH:MM-HH:MM") from None
    return opening, closing


def policy_from(
    *, max_attempts: int, retry_minutes: float, calling_hours: str, concurrency: int, ring_timeout_s: float
) -> RevisitPolicy:
    """A policy from the centre's settings (``HOTLINE_REVISIT_*``)."""
    opening, closing = parse_hours(calling_hours)
    return RevisitPolicy(
        max_attempts=max_attempts,
        retry_after=timedelta(minutes=retry_minutes),
        calling_from=opening,
        calling_until=closing,
        concurrency=concurrency,
        ring_timeout_s=ring_timeout_s,
    )
