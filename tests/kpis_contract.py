"""KPI figures every database backend must give for one known day of records (docs/KPIS.md).

A runner class supplies ``db_url`` (an empty database). The records are written as the recorder
writes them: call rows, the events that mark callbacks, exits, transfers and three-way calls, and
the agents' state log. Every expected figure below is worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.models import AgentStateLog, Call, CallEvent
from supervisor.kpis import KpiRangeError, KpiSettings, agent_kpis, per_queue_kpis, queue_kpis
from tests.migrated_db import MigratedDatabase

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
"""10:00 Beijing time."""
HOUR = timedelta(hours=1)
NOW = T0 + timedelta(hours=5)


def at(seconds: float) -> datetime:
    """T0 plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def _call(call_id: str, queue: str | None, **fields: Any) -> Call:
    base: dict[str, Any] = {
        "caller": "13800138000",
        "channel": f"PJSIP/trunk-{call_id}",
        "dialed": "12345",
        "queue": queue,
        "ivr_keys": "",
        "entered_ivr_at": fields.get("queued_at") or fields.get("entered_ivr_at") or T0,
    }
    base.update(fields)
    return Call(call_id=call_id, **base)


def _calls() -> list[Call]:
    g = "general"
    return [
        _call("c1", g, queued_at=at(0), answered_at=at(10), ended_at=at(70), outcome="answered"),
        _call("c2", g, queued_at=at(60), answered_at=at(80), ended_at=at(200), outcome="answered"),
        _call("c3", g, queued_at=at(120), ended_at=at(130), outcome="abandoned", wait_seconds=10.0),
        _call("c4", g, queued_at=at(180), ended_at=at(183), outcome="abandoned", wait_seconds=3.0),
        _call("c5", g, queued_at=at(240), answered_at=at(900), ended_at=at(960), outcome="answered"),
        _call("c6", g, queued_at=at(300), ended_at=at(400), outcome="abandoned"),
        _call("c7", g, queued_at=at(360), ended_at=at(420), outcome="abandoned"),
        _call("c8", g, queued_at=at(380), ended_at=at(500), outcome="node_failure"),
        _call("c9", g, queued_at=at(30), answered_at=at(32), outcome="answered", kind="consult"),
        _call("c10", None, entered_ivr_at=at(40), ended_at=at(50), outcome="ivr_hangup"),
        _call("c11", g, queued_at=at(1200), answered_at=at(1205), ended_at=at(1265), outcome="answered"),
        _call(
            "f1",
            "hotline-fallback",
            entered_ivr_at=at(600),
            answered_at=at(605),
            outcome="answered",
            wait_seconds=5.0,
        ),
        _call("f2", "hotline-fallback", queued_at=at(650), ended_at=at(700), outcome="fallback"),
        _call("late", g, queued_at=at(3600), answered_at=at(3601), outcome="answered"),
    ]


def _events() -> list[CallEvent]:
    def ev(call_id: str, s: float, event: str, **detail: Any) -> CallEvent:
        return CallEvent(call_id=call_id, at=at(s), kind=event, detail=detail)

    return [
        ev("c1", 10, "connected", agent_id="a1", queue="general", reason="answered"),
        ev("c1", 60, "transferred", kind="attended", target="a3", from_queue="general"),
        ev("c2", 80, "connected", agent_id="a2", queue="general", reason="answered"),
        ev("c2", 100, "transferred", kind="three_way", target="110", from_queue="general"),
        ev("c2", 150, "transferred", kind="three_way", target="83000101", from_queue="general"),
        ev("c5", 250, "waiting", agent_id=None, queue="general", reason="callback"),
        ev("c6", 310, "waiting", agent_id=None, queue="general", reason="callback"),
        ev("c6", 400, "ended", agent_id=None, queue="general", reason="callback_cancelled"),
        ev("c7", 420, "ended", agent_id=None, queue="general", reason="exited"),
        ev("c7", 400, "waiting", agent_id=None, queue="general", reason="overflowed"),
    ]


def _log() -> list[AgentStateLog]:
    def row(
        agent: str, s: float, status: str, state: str, reason: str | None = None, call: str | None = None
    ) -> AgentStateLog:
        return AgentStateLog(
            agent_id=agent, at=at(s), status=status, state=state, pause_reason=reason, call_id=call
        )

    a1 = [
        row("a1", -3600, "paused", "idle", "login"),
        row("a1", -1800, "available", "idle"),
        row("a1", 5, "available", "offered", call="c1"),
        row("a1", 10, "available", "on_call", call="c1"),
        row("a1", 70, "available", "wrap_up"),
        row("a1", 85, "paused", "wrap_up", "小休"),
        row("a1", 100, "paused", "idle", "小休"),
        row("a1", 400, "available", "idle"),
        row("a1", 1200, "available", "offered", call="c11"),
        row("a1", 1205, "available", "on_call", call="c11"),
        row("a1", 1265, "available", "wrap_up"),
        row("a1", 1285, "available", "idle"),
        row("a1", 1800, "logged_out", "idle"),
    ]
    a2 = [
        row("a2", 0, "available", "idle"),
        row("a2", 75, "available", "offered", call="c2"),
        row("a2", 80, "available", "on_call", call="c2"),
        row("a2", 120, "paused", "on_call", "就餐", call="c2"),
        row("a2", 200, "paused", "wrap_up", "就餐"),
        row("a2", 210, "available", "idle"),
        row("a2", 890, "available", "offered", call="c5"),
        row("a2", 900, "available", "on_call", call="c5"),
        row("a2", 960, "available", "wrap_up"),
        row("a2", 970, "available", "idle"),
    ]
    return a1 + a2


def add_known_day(session: Session) -> None:
    """Write the known day's records (commits)."""
    session.add_all(_calls())
    session.flush()
    session.add_all(_events())
    session.add_all(_log())
    session.commit()


class KpiContract(MigratedDatabase):
    """The figures of the known day, on the backend of ``db_url``."""

    @pytest.fixture
    def session(self, sm: sessionmaker[Session]) -> Iterator[Session]:
        """A session over the migrated database holding the known day."""
        with sm() as s:
            add_known_day(s)
            yield s

    def test_centre_totals_follow_the_definitions(self, session: Session) -> None:
        (k,) = queue_kpis(session, start=T0, end=T0 + HOUR, now=NOW)
        # offered: c1 c2 c3 c5 c6 c7 c8 c11 f1 f2 (c4 short, c9 consult, c10 IVR only, late after end)
        assert (k.queue, k.start, k.end) == (None, T0, T0 + HOUR)
        assert (k.offered, k.answered, k.answered_in_sl) == (10, 5, 3)  # SL: c1 10 s, c11 5 s, f1 5 s
        assert (k.abandoned, k.short_abandoned, k.callbacks) == (2, 1, 2)  # c3, f2; c4; c5, c6
        assert (k.service_level, k.answer_rate, k.abandon_rate) == (0.6, 0.5, 0.2)
        assert k.asa_s == 140.0  # (10 + 20 + 660 + 5 + 5) / 5
        assert k.aht_s == 92.5  # c1 60+30, c2 120+10, c5 60+10, c11 60+20 (f1: no agent log)
        assert (k.transfers, k.three_way_110, k.three_way_departments) == (1, 1, 1)

    def test_one_queue_and_every_queue_agree(self, session: Session) -> None:
        (g,) = queue_kpis(session, start=T0, end=T0 + HOUR, queue="general", now=NOW)
        assert (g.offered, g.answered, g.answered_in_sl, g.abandoned, g.short_abandoned) == (8, 4, 2, 1, 1)
        assert (g.service_level, g.callbacks) == (0.5, 2)
        assert g.asa_s == pytest.approx(173.75, abs=0.051)  # (10 + 20 + 660 + 5) / 4
        per = {k.queue: k for k in per_queue_kpis(session, start=T0, end=T0 + HOUR, now=NOW)}
        assert list(per) == ["general", "hotline-fallback"]
        assert per["general"] == g
        fb = per["hotline-fallback"]
        assert (fb.offered, fb.answered, fb.answered_in_sl, fb.abandoned, fb.aht_s) == (2, 1, 1, 1, None)

    def test_a_set_of_queues_counts_their_calls_together(self, session: Session) -> None:
        def of(queues: list[str]) -> tuple[int, int, float | None]:
            (k,) = queue_kpis(session, start=T0, end=T0 + HOUR, queues=queues, now=NOW)
            assert k.queue is None
            return (k.offered, k.answered, k.aht_s)

        assert of(["general"]) == (8, 4, 92.5)
        assert of(["hotline-fallback"]) == (2, 1, None)
        assert of(["general", "hotline-fallback"]) == (10, 5, 92.5)  # the whole centre
        assert of([]) == (0, 0, None)
        rows = queue_kpis(
            session, start=T0, end=T0 + HOUR, interval=timedelta(minutes=15), queues=["general"], now=NOW
        )
        assert [r.offered for r in rows] == [7, 1, 0, 0]

    def test_intervals_split_by_queue_entry_and_include_empty_ones(self, session: Session) -> None:
        rows = queue_kpis(session, start=T0, end=T0 + HOUR, interval=timedelta(minutes=15), now=NOW)
        assert [r.start for r in rows] == [T0 + timedelta(minutes=15 * i) for i in range(4)]
        assert [(r.offered, r.answered) for r in rows] == [(9, 4), (1, 1), (0, 0), (0, 0)]
        assert rows[3].service_level is None
        assert rows[3].asa_s is None

    def test_a_day_interval_starts_at_beijing_midnight(self, session: Session) -> None:
        start = T0 - timedelta(hours=1)  # 09:00 Beijing
        rows = queue_kpis(
            session, start=start, end=start + timedelta(days=2), interval=timedelta(days=1), now=NOW
        )
        midnights = [datetime(2026, 3, d, 16, 0, tzinfo=UTC) for d in (2, 3)]
        assert [r.start for r in rows] == [start, *midnights]
        assert [r.end for r in rows] == [*midnights, start + timedelta(days=2)]
        assert [r.offered for r in rows] == [11, 0, 0]  # the "late" call counts too

    def test_thresholds_are_settings(self, session: Session) -> None:
        settings = KpiSettings(service_level_s=20.0, short_abandon_s=10.0)
        (k,) = queue_kpis(session, start=T0, end=T0 + HOUR, settings=settings, now=NOW)
        assert (k.offered, k.short_abandoned, k.abandoned, k.answered_in_sl) == (9, 2, 1, 4)

    def test_agents(self, session: Session) -> None:
        agents = {a.agent_id: a for a in agent_kpis(session, start=T0, end=T0 + HOUR, now=NOW)}
        a1, a2 = agents["a1"], agents["a2"]
        assert (a1.answered, a1.talk_s, a1.wrap_s, a1.aht_s) == (2, 120.0, 50.0, 85.0)
        assert (a1.signed_in_s, a1.pause_s) == (1800.0, {"小休": 300.0})
        assert a1.occupancy == round(170 / 1500, 4)
        assert (a1.transfers, a1.three_way) == (1, 0)
        assert (a2.answered, a2.talk_s, a2.wrap_s, a2.signed_in_s, a2.pause_s) == (2, 180.0, 20.0, 3600.0, {})
        assert (a2.transfers, a2.three_way) == (0, 2)
        (only,) = agent_kpis(session, start=T0, end=T0 + HOUR, agent_id="a2", now=NOW)
        assert only == a2

    def test_agent_time_stops_at_now(self, session: Session) -> None:
        (a2,) = agent_kpis(session, start=T0, end=T0 + HOUR, agent_id="a2", now=at(1000))
        assert a2.signed_in_s == 1000.0

    def test_an_empty_range_gives_zeros_and_no_rates(self, session: Session) -> None:
        (k,) = queue_kpis(session, start=T0 - HOUR, end=T0, queue="general", now=NOW)
        assert (k.offered, k.answered, k.service_level, k.answer_rate, k.aht_s) == (0, 0, None, None, None)

    def test_bad_ranges_are_refused(self, session: Session) -> None:
        with pytest.raises(KpiRangeError):
            queue_kpis(session, start=T0.replace(tzinfo=None), end=T0 + HOUR)
        with pytest.raises(KpiRangeError):
            agent_kpis(session, start=T0, end=T0)
