"""chat.router: which waiting chat goes to which agent already on chats (pure, no store)."""

from __future__ import annotations

from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from acd.overflow import Routing
from chat.router import JoinOffer, pick_joins

QUEUES = [QueueConfig("general", skill="general"), QueueConfig("accessibility", skill="sign_language")]
ROUTING = Routing(QUEUES)


def agent(
    agent_id: str, current: str | None, *, skills: dict[str, int] | None = None, paused: bool = False
) -> Agent:
    return Agent(
        agent_id=agent_id,
        contact=f"PJSIP/{agent_id}",
        skills=skills or {"general": 1},
        status=AgentStatus.PAUSED if paused else AgentStatus.AVAILABLE,
        state=AgentState.ON_CALL if current else AgentState.IDLE,
        current_call_id=current,
    )


def call(
    call_id: str,
    *,
    state: CallState = CallState.WAITING,
    agent_id: str | None = None,
    chat: bool = True,
    queue: str = "general",
    at: float = 0.0,
    priority: int = 0,
) -> Call:
    return Call(
        call_id=call_id,
        queue=queue,
        caller="",
        channel=f"chat/{call_id}",
        entered_at=at,
        priority=priority,
        state=state,
        agent_id=agent_id,
        attrs={"tags": "chat"} if chat else {},
    )


def picks(
    agents: list[Agent],
    calls: list[Call],
    *,
    limit: int = 3,
    pending: dict[str, str] | None = None,
    declined: dict[str, frozenset[str]] | None = None,
) -> list[JoinOffer]:
    return pick_joins(
        agents=agents,
        calls=calls,
        limit=limit,
        pending=pending or {},
        declined=declined or {},
        entry_tiers=ROUTING.entry_tiers,
    )


def test_given_agents_on_chats_when_chats_wait_then_the_least_loaded_qualified_one_gets_each_in_order() -> (
    None
):
    a1, a2 = agent("a1", "c1"), agent("a2", "c2")
    held = [
        call("c1", state=CallState.CONNECTED, agent_id="a1"),
        call("c2", state=CallState.CONNECTED, agent_id="a2"),
        call("c3", state=CallState.CONNECTED, agent_id="a1"),
    ]
    waiting = [call("w-late", at=5.0), call("w-early", at=1.0), call("w-vip", at=9.0, priority=5)]
    assert picks([a1, a2], held + waiting) == [
        JoinOffer("w-vip", "a2"),
        JoinOffer("w-early", "a1"),
        JoinOffer("w-late", "a2"),
    ]


def test_given_the_limit_offers_and_refusals_when_picking_then_nobody_goes_over_it() -> None:
    a1 = agent("a1", "c1")
    held = [call("c1", state=CallState.CONNECTED, agent_id="a1")]
    assert picks([a1], [*held, call("w1"), call("w2")], limit=2, pending={"p1": "a1"}) == []
    assert picks([a1], [*held, call("w1"), call("w2")], limit=3) == [
        JoinOffer("w1", "a1"),
        JoinOffer("w2", "a1"),
    ]
    assert picks([a1], [*held, call("w1")], declined={"w1": frozenset({"a1"})}) == []
    assert picks([a1], [*held, call("w1")], pending={"w1": "a1"}) == []


def test_given_agents_not_on_chats_or_unqualified_when_picking_then_they_get_none() -> None:
    on_phone = agent("a1", "v1")
    paused = agent("a2", "c2", paused=True)
    idle = agent("a3", None)
    signer_only = agent("a4", "c4", skills={"sign_language": 1})
    calls = [
        call("v1", state=CallState.CONNECTED, agent_id="a1", chat=False),
        call("c2", state=CallState.CONNECTED, agent_id="a2"),
        call("c4", state=CallState.CONNECTED, agent_id="a4"),
        call("w1"),
        call("w-phone", chat=False),
    ]
    assert picks([on_phone, paused, idle, signer_only], calls) == []
    assert picks([signer_only], [*calls, call("w2", queue="accessibility")]) == [JoinOffer("w2", "a4")]
