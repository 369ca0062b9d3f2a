"""Every path through the ACD engine, one scenario each, with a fake clock passed as ``now``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from acd.commands import AcdCommand, AgentChanged, CallChanged, OfferCall, QueueChanged, ScheduleTick
from acd.engine import AcdEngine
from acd.errors import IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue, UnknownStrategy
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallAbandoned,
    CallFinished,
    CallQueued,
    OfferAnswered,
    OfferFailed,
    Tick,
)
from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from acd.store import MemoryStore

QUEUES = [
    QueueConfig("tax", "tax", wrapup_seconds=10.0),
    QueueConfig("social", "social", wrapup_seconds=0.0),
]


class Centre:
    """An engine plus a clock, with shorthands for the common moves."""

    def __init__(self, queues: list[QueueConfig] | None = None, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()
        self.engine = AcdEngine(queues=queues or QUEUES, store=self.store)
        self.now = 1000.0

    def do(self, event: AcdEvent, *, at: float | None = None) -> list[AcdCommand]:
        if at is not None:
            self.now = at
        return self.engine.handle(event, self.now)

    def ready_agent(self, agent_id: str, *skills: str) -> list[AcdCommand]:
        self.do(AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", dict.fromkeys(skills or ("tax",), 1)))
        return self.do(AgentReady(agent_id))

    def queue(self, call_id: str, queue: str = "tax", priority: int = 0) -> list[AcdCommand]:
        return self.do(CallQueued(call_id, queue, "13800000000", f"PJSIP/trunk-{call_id}", priority))

    def agent(self, agent_id: str) -> Agent:
        agent = self.store.get_agent(agent_id)
        assert agent is not None
        return agent

    def call(self, call_id: str) -> Call:
        call = self.store.get_call(call_id)
        assert call is not None
        return call


def offers(commands: list[AcdCommand]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in commands if isinstance(c, OfferCall)]


def of_type(commands: list[AcdCommand], kind: type[AcdCommand]) -> list[AcdCommand]:
    return [c for c in commands if isinstance(c, kind)]


@pytest.fixture
def centre() -> Centre:
    return Centre()


def test_given_new_agent_when_logged_in_then_paused_for_login_and_not_offered(centre: Centre) -> None:
    centre.queue("c1")
    commands = centre.do(AgentLoggedIn("a1", "PJSIP/1001", {"tax": 3}))
    assert commands == [AgentChanged("a1", AgentStatus.PAUSED, AgentState.IDLE, "login")]
    assert centre.call("c1").state is CallState.WAITING


def test_given_waiting_call_when_agent_ready_then_offered_with_screen_pop_data(centre: Centre) -> None:
    centre.do(CallQueued("c1", "tax", "13800000000", "PJSIP/trunk-1", attrs={"keys": "12"}), at=1000.0)
    centre.do(AgentLoggedIn("a1", "PJSIP/1001", {"tax": 1}))
    commands = centre.do(AgentReady("a1"), at=1004.0)
    assert (
        OfferCall("c1", "a1", "PJSIP/1001", "tax", "13800000000", "PJSIP/trunk-1", 4.0, {"keys": "12"})
        in commands
    )
    assert AgentChanged("a1", AgentStatus.AVAILABLE, AgentState.OFFERED, None) in commands
    assert CallChanged("c1", CallState.OFFERED, "tax", "a1", "offered", 4.0) in commands
    assert commands[-1] == QueueChanged("tax", waiting=0, available_agents=0)
    assert (centre.agent("a1").offered_call_id, centre.call("c1").agent_id) == ("c1", "a1")


def test_given_offer_when_answered_finished_and_ticked_then_wrap_up_runs_its_time(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.queue("c1")
    answered = centre.do(OfferAnswered("c1", "a1"), at=1003.0)
    assert CallChanged("c1", CallState.CONNECTED, "tax", "a1", "answered", 3.0) in answered
    assert centre.agent("a1").state is AgentState.ON_CALL
    finished = centre.do(CallFinished("c1"), at=1060.0)
    assert ScheduleTick(at=1070.0) in finished
    assert CallChanged("c1", CallState.ENDED, "tax", "a1", "finished", 3.0) in finished
    assert centre.store.get_call("c1") is None
    agent = centre.agent("a1")
    assert (agent.state, agent.wrapup_until, agent.calls_handled) == (AgentState.WRAP_UP, 1070.0, 1)
    centre.queue("c2")
    assert centre.do(Tick(), at=1069.9) == [ScheduleTick(at=1070.0)], "an early tick asks again"
    commands = centre.do(Tick(), at=1070.0)
    assert offers(commands) == [("c2", "a1")]
    assert commands[0] == AgentChanged("a1", AgentStatus.AVAILABLE, AgentState.IDLE, None)


def test_given_wrap_up_when_agent_ready_then_it_ends_early_and_takes_a_call(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.queue("c1")
    centre.do(OfferAnswered("c1", "a1"))
    centre.do(CallFinished("c1"))
    centre.queue("c2")
    assert centre.agent("a1").state is AgentState.WRAP_UP
    commands = centre.do(AgentReady("a1"), at=centre.now + 1)
    assert offers(commands) == [("c2", "a1")]
    assert centre.agent("a1").wrapup_until is None


def test_given_zero_wrap_up_queue_when_call_finishes_then_agent_idle_at_once(centre: Centre) -> None:
    centre.ready_agent("a1", "social")
    centre.queue("c1", "social")
    centre.do(OfferAnswered("c1", "a1"))
    commands = centre.do(CallFinished("c1"))
    states = [c.state for c in of_type(commands, AgentChanged) if isinstance(c, AgentChanged)]
    assert states == [AgentState.WRAP_UP, AgentState.IDLE]
    assert of_type(commands, ScheduleTick) == []


def test_given_offer_not_answered_when_failed_then_rona_pauses_agent_and_call_returns_to_head(
    centre: Centre,
) -> None:
    centre.ready_agent("a1")
    centre.do(CallQueued("c1", "tax", "110", "PJSIP/t-1"), at=1000.0)
    centre.do(CallQueued("c2", "tax", "120", "PJSIP/t-2"), at=1005.0)
    centre.do(AgentLoggedIn("a2", "PJSIP/a2", {"tax": 1}), at=1006.0)
    commands = centre.do(OfferFailed("c1", "a1", "no_answer:3"), at=1020.0)
    assert AgentChanged("a1", AgentStatus.PAUSED, AgentState.IDLE, "no answer") in commands
    assert CallChanged("c1", CallState.WAITING, "tax", None, "requeued", 20.0) in commands
    assert centre.call("c1").entered_at == 1000.0
    assert [c.call_id for c in centre.store.waiting_calls("tax")] == ["c1", "c2"]
    commands = centre.do(AgentReady("a2"), at=1021.0)
    offer = of_type(commands, OfferCall)[0]
    assert isinstance(offer, OfferCall)
    assert (offer.call_id, offer.agent_id, offer.waited_s) == ("c1", "a2", 21.0)


def test_given_agent_paused_while_ringing_when_offer_fails_then_chosen_reason_kept(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.queue("c1")
    centre.do(AgentPaused("a1", "就餐"))
    assert centre.agent("a1").state is AgentState.OFFERED
    centre.do(OfferFailed("c1", "a1", "busy"))
    assert (centre.agent("a1").status, centre.agent("a1").pause_reason) == (AgentStatus.PAUSED, "就餐")


def test_given_offered_call_when_caller_abandons_then_agent_freed_for_next_call(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.queue("c1")
    centre.queue("c2")
    commands = centre.do(CallAbandoned("c1"), at=1012.0)
    assert CallChanged("c1", CallState.ENDED, "tax", "a1", "abandoned", 12.0) in commands
    assert offers(commands) == [("c2", "a1")]
    assert centre.store.get_call("c1") is None
    with pytest.raises(UnknownCall):
        centre.do(OfferAnswered("c1", "a1"))


def test_given_waiting_call_when_abandoned_then_removed_from_queue(centre: Centre) -> None:
    centre.queue("c1")
    commands = centre.do(CallAbandoned("c1"), at=1030.0)
    assert commands == [
        CallChanged("c1", CallState.ENDED, "tax", None, "abandoned", 30.0),
        QueueChanged("tax", waiting=0, available_agents=0),
    ]
    assert centre.store.count_waiting("tax") == 0


def test_priority_first_then_fifo_within_a_priority(centre: Centre) -> None:
    for n, (call_id, priority) in enumerate([("low1", 0), ("high1", 2), ("low2", 0), ("high2", 2)]):
        centre.do(CallQueued(call_id, "tax", "1", "ch", priority), at=1000.0 + n)
    order = []
    for n in range(4):
        order += [call for call, _ in offers(centre.ready_agent(f"a{n}"))]
    assert order == ["high1", "high2", "low1", "low2"]


def test_longest_idle_agent_is_offered_first(centre: Centre) -> None:
    centre.do(AgentLoggedIn("a1", "p1", {"tax": 1}), at=1000.0)
    centre.do(AgentLoggedIn("a2", "p2", {"tax": 1}), at=1001.0)
    centre.do(AgentReady("a2"), at=1002.0)
    centre.do(AgentReady("a1"), at=1003.0)
    assert offers(centre.queue("c1")) == [("c1", "a1")]


def test_given_agent_with_two_skills_then_longest_waiting_call_across_queues_wins(centre: Centre) -> None:
    centre.do(CallQueued("social-1", "social", "1", "ch"), at=1000.0)
    centre.do(CallQueued("tax-1", "tax", "1", "ch", priority=5), at=1001.0)
    commands = centre.ready_agent("a1", "tax", "social")
    assert offers(commands) == [("social-1", "a1")]
    assert {c.queue for c in of_type(commands, QueueChanged) if isinstance(c, QueueChanged)} == {
        "tax",
        "social",
    }


def test_given_agent_on_call_when_logging_out_then_refused_and_nothing_changes(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.queue("c1")
    centre.do(OfferAnswered("c1", "a1"))
    before = centre.engine.snapshot()
    with pytest.raises(IllegalTransition) as info:
        centre.do(AgentLoggedOut("a1"))
    assert info.value.details["trigger"] == "logout"
    assert centre.engine.snapshot() == before
    centre.do(CallFinished("c1"))
    commands = centre.do(AgentLoggedOut("a1"))
    assert commands == [AgentChanged("a1", AgentStatus.LOGGED_OUT, AgentState.IDLE, None)]
    assert centre.store.wrapups_due(centre.now + 100) == []


def test_given_pause_during_call_then_wrap_up_follows_and_no_offer_after(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.queue("c1")
    centre.do(OfferAnswered("c1", "a1"))
    commands = centre.do(AgentPaused("a1", "培训"))
    assert commands == [AgentChanged("a1", AgentStatus.PAUSED, AgentState.ON_CALL, "培训")]
    centre.queue("c2")
    centre.do(CallFinished("c1"))
    assert centre.agent("a1").state is AgentState.WRAP_UP
    commands = centre.do(Tick(), at=centre.now + 10)
    assert commands == [AgentChanged("a1", AgentStatus.PAUSED, AgentState.IDLE, "培训")]
    assert centre.call("c2").state is CallState.WAITING


def test_given_logged_out_agent_when_logging_in_again_then_new_skills_apply(centre: Centre) -> None:
    centre.ready_agent("a1", "tax")
    centre.do(AgentLoggedOut("a1"))
    centre.queue("s1", "social")
    centre.do(AgentLoggedIn("a1", "PJSIP/new", {"social": 1}))
    assert offers(centre.do(AgentReady("a1"))) == [("s1", "a1")]
    assert centre.agent("a1").contact == "PJSIP/new"


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (AgentReady("ghost"), UnknownAgent),
        (AgentPaused("ghost", "小休"), UnknownAgent),
        (CallAbandoned("ghost"), UnknownCall),
        (CallFinished("c1"), IllegalTransition),
        (CallQueued("c1", "tax", "1", "ch"), IllegalTransition),
        (CallQueued("c9", "nowhere", "1", "ch"), UnknownQueue),
        (OfferAnswered("c1", "a2"), IllegalTransition),
        (OfferFailed("c1", "a2", "x"), IllegalTransition),
        (OfferAnswered("c1", "ghost"), UnknownAgent),
        (AgentLoggedIn("a1", "p", {}), IllegalTransition),
    ],
)
def test_refused_events_raise_typed_errors_and_change_nothing(
    centre: Centre, event: AcdEvent, error: type[Exception]
) -> None:
    centre.ready_agent("a1")
    centre.ready_agent("a2")
    centre.queue("c1")
    before = centre.engine.snapshot()
    with pytest.raises(error):
        centre.do(event)
    assert centre.engine.snapshot() == before


def test_error_ids_are_stable() -> None:
    assert [e("m").error_id for e in (IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue)] == [
        "illegal_transition",
        "unknown_agent",
        "unknown_call",
        "unknown_queue",
    ]


@pytest.mark.parametrize(("strategy", "chosen"), [("fewest_calls", "fresh"), ("longest_idle", "busy")])
def test_strategy_decides_between_longest_idle_and_least_busy_agent(strategy: str, chosen: str) -> None:
    centre = Centre([QueueConfig("tax", "tax", wrapup_seconds=0.0, strategy=strategy)])
    centre.ready_agent("busy")
    centre.queue("c1")
    centre.do(OfferAnswered("c1", "busy"))
    centre.do(CallFinished("c1"), at=1000.0)
    centre.do(AgentLoggedIn("fresh", "p", {"tax": 1}), at=1010.0)
    centre.do(AgentReady("fresh"))
    assert offers(centre.queue("c2")) == [("c2", chosen)]


def test_unknown_strategy_is_refused_at_construction() -> None:
    with pytest.raises(UnknownStrategy):
        AcdEngine(queues=[QueueConfig("q", "s", strategy="random_walk")], store=MemoryStore())


def test_given_store_with_state_when_engine_starts_then_first_event_matches_everything() -> None:
    store = MemoryStore()
    store.put_agent(Agent("a1", "p1", {"tax": 1}, AgentStatus.AVAILABLE, AgentState.IDLE))
    store.put_call(Call("c1", "tax", "1", "ch", entered_at=5.0))
    centre = Centre(store=store)
    assert offers(centre.do(Tick())) == [("c1", "a1")]


class NoScanStore(MemoryStore):
    """A store that fails the test if matching ever scans all agents or calls."""

    def iter_agents(self) -> Iterator[Agent]:
        raise AssertionError("matching scanned every agent")

    def iter_calls(self) -> Iterator[Call]:
        raise AssertionError("matching scanned every call")


def test_matching_uses_indexes_not_scans_in_a_large_centre() -> None:
    queues = [QueueConfig(f"q{n}", f"s{n}", wrapup_seconds=1.0) for n in range(50)]
    centre = Centre(queues, store=NoScanStore())
    for n in range(2000):
        centre.do(AgentLoggedIn(f"a{n}", "p", {f"s{n % 50}": 1, f"s{(n * 7) % 50}": 1}))
    for n in range(10_000):
        centre.do(CallQueued(f"c{n}", f"q{n % 50}", "1", "ch", priority=n % 3), at=1000.0 + n * 0.01)
    offered = [offers(centre.do(AgentReady(f"a{n}"))) for n in range(2000)]
    assert all(len(o) == 1 for o in offered)
    assert sum(centre.store.count_waiting(q.name) for q in queues) == 8000


def test_snapshot_is_json_able(centre: Centre) -> None:
    centre.ready_agent("a1")
    centre.do(CallQueued("c1", "tax", "1", "ch", attrs={"keys": "3"}))
    centre.queue("c2", "social")
    snapshot = json.loads(json.dumps(centre.engine.snapshot()))
    assert [a["state"] for a in snapshot["agents"]] == ["offered"]
    assert [c["state"] for c in snapshot["calls"]] == ["offered", "waiting"]
    assert snapshot["queues"][1] == {
        "queue": "social",
        "skill": "social",
        "strategy": "longest_idle",
        "wrapup_seconds": 0.0,
        "waiting": 1,
        "available_agents": 0,
        "surge_skills": [],
    }


def test_given_transfer_to_named_agent_when_that_agent_ready_then_offered_to_them_not_longest_idle(
    centre: Centre,
) -> None:
    centre.ready_agent("longest-idle", "tax")
    centre.ready_agent("named", "social")
    commands = centre.do(CallQueued("c1", "tax", "1", "ch", priority=4, target_agent="named"), at=1010.0)
    assert offers(commands) == [("c1", "named")]
    assert centre.agent("longest-idle").state is AgentState.IDLE


def test_given_transfer_to_named_agent_when_that_agent_paused_then_call_waits_for_the_queue(
    centre: Centre,
) -> None:
    centre.ready_agent("named", "tax")
    centre.do(AgentPaused("named", "小休"))
    commands = centre.do(CallQueued("c1", "tax", "1", "ch", target_agent="named"))
    assert offers(commands) == []
    assert offers(centre.ready_agent("other", "tax")) == [("c1", "other")]


def test_given_transfer_to_named_agent_when_they_do_not_answer_then_the_queue_takes_it(
    centre: Centre,
) -> None:
    centre.ready_agent("named", "social")
    centre.do(CallQueued("c1", "tax", "1", "ch", target_agent="named"))
    centre.ready_agent("other", "tax")
    commands = centre.do(OfferFailed("c1", "named", "no_answer"))
    assert offers(commands) == [("c1", "other")]
    assert centre.agent("named").pause_reason == "no answer"
