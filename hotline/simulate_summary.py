"""The ``hotline simulate`` summary, from the centre's own records and its supervisor view.

Outcomes, waits and talk times come from the call records of the run (``GET /api/calls``). What the
records do not hold comes from the supervisor websocket, counted by :class:`Activity`: agents paused
"no answer" by the centre (ring-no-answer, RONA), pauses agents chose, offers put back in line, overflow
steps and callbacks. ``overflowed`` counts calls answered by an agent without the queue's own skill,
which only overflow (or surge mode) allows; ``lost`` counts offered calls the centre has no final
outcome for.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from acd.offer_outcomes import NO_ANSWER_PAUSE_REASON

FINAL_OUTCOMES = ("answered", "abandoned", "ivr_hangup", "fallback")


@dataclass
class Activity:
    """What the supervisor view of the centre showed during the run."""

    agents: set[str] = field(default_factory=set)
    rona_events: int = 0
    pauses: Counter[str] = field(default_factory=Counter)
    call_reasons: dict[str, Counter[str]] = field(default_factory=dict)
    frames_dropped: int = 0
    _last: dict[str, tuple[str, str | None]] = field(default_factory=dict, init=False, repr=False)

    def see(self, frame: Mapping[str, Any]) -> None:
        """Count one supervisor frame: no-answer and chosen pauses of our agents, reasons of calls."""
        kind, data = frame.get("type"), frame.get("data") or {}
        if kind == "agent_changed" and data.get("agent_id") in self.agents:
            self._agent_changed(data["agent_id"], str(data.get("status")), data.get("pause_reason"))
        elif kind == "call_changed":
            reasons = self.call_reasons.setdefault(str(data.get("call_id")), Counter())
            reasons[str(data.get("reason"))] += 1
        elif kind == "resync_needed":
            self.frames_dropped += int(frame.get("dropped") or 0)

    def _agent_changed(self, agent_id: str, status: str, reason: str | None) -> None:
        now = (status, reason)
        if status == "paused" and self._last.get(agent_id) != now:
            if reason == NO_ANSWER_PAUSE_REASON:
                self.rona_events += 1
            elif reason not in (None, "login"):
                self.pauses[reason] += 1
        self._last[agent_id] = now

    def calls_with(self, reason: str, call_ids: set[str]) -> int:
        """How many of ``call_ids`` had at least one change for ``reason``."""
        return sum(1 for c in call_ids if self.call_reasons.get(c, Counter())[reason])

    def count(self, reason: str, call_ids: set[str]) -> int:
        """How many changes for ``reason`` the calls ``call_ids`` had in all."""
        return sum(self.call_reasons.get(c, Counter())[reason] for c in call_ids)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 3)


def answered_after_overflow(
    record: Mapping[str, Any], queue_skills: Mapping[str, str], agent_skills: Mapping[str, Sequence[str]]
) -> bool:
    """True when an agent without the queue's own skill answered the call (only overflow allows that)."""
    skill = queue_skills.get(record.get("queue") or "")
    skills = agent_skills.get(record.get("agent_id") or "")
    return (
        bool(record.get("answered_at")) and skill is not None and skills is not None and skill not in skills
    )


def summarise(
    records: Sequence[Mapping[str, Any]],
    offered: int,
    elapsed_s: float,
    *,
    activity: Activity | None = None,
    queue_skills: Mapping[str, str] | None = None,
    agent_skills: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The JSON summary of a run from its call records and what the supervisor view showed."""
    answered = [r for r in records if r.get("answered_at")]
    abandoned = [r for r in records if not r.get("answered_at") and r.get("outcome") in FINAL_OUTCOMES]
    waits = [float(r["wait_seconds"]) for r in answered if r.get("wait_seconds") is not None]
    talks = [float(r["talk_seconds"]) for r in answered if r.get("talk_seconds") is not None]
    activity = activity or Activity()
    call_ids = {str(r["call_id"]) for r in records if r.get("call_id")}
    overflowed = {
        str(r.get("call_id"))
        for r in answered
        if answered_after_overflow(r, queue_skills or {}, agent_skills or {})
    }
    return {
        "calls_offered": offered,
        "answered": len(answered),
        "abandoned": len(abandoned),
        "lost": offered - len(answered) - len(abandoned),
        "wait_s": {
            "p50": percentile(waits, 50),
            "p90": percentile(waits, 90),
            "p99": percentile(waits, 99),
            "max": round(max(waits), 3) if waits else None,
        },
        "talk_s_mean": round(statistics.fmean(talks), 3) if talks else None,
        "rona_events": activity.rona_events,
        "requeued": activity.count("requeued", call_ids),
        "pauses_taken": sum(activity.pauses.values()),
        "pause_reasons": dict(activity.pauses),
        "overflow_steps": activity.count("overflowed", call_ids),
        "overflowed": len(overflowed),
        "callbacks": activity.calls_with("callback", call_ids),
        "queues": by_queue(records, overflowed),
        "events_missed": activity.frames_dropped,
        "elapsed_s": round(elapsed_s, 3),
    }


def by_queue(records: Sequence[Mapping[str, Any]], overflowed: set[str]) -> dict[str, dict[str, int]]:
    """Calls, answered calls and calls answered after overflow per queue (``-``: never queued)."""
    rows: dict[str, dict[str, int]] = {}
    for r in records:
        row = rows.setdefault(r.get("queue") or "-", {"calls": 0, "answered": 0, "overflowed": 0})
        row["calls"] += 1
        row["answered"] += 1 if r.get("answered_at") else 0
        row["overflowed"] += 1 if str(r.get("call_id")) in overflowed else 0
    return dict(sorted(rows.items()))
