"""The incremental queue counters equal the figures recomputed from the whole state, after any changes;
the estimated wait of a caller joining a queue."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from supervisor.figures import centre_figures, estimated_wait
from supervisor.figures_tally import FiguresTally

QUEUES = {
    "general": QueueConfig(name="general", skill="general"),
    "enterprise": QueueConfig(name="enterprise", skill="enterprise", min_level=2),
    "traffic": QueueConfig(name="traffic", skill="traffic"),
}
AHT = {"general": 200.0, "enterprise": 90.0}
NOW = 1000.0

agents_st = st.builds(
    lambda n, status, state, reason, skills: Agent(
        agent_id=f"a{n}",
        contact="Local/x",
        skills=skills,
        status=status,
        state=state,
        pause_reason=reason if status is AgentStatus.PAUSED else None,
    ),
    st.integers(0, 7),
    st.sampled_from(list(AgentStatus)),
    st.sampled_from(list(AgentState)),
    st.sampled_from(["小休", "就餐", "培训", None]),
    st.dictionaries(st.sampled_from(["general", "enterprise", "traffic"]), st.integers(1, 3)),
)
calls_st = st.builds(
    lambda n, queue, state, entered: Call(
        call_id=f"c{n}", queue=queue, caller="13800138000", channel="x", entered_at=entered, state=state
    ),
    st.integers(0, 7),
    st.sampled_from(["general", "enterprise", "traffic"]),
    st.sampled_from(list(CallState)),
    st.floats(900.0, 999.0),
)
change_st = st.one_of(
    agents_st,
    calls_st,
    st.integers(0, 7).map(lambda n: ("agent gone", f"a{n}")),
    st.integers(0, 7).map(lambda n: ("call gone", f"c{n}")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(change_st, max_size=40))
def test_given_any_changes_one_at_a_time_then_the_counters_equal_a_recomputation(
    changes: list[object],
) -> None:
    tally = FiguresTally(QUEUES)
    agents: dict[str, Agent] = {}
    calls: dict[str, Call] = {}
    for change in changes:
        if isinstance(change, Agent):
            agents[change.agent_id] = change
            tally.put_agent(change.agent_id, change)
        elif isinstance(change, Call):
            calls[change.call_id] = change
            tally.put_call(change.call_id, change)
        elif isinstance(change, tuple) and change[0] == "agent gone":
            agents.pop(change[1], None)
            tally.put_agent(change[1], None)
        elif isinstance(change, tuple):
            calls.pop(change[1], None)
            tally.put_call(change[1], None)
        expected, _ = centre_figures(QUEUES, agents.values(), calls.values(), NOW, aht_s=AHT)
        assert tally.figures(NOW, AHT) == expected
    rebuilt = FiguresTally(QUEUES)
    rebuilt.reset(agents.values(), calls.values())
    assert rebuilt.figures(NOW, AHT) == tally.figures(NOW, AHT)


def test_given_an_agent_changes_then_only_the_queues_they_serve_and_served_are_reported() -> None:
    tally = FiguresTally(QUEUES)
    agent = Agent(agent_id="a1", contact="x", skills={"general": 1}, status=AgentStatus.AVAILABLE)
    assert tally.put_agent("a1", agent) == ("general",)
    assert tally.put_agent("a1", agent) == ()
    moved = Agent(agent_id="a1", contact="x", skills={"traffic": 1}, status=AgentStatus.AVAILABLE)
    assert tally.put_agent("a1", moved) == ("general", "traffic")
    call = Call(call_id="c1", queue="enterprise", caller="1", channel="x", entered_at=990.0)
    assert tally.put_call("c1", call) == ("enterprise",)
    assert tally.put_call("c1", None) == ("enterprise",)
    assert tally.put_call("c1", None) == ()


def test_estimated_wait_is_the_acds_wait_at_the_next_place_in_line() -> None:
    assert estimated_wait(waiting=0, ready=2, staffed=5, aht_s=180.0) == 0.0
    assert estimated_wait(waiting=0, ready=0, staffed=4, aht_s=180.0) == 45.0
    assert estimated_wait(waiting=9, ready=0, staffed=4, aht_s=180.0) == 450.0
    assert estimated_wait(waiting=3, ready=0, staffed=0, aht_s=180.0) is None
