"""A known day of call records for the report tests, written straight into a centre's database.

On local day ``DAY`` (2026-11-25): queue general has two answered calls (waits 8 s and 20 s), one
abandoned after 30 s and one short abandon (3 s); queue social_security one answered call (wait 5 s);
a consultation leg (left out of every figure). The day before holds one more answered general call
(in the week and month, not in the day). Agent ``AGENT`` handles all answered calls of the day: signed
in 09:00-18:00, 3 calls (talk 180 + 100 + 120 s, 30 s wrap-up each), 就餐 12:00-13:00; call 2 becomes
a three-way call with 110, call 5 is transferred to 12333.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hotline.db.models import AgentStateLog, Call, CallEvent
from supervisor.reports import LOCAL

DAY = date(2026, 11, 25)
AGENT = "rep1"
TALK_S = 180.0 + 100.0 + 120.0
WRAP_S = 90.0
PAUSE_S = 3600.0
SIGNED_IN_S = 9 * 3600.0


def at(hhmmss: str, day: date = DAY) -> datetime:
    """A local time of ``day``."""
    h, m, s = (int(p) for p in hhmmss.split(":"))
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=LOCAL)


def _call(call_id: str, queue: str, queued: datetime, wait: float, talk: float | None, **extra: Any) -> Call:
    answered = queued + timedelta(seconds=wait) if talk is not None else None
    ended = answered + timedelta(seconds=talk) if answered and talk else queued + timedelta(seconds=wait)
    return Call(
        call_id=call_id,
        caller="13800138000",
        channel=f"Local/{call_id}",
        dialed="12345",
        queue=queue,
        ivr_keys="0",
        entered_ivr_at=queued - timedelta(seconds=15),
        queued_at=queued,
        offered_at=answered,
        answered_at=answered,
        ended_at=ended,
        agent_id=AGENT if answered else None,
        outcome="answered" if answered else "abandoned",
        wait_seconds=wait,
        talk_seconds=talk,
        **extra,
    )


def _states() -> list[AgentStateLog]:
    steps = [
        ("09:00:00", "available", "idle", None, None),
        ("09:10:08", "available", "on_call", None, "r1"),
        ("09:13:08", "available", "wrap_up", None, "r1"),
        ("09:13:38", "available", "idle", None, None),
        ("09:20:20", "available", "on_call", None, "r2"),
        ("09:22:00", "available", "wrap_up", None, "r2"),
        ("09:22:30", "available", "idle", None, None),
        ("12:00:00", "paused", "idle", "就餐", None),
        ("13:00:00", "available", "idle", None, None),
        ("14:00:05", "available", "on_call", None, "r5"),
        ("14:02:05", "available", "wrap_up", None, "r5"),
        ("14:02:35", "available", "idle", None, None),
        ("18:00:00", "logged_out", "idle", None, None),
    ]
    return [
        AgentStateLog(agent_id=AGENT, at=at(t), status=st, state=s, pause_reason=r, call_id=c)
        for t, st, s, r, c in steps
    ]


def _event(call_id: str, when: datetime, step: str, **detail: object) -> CallEvent:
    return CallEvent(call_id=call_id, at=when, kind=step, detail=detail, once_key=None)


def seed(sessions: sessionmaker[Session]) -> None:
    """Write the day's records (the agent ``AGENT`` must exist)."""
    calls = [
        _call("r1", "general", at("09:10:00"), 8.0, 180.0),
        _call("r2", "general", at("09:20:00"), 20.0, 100.0),
        _call("r3", "general", at("10:05:00"), 30.0, None),
        _call("r4", "general", at("10:30:00"), 3.0, None),
        _call("r5", "social_security", at("14:00:00"), 5.0, 120.0),
        _call("r6", "general", at("11:00:00"), 2.0, 60.0, kind="consult"),
        _call("r0", "general", at("15:00:00", DAY - timedelta(days=1)), 4.0, 60.0),
    ]
    events = [
        _event("r1", at("09:10:08"), "connected", queue="general", agent_id=AGENT, reason="answered"),
        _event("r2", at("09:20:20"), "connected", queue="general", agent_id=AGENT, reason="answered"),
        _event("r2", at("09:21:00"), "transferred", kind="three_way", target="110", from_queue="general"),
        _event("r5", at("14:00:05"), "connected", queue="social_security", agent_id=AGENT, reason="answered"),
        _event(
            "r5", at("14:01:00"), "transferred", kind="number", target="12333", from_queue="social_security"
        ),
    ]
    with sessions.begin() as s:
        s.add_all([*calls, *events, *_states()])
