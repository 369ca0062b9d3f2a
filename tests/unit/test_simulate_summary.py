"""The simulate summary counts lost calls from the centre's own records, and RONA, pauses and overflow
from what the supervisor view showed."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.simulate import SimulationPlan
from hotline.simulate_summary import Activity, answered_after_overflow, percentile, summarise


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 90) == 90.0
    assert percentile(values, 100) == 100.0


def test_given_missing_record_when_summarised_then_counted_as_lost() -> None:
    records: list[dict[str, Any]] = [
        {"answered_at": "t", "outcome": "answered", "wait_seconds": 1.0, "talk_seconds": 2.0},
        {"answered_at": None, "outcome": "abandoned", "wait_seconds": 9.0, "talk_seconds": None},
        {"answered_at": None, "outcome": None, "wait_seconds": None, "talk_seconds": None},
    ]
    summary = summarise(records, offered=4, elapsed_s=1.0)
    assert (summary["answered"], summary["abandoned"], summary["lost"]) == (1, 1, 2)
    assert summary["wait_s"]["p50"] == 1.0
    assert (summary["rona_events"], summary["pauses_taken"], summary["overflowed"]) == (0, 0, 0)


def _agent(agent_id: str, status: str, state: str, reason: str | None) -> dict[str, Any]:
    data = {"agent_id": agent_id, "status": status, "state": state, "pause_reason": reason}
    return {"v": 1, "type": "agent_changed", "data": data}


def _call(call_id: str, state: str, reason: str) -> dict[str, Any]:
    return {"v": 1, "type": "call_changed", "data": {"call_id": call_id, "state": state, "reason": reason}}


def test_given_agent_frames_when_seen_then_each_pause_counted_once_and_login_ignored() -> None:
    activity = Activity(agents={"a", "b"})
    frames = [
        _agent("a", "paused", "idle", "login"),
        _agent("a", "available", "idle", None),
        _agent("a", "available", "offered", None),
        _agent("a", "paused", "idle", "no answer"),
        _agent("b", "paused", "wrap_up", "小休"),
        _agent("b", "paused", "idle", "小休"),
        _agent("b", "available", "idle", None),
        _agent("b", "paused", "wrap_up", "就餐"),
        _agent("someone-else", "paused", "idle", "no answer"),
        {"v": 1, "type": "resync_needed", "dropped": 3},
    ]
    for frame in frames:
        activity.see(frame)
    assert activity.rona_events == 1
    assert dict(activity.pauses) == {"小休": 1, "就餐": 1}
    assert activity.frames_dropped == 3


def test_given_enterprise_call_answered_by_general_agent_then_counted_as_overflowed() -> None:
    queue_skills = {"general": "general", "enterprise": "enterprise"}
    agent_skills = {"g1": ("general",), "e1": ("general", "enterprise")}
    records: list[dict[str, Any]] = [
        {"call_id": "c1", "queue": "enterprise", "agent_id": "g1", "answered_at": "t", "outcome": "answered"},
        {"call_id": "c2", "queue": "enterprise", "agent_id": "e1", "answered_at": "t", "outcome": "answered"},
        {"call_id": "c3", "queue": "general", "agent_id": "g1", "answered_at": "t", "outcome": "answered"},
        {
            "call_id": "c4",
            "queue": "enterprise",
            "agent_id": None,
            "answered_at": None,
            "outcome": "abandoned",
        },
        {"call_id": "c5", "queue": "enterprise", "agent_id": "stranger", "answered_at": "t"},
    ]
    assert [answered_after_overflow(r, queue_skills, agent_skills) for r in records] == [
        True,
        False,
        False,
        False,
        False,
    ]
    activity = Activity()
    for frame in (
        _call("c1", "waiting", "queued"),
        _call("c1", "waiting", "overflowed"),
        _call("c1", "offered", "offered"),
        _call("c1", "waiting", "requeued"),
        _call("other-run", "waiting", "overflowed"),
    ):
        activity.see(frame)
    summary = summarise(
        records,
        offered=5,
        elapsed_s=1.0,
        activity=activity,
        queue_skills=queue_skills,
        agent_skills=agent_skills,
    )
    assert summary["overflowed"] == 1
    assert summary["overflow_steps"] == 1
    assert summary["requeued"] == 1
    assert summary["queues"]["enterprise"] == {"calls": 4, "answered": 3, "overflowed": 1}
    assert summary["lost"] == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"no_answer_agents": 2, "pausing_agents": 2}, "do not fit"),
        ({"pausing_agents": 1, "pause_every": 0}, "pause_every"),
        ({"pausing_agents": 1, "pause_reasons": ()}, "pause reason"),
        ({"skills": ()}, "skill"),
        ({"calls": -1}, "negative"),
    ],
)
def test_given_inconsistent_plan_when_built_then_clear_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationPlan(agents=3, **changes)


def test_given_plan_then_no_answer_agents_come_first_then_pausing_agents() -> None:
    plan = SimulationPlan(agents=4, no_answer_agents=1, pausing_agents=2)
    assert [plan.kind(i) for i in range(4)] == ["no_answer", "pausing", "pausing", "answering"]
