"""A node's memory of sign-ins and waiting callers, replayed into a store that lost its data."""

from __future__ import annotations

from acd.commands import AgentChanged, CallChanged
from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReady, CallQueued
from acd.model import AgentState, AgentStatus, CallState
from acd.node_memory import NodeMemory
from acd.queue_config import default_queue_configs
from acd.store import MemoryStore


def _call(call_id: str, state: CallState) -> CallChanged:
    return CallChanged(call_id, state, "general", None, "", 0.0)


def test_given_agents_and_callers_when_the_store_is_empty_then_they_are_put_back_as_they_were() -> None:
    memory = NodeMemory()
    for agent_id in ("ready", "paused", "talking", "gone"):
        memory.note_event(
            AgentLoggedIn(agent_id=agent_id, contact=f"PJSIP/{agent_id}", skills={"general": 1})
        )
    memory.note_event(AgentReady(agent_id="ready"))
    memory.note_event(AgentPaused(agent_id="paused", reason="就餐"))
    memory.note_event(AgentReady(agent_id="talking"))
    memory.note_command(AgentChanged("talking", AgentStatus.AVAILABLE, AgentState.ON_CALL, None))
    memory.note_event(AgentLoggedOut(agent_id="gone"))
    for call_id in ("w1", "w2", "talk", "ended"):
        memory.note_event(
            CallQueued(call_id=call_id, queue="general", caller="138", channel=f"PJSIP/{call_id}")
        )
    memory.note_command(_call("talk", CallState.CONNECTED))
    memory.note_command(_call("ended", CallState.ENDED))
    memory.note_command(_call("w2", CallState.OFFERED))
    memory.note_command(_call("w2", CallState.WAITING))

    events = memory.replay(MemoryStore())

    assert events == [
        AgentLoggedIn(agent_id="ready", contact="PJSIP/ready", skills={"general": 1}),
        AgentReady(agent_id="ready"),
        AgentLoggedIn(agent_id="paused", contact="PJSIP/paused", skills={"general": 1}),
        AgentPaused(agent_id="paused", reason="就餐"),
        AgentLoggedIn(agent_id="talking", contact="PJSIP/talking", skills={"general": 1}),
        memory.queued["w1"],
        memory.queued["w2"],
    ]


def test_given_a_store_that_kept_its_data_then_nothing_is_replayed() -> None:
    memory = NodeMemory()
    store = MemoryStore()
    memory.note_event(AgentLoggedIn(agent_id="a", contact="PJSIP/a", skills={"general": 1}))
    memory.note_event(CallQueued(call_id="c", queue="general", caller="138", channel="PJSIP/c"))
    engine = AcdEngine(queues=default_queue_configs(default_wrapup_s=5), store=store)
    engine.handle(AgentLoggedIn(agent_id="a", contact="PJSIP/a", skills={"general": 1}), 1.0)
    engine.handle(CallQueued(call_id="c", queue="general", caller="138", channel="PJSIP/c"), 1.0)

    assert memory.replay(store) == []


def test_given_a_caller_another_node_queued_when_their_channel_hangs_up_then_nothing_is_kept() -> None:
    memory = NodeMemory()
    memory.note_event(CallQueued(call_id="elsewhere", queue="general", caller="138", channel="PJSIP/x"))

    memory.forget_call("elsewhere")

    assert memory.queued == {}
    assert memory.waiting == set()
