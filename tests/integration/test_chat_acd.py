"""Chats in the ACD engine on its real stores (in-process and Redis): the capacity rule of acd.chats."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from acd.commands import AcdCommand, OfferCall
from acd.engine import AcdEngine
from acd.errors import IllegalTransition
from acd.events import (
    AgentLoggedIn,
    AgentReady,
    CallQueued,
    ChatFinished,
    ChatJoined,
    OfferAnswered,
)
from acd.model import AgentState, CallState, QueueConfig
from acd.store import AcdStore, MemoryStore
from acd.store_redis import RedisStore

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHAT = {"tags": "chat"}


@pytest.fixture(params=["memory", "redis"])
def engine(request: pytest.FixtureRequest) -> Iterator[AcdEngine]:
    store: AcdStore
    if request.param == "memory":
        store = MemoryStore()
    else:
        store = RedisStore.from_url(REDIS_URL, prefix=f"test:chat:{secrets.token_hex(6)}")
    queues = [QueueConfig("general", skill="general", wrapup_seconds=5.0)]
    yield AcdEngine(queues=queues, store=store)
    if isinstance(store, RedisStore):
        store.clear()
        store.r.close()


def offers(commands: list[AcdCommand]) -> list[OfferCall]:
    return [c for c in commands if isinstance(c, OfferCall)]


def sign_in(engine: AcdEngine, agent_id: str, now: float) -> None:
    engine.handle(AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", {"general": 1}), now)
    engine.handle(AgentReady(agent_id), now)


def chat(call_id: str) -> CallQueued:
    return CallQueued(call_id, "general", "", f"chat/{call_id}", attrs=CHAT)


def test_given_an_agent_holding_a_chat_when_a_call_waits_then_it_is_not_offered(engine: AcdEngine) -> None:
    sign_in(engine, "a1", 0.0)
    first = offers(engine.handle(chat("c1"), 1.0))
    assert [(o.call_id, o.agent_id) for o in first] == [("c1", "a1")]
    engine.handle(OfferAnswered("c1", "a1"), 2.0)
    voice = engine.handle(CallQueued("v1", "general", "13800000000", "PJSIP/trunk-1"), 3.0)
    assert offers(voice) == []
    assert engine.store.get_call("v1") is not None
    assert engine.store.get_call("v1").state is CallState.WAITING  # type: ignore[union-attr]
    agent = engine.store.get_agent("a1")
    assert agent is not None
    assert agent.state is AgentState.ON_CALL
    assert agent.current_call_id == "c1"
    engine.handle(ChatFinished("c1"), 10.0)
    assert engine.store.get_agent("a1").state is AgentState.WRAP_UP  # type: ignore[union-attr]
    after = offers(engine.handle(AgentReady("a1"), 11.0))
    assert [(o.call_id, o.channel) for o in after] == [("v1", "PJSIP/trunk-1")]


def test_given_two_chats_held_when_one_ends_then_the_agent_stays_on_the_other(engine: AcdEngine) -> None:
    sign_in(engine, "a1", 0.0)
    engine.handle(chat("c1"), 1.0)
    engine.handle(OfferAnswered("c1", "a1"), 2.0)
    assert offers(engine.handle(chat("c2"), 3.0)) == []  # waits: more chats come through ChatJoined
    engine.handle(ChatJoined("c2", "a1"), 4.0)
    joined = engine.store.get_call("c2")
    assert joined is not None
    assert joined.state is CallState.CONNECTED
    assert joined.agent_id == "a1"
    engine.handle(ChatFinished("c1", still_held=("c2",)), 5.0)
    agent = engine.store.get_agent("a1")
    assert agent is not None
    assert agent.state is AgentState.ON_CALL
    assert agent.current_call_id == "c2"
    assert offers(engine.handle(CallQueued("v1", "general", "138", "PJSIP/t-1"), 6.0)) == []
    engine.handle(ChatFinished("c2"), 7.0)
    assert engine.store.get_agent("a1").state is AgentState.WRAP_UP  # type: ignore[union-attr]


def test_given_a_voice_call_or_a_free_agent_when_joining_then_refused(engine: AcdEngine) -> None:
    sign_in(engine, "a1", 0.0)
    engine.handle(chat("c1"), 1.0)
    engine.handle(AgentLoggedIn("a2", "PJSIP/a2", {"general": 1}), 1.0)
    engine.handle(chat("c2"), 2.0)
    with pytest.raises(IllegalTransition):
        engine.handle(ChatJoined("c2", "a2"), 3.0)  # a2 holds no chat (and is not available)
    engine.handle(OfferAnswered("c1", "a1"), 4.0)
    engine.handle(CallQueued("v1", "general", "138", "PJSIP/t-1"), 5.0)
    with pytest.raises(IllegalTransition):
        engine.handle(ChatJoined("v1", "a1"), 6.0)  # a voice call is never joined as a chat
    assert engine.store.get_call("v1").state is CallState.WAITING  # type: ignore[union-attr]
    assert engine.store.get_call("c2").state is CallState.WAITING  # type: ignore[union-attr]
