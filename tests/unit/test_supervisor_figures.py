"""Live figures per queue and per agent, from ACD state."""

from __future__ import annotations

from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from supervisor.figures import centre_figures

QUEUES = {
    "general": QueueConfig(name="general", skill="general"),
    "enterprise": QueueConfig(name="enterprise", skill="enterprise", min_level=2),
}


def _agent(agent_id: str, skills: dict[str, int], **kw: object) -> Agent:
    return Agent(agent_id=agent_id, contact=f"Local/{agent_id}", skills=skills, **kw)  # type: ignore[arg-type]


def test_given_agents_and_calls_then_each_queue_counts_its_own_agents_and_waiting_calls() -> None:
    agents = [
        _agent("a1", {"general": 1}, status=AgentStatus.AVAILABLE),
        _agent("a2", {"general": 1, "enterprise": 1}, status=AgentStatus.PAUSED, pause_reason="就餐"),
        _agent(
            "a3",
            {"general": 1, "enterprise": 3},
            status=AgentStatus.AVAILABLE,
            state=AgentState.ON_CALL,
            current_call_id="c2",
        ),
        _agent("a4", {"general": 1}, status=AgentStatus.LOGGED_OUT),
    ]
    calls = [
        Call(call_id="c1", queue="general", caller="13800138000", channel="x", entered_at=100.0),
        Call(
            call_id="c2",
            queue="enterprise",
            caller="13900139000",
            channel="y",
            entered_at=90.0,
            state=CallState.CONNECTED,
            answered_at=95.0,
            attrs={"tags": "confidential"},
        ),
        Call(call_id="c3", queue="enterprise", caller="1", channel="z", entered_at=110.0),
    ]
    queues, people = centre_figures(QUEUES, agents, calls, now=130.0)
    general, enterprise = sorted(queues, key=lambda q: q["queue"] != "general")
    assert general == {
        "queue": "general",
        "waiting": 1,
        "longest_wait_s": 30.0,
        "estimated_wait_s": 120.0,
        "agents": 3,
        "ready": 1,
        "offered": 0,
        "on_call": 1,
        "wrap_up": 0,
        "paused": {"就餐": 1},
    }
    assert enterprise["agents"] == 1
    assert enterprise["waiting"] == 1
    assert enterprise["longest_wait_s"] == 20.0
    assert enterprise["paused"] == {}
    assert [p["agent_id"] for p in people] == ["a1", "a2", "a3"]
    on_call = people[2]
    assert on_call["call"] == {
        "call_id": "c2",
        "queue": "enterprise",
        "caller": "139****9000",
        "masked": True,
    }
    assert on_call["since"] == 95.0
