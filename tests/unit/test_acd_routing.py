"""Skill levels, bullseye overflow, maximum wait exits, callbacks, surge mode, priority classes and
pause reasons, one scenario each, with a fake clock passed as ``now``."""

from __future__ import annotations

import pytest

from acd.commands import (
    AcdCommand,
    AgentChanged,
    CallChanged,
    ExitCall,
    OfferCall,
    OfferCallback,
    QueueChanged,
    ScheduleTick,
)
from acd.engine import AcdEngine
from acd.errors import IllegalTransition, InvalidConfig, UnknownPauseReason, UnknownQueue
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentPaused,
    AgentReady,
    CallAbandoned,
    CallbackCancelled,
    CallbackRequested,
    CallFinished,
    CallQueued,
    OfferAnswered,
    OfferFailed,
    SurgeMode,
    Tick,
)
from acd.model import AcdPolicy, AgentState, AgentStatus, CallState, MaxWait, OverflowStep, QueueConfig
from acd.store import MemoryStore


class Centre:
    """An engine over a MemoryStore plus a clock."""

    def __init__(self, queues: list[QueueConfig], policy: AcdPolicy | None = None) -> None:
        self.store = MemoryStore()
        self.engine = AcdEngine(queues=queues, store=self.store, policy=policy)
        self.now = 0.0

    def do(self, event: AcdEvent, *, at: float | None = None) -> list[AcdCommand]:
        if at is not None:
            self.now = at
        return self.engine.handle(event, self.now)

    def ready_agent(self, agent_id: str, **skills: int) -> list[AcdCommand]:
        self.do(AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", skills))
        return self.do(AgentReady(agent_id))

    def queue(self, call_id: str, queue: str, priority: int = 0, cls: str | None = None) -> list[AcdCommand]:
        return self.do(
            CallQueued(call_id, queue, "13800000000", f"ch-{call_id}", priority, priority_class=cls)
        )


def offers(commands: list[AcdCommand]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in commands if isinstance(c, OfferCall | OfferCallback)]


BULLSEYE = QueueConfig(
    "tax",
    "tax",
    min_level=3,
    overflow=(OverflowStep(30.0, min_level=1), OverflowStep(60.0, skills=("general",))),
)
GENERAL = QueueConfig("general", "general")


def test_given_bullseye_queue_when_only_a_junior_is_ready_then_offered_only_after_the_step() -> None:
    centre = Centre([BULLSEYE, GENERAL])
    centre.ready_agent("junior", tax=1)
    queued = centre.queue("c1", "tax")
    assert offers(queued) == []
    assert ScheduleTick(at=30.0) in queued
    assert offers(centre.do(Tick(), at=29.9)) == []
    ticked = centre.do(Tick(), at=30.0)
    assert offers(ticked) == [("c1", "junior")]
    assert CallChanged("c1", CallState.WAITING, "tax", None, "overflowed", 30.0) in ticked


def test_given_senior_ready_then_served_at_once_and_level_first_strategy_prefers_level() -> None:
    queue = QueueConfig("tax", "tax", min_level=1, strategy="skill_level_first")
    centre = Centre([queue])
    centre.ready_agent("l1", tax=1)
    centre.ready_agent("l3", tax=3)
    centre.ready_agent("l2", tax=2)
    assert offers(centre.queue("c1", "tax")) == [("c1", "l3")]
    assert offers(centre.queue("c2", "tax")) == [("c2", "l2")]


def test_given_last_step_then_other_skill_groups_take_the_call() -> None:
    centre = Centre([BULLSEYE, GENERAL])
    centre.ready_agent("generalist", general=1)
    centre.queue("c1", "tax")
    assert offers(centre.do(Tick(), at=30.0)) == []
    assert offers(centre.do(Tick(), at=60.0)) == [("c1", "generalist")]


def test_given_old_low_priority_call_at_wider_tier_then_it_goes_before_a_new_vip_the_agent_cannot_take() -> (
    None
):
    centre = Centre([BULLSEYE, GENERAL])
    centre.queue("old", "tax")
    centre.do(Tick(), at=31.0)
    centre.queue("vip", "tax", priority=9)
    assert offers(centre.ready_agent("junior", tax=1)) == [("old", "junior")]
    assert offers(centre.ready_agent("senior", tax=3)) == [("vip", "senior")]


def test_given_call_that_overflowed_while_ringing_when_offer_fails_then_its_tier_is_current() -> None:
    centre = Centre([BULLSEYE, GENERAL])
    centre.ready_agent("senior", tax=3)
    centre.queue("c1", "tax")
    centre.do(AgentLoggedIn("junior", "PJSIP/j", {"tax": 1}), at=1.0)
    centre.do(AgentReady("junior"))
    commands = centre.do(OfferFailed("c1", "senior", "no_answer"), at=40.0)
    assert offers(commands) == [("c1", "junior")]


def test_given_max_wait_to_voicemail_then_exit_command_and_call_ends() -> None:
    queue = QueueConfig("tax", "tax", max_wait=MaxWait(120.0, "voicemail", "tax-orders"))
    centre = Centre([queue])
    assert ScheduleTick(at=120.0) in centre.queue("c1", "tax")
    commands = centre.do(Tick(), at=120.0)
    assert ExitCall("c1", "tax", "voicemail", "tax-orders", "ch-c1", "13800000000", 120.0) in commands
    assert CallChanged("c1", CallState.ENDED, "tax", None, "exited", 120.0) in commands
    assert centre.store.get_call("c1") is None


def test_given_max_wait_to_another_queue_then_moved_keeping_its_place() -> None:
    queues = [QueueConfig("tax", "tax", max_wait=MaxWait(60.0, "queue", "general")), GENERAL]
    centre = Centre(queues)
    centre.queue("c1", "tax")
    centre.do(CallQueued("g1", "general", "1", "ch-g1"), at=10.0)
    commands = centre.do(Tick(), at=60.0)
    assert ExitCall("c1", "tax", "queue", "general", "ch-c1", "13800000000", 60.0) in commands
    assert {c.queue for c in commands if isinstance(c, QueueChanged)} == {"tax", "general"}
    assert offers(centre.ready_agent("g", general=1)) == [("c1", "g")]


def test_given_max_wait_to_callback_then_entry_keeps_place_and_offers_a_callback() -> None:
    queue = QueueConfig("tax", "tax", max_wait=MaxWait(60.0, "callback"))
    centre = Centre([queue])
    centre.queue("c1", "tax")
    centre.do(CallQueued("c2", "tax", "2", "ch-c2"), at=1.0)
    commands = centre.do(Tick(), at=60.0)
    assert [c.target_kind for c in commands if isinstance(c, ExitCall)] == ["callback"]
    centre.do(Tick(), at=61.0)
    commands = centre.ready_agent("a1", tax=1)
    assert [c for c in commands if isinstance(c, OfferCallback)] == [
        OfferCallback("c1", "a1", "PJSIP/a1", "tax", "13800000000", 61.0, {})
    ]


def test_given_max_wait_to_callback_when_number_withheld_or_consultation_then_no_exit_and_no_timer() -> None:
    queue = QueueConfig("tax", "tax", max_wait=MaxWait(60.0, "callback"))
    centre = Centre([queue])
    queued = centre.do(CallQueued("anon", "tax", "anonymous", "ch-anon"), at=0.0)
    queued += centre.do(CallQueued("plus", "tax", "+8613800000000", "ch-plus"), at=0.0)
    queued += centre.do(
        CallQueued("desk", "tax", "13800000000", "ch-desk", attrs={"tags": "vip,consult"}), at=0.0
    )
    assert not [c for c in queued if isinstance(c, ScheduleTick)]
    commands = centre.do(Tick(), at=3600.0)
    assert not [c for c in commands if isinstance(c, ExitCall)]
    assert {centre.store.get_call(c).state for c in ("anon", "plus", "desk")} == {CallState.WAITING}  # type: ignore[union-attr]
    assert offers(centre.ready_agent("a1", tax=1)) == [("anon", "a1")]


def test_callback_request_keeps_place_refuses_abandon_and_can_be_cancelled() -> None:
    centre = Centre([GENERAL])
    centre.queue("c1", "general")
    centre.queue("c2", "general")
    commands = centre.do(CallbackRequested("c1", "13900000000"), at=5.0)
    assert commands == [CallChanged("c1", CallState.WAITING, "general", None, "callback", 5.0)]
    with pytest.raises(IllegalTransition):
        centre.do(CallAbandoned("c1"))
    with pytest.raises(IllegalTransition):
        centre.do(CallbackRequested("c1"))
    with pytest.raises(IllegalTransition):
        centre.do(CallbackCancelled("c2"))
    offered = centre.ready_agent("a1", general=1)
    assert next(c for c in offered if isinstance(c, OfferCallback)).number == "13900000000"
    centre.do(OfferAnswered("c1", "a1"))
    centre.do(CallFinished("c1"))
    centre.do(CallbackRequested("c2"))
    ended = centre.do(CallbackCancelled("c2"))
    assert CallChanged("c2", CallState.ENDED, "general", None, "callback_cancelled", 5.0) in ended


def test_surge_mode_opens_and_closes_extra_groups() -> None:
    queue = QueueConfig("tax", "tax", surge_skills=("backoffice",))
    centre = Centre([queue])
    centre.ready_agent("b1", backoffice=1)
    centre.queue("c1", "tax")
    assert offers(centre.do(SurgeMode(on=True))) == [("c1", "b1")]
    centre.do(SurgeMode(on=False, queues=("tax",)))
    centre.ready_agent("b2", backoffice=1)
    assert offers(centre.queue("c2", "tax")) == []
    assert offers(centre.do(SurgeMode(on=True, queues=("tax",), skills=("backoffice",)))) == [("c2", "b2")]
    with pytest.raises(UnknownQueue):
        centre.do(SurgeMode(on=True, queues=("nowhere",)))


def test_priority_class_maps_to_a_priority_and_jumps_the_line() -> None:
    centre = Centre([GENERAL], AcdPolicy(priority_classes={"elderly": 5, "vip": 8}))
    centre.queue("plain", "general")
    centre.queue("old", "general", cls="elderly")
    centre.queue("odd", "general", priority=2, cls="unknown-class")
    assert [c.call_id for c in centre.store.waiting_calls("general")] == ["old", "odd", "plain"]
    assert centre.engine.position("plain")[0] == 3


def test_pause_reason_must_be_configured() -> None:
    centre = Centre([GENERAL], AcdPolicy(pause_reasons=("小休", "培训")))
    centre.ready_agent("a1", general=1)
    before = centre.engine.snapshot()
    with pytest.raises(UnknownPauseReason) as info:
        centre.do(AgentPaused("a1", "打游戏"))
    assert info.value.details["known"] == ["小休", "培训"]
    assert centre.engine.snapshot() == before
    paused = centre.do(AgentPaused("a1", "培训"))
    assert paused[0] == AgentChanged("a1", AgentStatus.PAUSED, AgentState.IDLE, "培训")


@pytest.mark.parametrize(
    ("strategy", "order"),
    [("least_talk_time", ["quiet", "quiet"]), ("round_robin", ["a", "b", "c", "a"])],
)
def test_strategies_remember_talk_time_and_turns(strategy: str, order: list[str]) -> None:
    centre = Centre([QueueConfig("q", "s", wrapup_seconds=0.0, strategy=strategy)])
    if strategy == "least_talk_time":
        centre.ready_agent("talker", s=1)
        centre.queue("c0", "q")
        centre.do(OfferAnswered("c0", "talker"))
        centre.do(CallFinished("c0"), at=100.0)
        centre.now = 150.0
        centre.ready_agent("quiet", s=1)
    else:
        for agent_id in ("c", "a", "b"):
            centre.ready_agent(agent_id, s=1)
    picked = []
    for n in range(len(order)):
        (call_id, agent_id), *_ = offers(centre.queue(f"n{n}", "q"))
        picked.append(agent_id)
        centre.do(OfferAnswered(call_id, agent_id))
        centre.do(CallFinished(call_id))
    assert picked == order


@pytest.mark.parametrize(
    "queues",
    [
        [QueueConfig("q", "s", overflow=(OverflowStep(30.0), OverflowStep(10.0)))],
        [QueueConfig("q", "s", overflow=(OverflowStep(0.0),))],
        [QueueConfig("q", "s", max_wait=MaxWait(60.0, "queue", "nowhere"))],
        [QueueConfig("q", "s", max_wait=MaxWait(0.0, "voicemail"))],
    ],
)
def test_invalid_routing_config_is_refused(queues: list[QueueConfig]) -> None:
    with pytest.raises(InvalidConfig):
        AcdEngine(queues=queues, store=MemoryStore())
