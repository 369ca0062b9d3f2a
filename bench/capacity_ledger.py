"""Every call the capacity benchmark places, as Asterisk reports it over AMI.

A call is followed by the Uniqueid of the channel the benchmark originated (the citizen's half of the
Local pair), or of the trunk channel a call from SIPp arrived on (``arrived``): Newchannel / Hangup give
the calls up at once, and for plain app_queue the queue events
(QueueCallerJoin, AgentConnect, QueueCallerAbandon) carry that same Uniqueid and give answer and wait.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hotline.ami.client import AmiClient, AmiEvent

GAVE_UP_OUTCOMES = frozenset({"abandoned", "callback"})
WATCHED_PREFIXES = ("cit-", "capq-")


@dataclass
class BenchCall:
    """One placed call."""

    caller: str
    uniqueid: str
    placed_at: float
    seen: bool = False
    ended: bool = False
    joined_at: float | None = None
    answered: bool = False
    wait_s: float | None = None
    gave_up: bool = False
    ended_at: float | None = None
    ivr_keys: str = ""
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class Tally:
    """What became of a set of calls."""

    calls: int
    answered: int
    gave_up: int
    lost: int
    waits: list[float]
    durations: list[float]


class Ledger:
    """Calls by Uniqueid and how many are up at once."""

    def __init__(self) -> None:
        self.calls: dict[str, BenchCall] = {}
        self.live = 0
        self.peak = 0
        self._seen: set[str] = set()
        self._ended: set[str] = set()

    def install(self, ami: AmiClient) -> None:
        """Follow ``ami``'s events (one Asterisk node)."""
        ami.on_event("Newchannel", self._on_new_channel)
        ami.on_event("Hangup", self._on_hangup)
        ami.on_event("QueueCallerJoin", self._on_join)
        ami.on_event("AgentConnect", self._on_connect)
        ami.on_event("QueueCallerAbandon", self._on_abandon)

    def place(self, caller: str, uniqueid: str) -> BenchCall:
        """A call about to be originated."""
        call = BenchCall(caller=caller, uniqueid=uniqueid, placed_at=time.monotonic())
        call.seen = uniqueid in self._seen
        call.ended = uniqueid in self._ended
        self.calls[uniqueid] = call
        return call

    def arrived(self, caller: str, uniqueid: str) -> BenchCall:
        """A call an outside SIP agent placed, now seen arriving on a node as ``uniqueid``: placed and up."""
        call = self.place(caller, uniqueid)
        if uniqueid not in self._seen:
            self._seen.add(uniqueid)
            self.live += 1
            self.peak = max(self.peak, self.live)
        call.seen = True
        return call

    def reset_peak(self) -> None:
        """Start counting the peak afresh (a new step)."""
        self.peak = self.live

    def open_calls(self, prefix: str) -> int:
        """Calls of ``prefix`` not yet hung up (including those Asterisk never showed)."""
        return sum(1 for c in self.calls.values() if c.caller.startswith(prefix) and not c.ended)

    def of(self, prefix: str) -> list[BenchCall]:
        """The calls whose caller number starts with ``prefix``."""
        return [c for c in self.calls.values() if c.caller.startswith(prefix)]

    def reconcile(self, prefix: str, live: set[str]) -> None:
        """Calls of ``prefix`` whose channel Asterisk no longer lists have ended (events may be missed)."""
        for call in self.of(prefix):
            if not call.ended and call.uniqueid not in live:
                if call.seen:
                    self.live -= 1
                call.seen = call.ended = True

    def _call(self, event: AmiEvent) -> BenchCall | None:
        return self.calls.get(event.get("Uniqueid", ""))

    def _on_new_channel(self, event: AmiEvent) -> None:
        uniqueid = event.get("Uniqueid", "")
        if not watched(uniqueid) or uniqueid in self._seen:
            return
        self._seen.add(uniqueid)
        self.live += 1
        self.peak = max(self.peak, self.live)
        if (call := self.calls.get(uniqueid)) is not None:
            call.seen = True

    def _on_hangup(self, event: AmiEvent) -> None:
        uniqueid = event.get("Uniqueid", "")
        if uniqueid not in self._seen or uniqueid in self._ended:
            return
        self._ended.add(uniqueid)
        self.live -= 1
        if (call := self.calls.get(uniqueid)) is not None:
            call.ended = True
            call.ended_at = time.monotonic()

    def _on_join(self, event: AmiEvent) -> None:
        call = self._call(event)
        if call is not None:
            call.joined_at = time.monotonic()

    def _on_connect(self, event: AmiEvent) -> None:
        call = self._call(event)
        if call is not None and not call.answered:
            call.answered = True
            if call.joined_at is not None:
                call.wait_s = time.monotonic() - call.joined_at

    def _on_abandon(self, event: AmiEvent) -> None:
        call = self._call(event)
        if call is not None:
            call.gave_up = True


def watched(uniqueid: str) -> bool:
    """Whether ``uniqueid`` is a citizen half the benchmark originated (``cit-<hex>``, ``capq-<hex>``)."""
    return uniqueid.startswith(WATCHED_PREFIXES) and uniqueid.count("-") == 1


def tally(calls: list[BenchCall]) -> Tally:
    """Answered, gave up, and lost: neither answered nor given up, or never seen ending on Asterisk."""
    answered = [c for c in calls if c.answered and c.seen and c.ended]
    gave_up = [c for c in calls if c.gave_up and not c.answered and c.seen and c.ended]
    waits = [c.wait_s for c in answered if c.wait_s is not None]
    return Tally(
        calls=len(calls),
        answered=len(answered),
        gave_up=len(gave_up),
        lost=len(calls) - len(answered) - len(gave_up),
        waits=waits,
        durations=[c.ended_at - c.placed_at for c in calls if c.ended_at is not None],
    )


def lost_outcomes(calls: list[BenchCall]) -> dict[str, int]:
    """How the lost calls ended in the centre's records (``no_record`` when it has none)."""
    return dict(Counter(c.outcome or "no_record" for c in calls if not (c.answered or c.gave_up)))


def apply_records(calls: list[BenchCall], records: list[dict[str, Any]]) -> None:
    """Mark calls answered / given up from the centre's call records (matched by caller number)."""
    by_caller = {str(r.get("caller")): r for r in records}
    for call in calls:
        record = by_caller.get(call.caller)
        if record is None:
            continue
        call.ivr_keys = str(record.get("ivr_keys") or "")
        call.outcome = str(record.get("outcome") or ("open" if not record.get("ended_at") else ""))
        if record.get("answered_at"):
            call.answered = True
            wait = record.get("wait_seconds")
            call.wait_s = float(wait) if wait is not None else None
        elif record.get("ended_at") and record.get("outcome") in GAVE_UP_OUTCOMES:
            call.gave_up = True
