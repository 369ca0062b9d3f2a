"""Invariants of the ACD over random event sequences, legal and illegal (hypothesis state machine).

After every event, replaying the returned commands over the state before it must give the state
after it (so every agent and call change is reported), every offer must go to an agent that was
AVAILABLE + IDLE at that moment (never paused, never in wrap-up) and must take the first call in
offer order, within its queue, among those the agent qualifies for (FIFO within a priority class and
tier), and the global invariants below must hold: among them, no caller waits past an overflow step
or maximum wait that is due, nor while a qualified agent is idle. Queues use skill levels, bullseye
steps, a maximum wait to voicemail and to another queue, surge groups and callbacks. A refused event
must raise a typed error and change nothing. A twin engine that never takes the one-step path for an
agent becoming ready (``set_ready_and_offer``) but writes the agent and then matches it, on a store of
its own, must return the same commands and end in the same state after every event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from acd.commands import AcdCommand, AgentChanged, CallChanged, OfferCall, QueueChanged
from acd.core import Run
from acd.engine import AcdEngine
from acd.errors import (
    AcdError,
    IllegalTransition,
    UnknownAgent,
    UnknownCall,
    UnknownPauseReason,
    UnknownQueue,
)
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
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
from acd.model import Agent, AgentState, AgentStatus, Call, MaxWait, OverflowStep, QueueConfig
from acd.store import MemoryStore

AGENTS = ["a1", "a2", "a3", "a4", "a5"]
SKILLS = ["tax", "social", "traffic"]
QUEUES = [
    QueueConfig(
        "tax",
        "tax",
        wrapup_seconds=5.0,
        min_level=2,
        overflow=(OverflowStep(3.0, min_level=1), OverflowStep(8.0, skills=("social",))),
    ),
    QueueConfig("tax_vip", "tax", wrapup_seconds=2.0, strategy="skill_level_first", min_level=3),
    QueueConfig(
        "social",
        "social",
        wrapup_seconds=0.0,
        strategy="fewest_calls",
        max_wait=MaxWait(10.0, "voicemail", "orders"),
    ),
    QueueConfig(
        "traffic",
        "traffic",
        wrapup_seconds=3.0,
        strategy="round_robin",
        surge_skills=("social",),
        max_wait=MaxWait(12.0, "queue", "tax"),
    ),
]
SKILL_OF = {q.name: q.skill for q in QUEUES}
TYPED_ERRORS = (IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue, UnknownPauseReason)

Snapshot = dict[str, Any]


def _contents(store: MemoryStore) -> tuple[list[Agent], list[Call]]:
    """Every agent and call of ``store`` (versions included), by id."""
    agents = sorted(store.iter_agents(), key=lambda a: a.agent_id)
    return agents, sorted(store.iter_calls(), key=lambda c: c.call_id)


class TwoStepEngine(AcdEngine):
    """Writes an agent that becomes ready and then matches it, as ``set_agent`` + ``match`` do."""

    def set_ready_and_offer(self, agent: Agent, run: Run) -> None:
        self.set_agent(agent, AgentStatus.AVAILABLE, AgentState.IDLE, run)


@dataclass
class Replay:
    """Agent and call states rebuilt from the state before an event plus the commands it returned."""

    agents: dict[str, tuple[str, str, str | None]]
    calls: dict[str, str]
    queue_of: dict[str, str] = field(default_factory=dict)
    since: dict[str, float] = field(default_factory=dict)
    offers: list[OfferCall] = field(default_factory=list)
    queue_counts: dict[str, tuple[int, int]] = field(default_factory=dict)


def _replay_start(before: Snapshot) -> Replay:
    return Replay(
        agents={a["agent_id"]: (a["status"], a["state"], a["pause_reason"]) for a in before["agents"]},
        calls={c["call_id"]: c["state"] for c in before["calls"]},
        queue_of={c["call_id"]: c["queue"] for c in before["calls"]},
        since={c["call_id"]: c["queue_since"] for c in before["calls"]},
    )


class AcdMachine(RuleBasedStateMachine):
    """Drives one engine with random events and checks it after each."""

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        self.engine = AcdEngine(queues=QUEUES, store=self.store)
        self.twin_store = MemoryStore()
        self.twin = TwoStepEngine(queues=QUEUES, store=self.twin_store)
        self.now = 0.0
        self.next_call = 0
        self.info: dict[str, tuple[str, int, float, int]] = {}
        self.abandoned: set[str] = set()
        self.skills: dict[str, dict[str, int]] = {}
        self.handled_at = 0.0

    # -- driving ---------------------------------------------------------------------------------

    def apply(self, acd_event: AcdEvent) -> list[AcdCommand] | None:
        before: Snapshot = self.engine.snapshot()
        refusal: AcdError | None = None
        try:
            commands = self.engine.handle(acd_event, self.now)
        except AcdError as exc:
            refusal = exc
        self.check_twin(acd_event, None if refusal is not None else commands, refusal)
        if refusal is not None:
            assert isinstance(refusal, TYPED_ERRORS), refusal
            assert refusal.error_id
            assert self.engine.snapshot() == before, f"{type(refusal).__name__} changed state"
            event(f"{type(acd_event).__name__}: {refusal.error_id}")
            return None
        self.handled_at = self.now
        event(f"{type(acd_event).__name__}: ok")
        if any(isinstance(c, OfferCall) for c in commands):
            event("offer made")
        self.check_commands(before, commands)
        return commands

    def ids(self, state: str | None = None) -> list[str]:
        return sorted(c.call_id for c in self.store.iter_calls() if state is None or c.state == state)

    @initialize(
        team=st.lists(
            st.tuples(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), min_size=1), st.booleans()),
            max_size=5,
        ),
        calls=st.lists(st.tuples(st.sampled_from(list(SKILL_OF)), st.integers(0, 2)), max_size=6),
    )
    def open_centre(self, team: list[tuple[dict[str, int], bool]], calls: list[tuple[str, int]]) -> None:
        for agent, (skills, ready) in zip(AGENTS, team, strict=False):
            self.login(agent, skills, ready)
        for queue, priority in calls:
            self.queue_call(queue, priority, dup=False)

    @rule(dt=st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5, 6.0]))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(
        agent=st.sampled_from(AGENTS),
        skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=3),
        and_ready=st.booleans(),
    )
    def login(self, agent: str, skills: dict[str, int], and_ready: bool) -> None:
        if self.apply(AgentLoggedIn(agent, f"PJSIP/{agent}", skills)) is not None:
            self.skills[agent] = skills
            if and_ready:
                self.apply(AgentReady(agent))

    @rule(agent=st.sampled_from([*AGENTS, "ghost"]))
    def ready(self, agent: str) -> None:
        self.apply(AgentReady(agent))

    @rule(agent=st.sampled_from(AGENTS), reason=st.sampled_from(["小休", "就餐", "培训", "会议", "打牌"]))
    def pause(self, agent: str, reason: str) -> None:
        self.apply(AgentPaused(agent, reason))

    @rule(agent=st.sampled_from(AGENTS))
    def logout(self, agent: str) -> None:
        self.apply(AgentLoggedOut(agent))

    @rule(queue=st.sampled_from([*SKILL_OF, "nowhere"]), priority=st.integers(0, 2), dup=st.booleans())
    def queue_call(self, queue: str, priority: int, dup: bool) -> None:
        live = self.ids()
        if dup and live:
            self.apply(CallQueued(live[0], queue, "12345", "ch", priority))
            return
        call_id = f"c{self.next_call}"
        self.info[call_id] = (queue, priority, self.now, self.next_call)
        if self.apply(CallQueued(call_id, queue, "12345", f"ch-{call_id}", priority)) is None:
            del self.info[call_id]
        else:
            self.next_call += 1

    @rule(pick=st.integers(0, 99))
    def abandon(self, pick: int) -> None:
        known = sorted(self.info) or ["c0"]
        self.apply(CallAbandoned(known[pick % len(known)]))

    @precondition(lambda self: bool(self.ids("offered")))
    @rule(pick=st.integers(0, 99), answered=st.booleans())
    def offer_outcome(self, pick: int, answered: bool) -> None:
        offered = self.ids("offered")
        call = self.store.get_call(offered[pick % len(offered)])
        assert call is not None
        assert call.agent_id is not None
        if answered:
            self.apply(OfferAnswered(call.call_id, call.agent_id))
        else:
            self.apply(OfferFailed(call.call_id, call.agent_id, "no_answer"))

    @rule(pick=st.integers(0, 99), agent=st.sampled_from([*AGENTS, "ghost"]), answered=st.booleans())
    def stray_offer_outcome(self, pick: int, agent: str, answered: bool) -> None:
        known = sorted(self.info) or ["c0"]
        call_id = known[pick % len(known)]
        self.apply(OfferAnswered(call_id, agent) if answered else OfferFailed(call_id, agent, "busy"))

    @precondition(lambda self: bool(self.ids("connected")))
    @rule(pick=st.integers(0, 99))
    def finish(self, pick: int) -> None:
        connected = self.ids("connected")
        self.apply(CallFinished(connected[pick % len(connected)]))

    @rule(pick=st.integers(0, 99))
    def stray_finish(self, pick: int) -> None:
        known = sorted(self.info) or ["c0"]
        self.apply(CallFinished(known[pick % len(known)]))

    @rule()
    def tick(self) -> None:
        self.apply(Tick())

    @rule(pick=st.integers(0, 99), cancel=st.booleans())
    def callback(self, pick: int, cancel: bool) -> None:
        known = sorted(self.info) or ["c0"]
        call_id = known[pick % len(known)]
        self.apply(CallbackCancelled(call_id) if cancel else CallbackRequested(call_id))

    @rule(on=st.booleans(), queues=st.sampled_from([(), ("traffic",), ("tax",), ("nowhere",)]))
    def surge(self, on: bool, queues: tuple[str, ...]) -> None:
        self.apply(SurgeMode(on=on, queues=queues))

    # -- per-event checks ------------------------------------------------------------------------

    def check_twin(
        self, acd_event: AcdEvent, commands: list[AcdCommand] | None, refusal: AcdError | None
    ) -> None:
        twin_commands: list[AcdCommand] | None = None
        twin_refusal: AcdError | None = None
        try:
            twin_commands = self.twin.handle(acd_event, self.now)
        except AcdError as exc:
            twin_refusal = exc
        assert type(twin_refusal) is type(refusal), f"refusals differ: {refusal!r}, {twin_refusal!r}"
        assert twin_commands == commands, "the one-step path returned other commands"
        assert _contents(self.store) == _contents(self.twin_store), "the one-step path left another state"

    def check_commands(self, before: Snapshot, commands: list[AcdCommand]) -> None:
        replay = _replay_start(before)
        for command in commands:
            if isinstance(command, OfferCall):
                self.check_offer(replay, command)
            elif isinstance(command, AgentChanged):
                replay.agents[command.agent_id] = (
                    str(command.status),
                    str(command.state),
                    command.pause_reason,
                )
            elif isinstance(command, CallChanged):
                replay.calls[command.call_id] = str(command.state)
                if command.reason in ("queued", "moved"):
                    replay.since[command.call_id] = self.now
                replay.queue_of[command.call_id] = command.queue
                if command.reason in ("abandoned", "exited", "callback_cancelled"):
                    self.abandoned.add(command.call_id)
            elif isinstance(command, QueueChanged):
                replay.queue_counts[command.queue] = (command.waiting, command.available_agents)
        after: Snapshot = self.engine.snapshot()
        assert replay.agents == _replay_start(after).agents, "an agent change was not reported"
        live = {k: v for k, v in replay.calls.items() if v != "ended"}
        assert live == _replay_start(after).calls, "a call change was not reported"
        counts_before = {q["queue"]: (q["waiting"], q["available_agents"]) for q in before["queues"]}
        for q in after["queues"]:
            expected = replay.queue_counts.get(q["queue"], counts_before[q["queue"]])
            assert expected == (q["waiting"], q["available_agents"]), f"stale counts for {q['queue']}"
        assert len({o.agent_id for o in replay.offers}) == len(replay.offers)

    def check_offer(self, replay: Replay, offer: OfferCall) -> None:
        assert replay.agents[offer.agent_id][:2] == ("available", "idle"), "offer to an agent not ready"
        assert offer.call_id not in self.abandoned, "ended call offered again"
        assert replay.calls[offer.call_id] == "waiting", "offer of a call that is not waiting"
        agent = Agent(offer.agent_id, "", self.skills[offer.agent_id])
        eligible = [
            c for c, state in replay.calls.items() if state == "waiting" and self.qualifies(agent, c, replay)
        ]
        assert offer.call_id in eligible, "offer to an agent not qualified for the call's tier"
        queue = replay.queue_of[offer.call_id]
        mine = self.order(offer.call_id)
        assert mine == min(self.order(c) for c in eligible if replay.queue_of[c] == queue), "FIFO broken"
        for other_queue in {replay.queue_of[c] for c in eligible} - {queue}:
            key = min(self.order(c) for c in eligible if replay.queue_of[c] == other_queue)
            assert (mine[1], mine[0]) <= (key[1], key[0]), "a longer-waiting queue head was skipped"
        replay.offers.append(offer)

    def order(self, call_id: str) -> tuple[int, float, int]:
        call = self.store.get_call(call_id)
        assert call is not None
        return (-call.priority, call.entered_at, self.info[call_id][3])

    def qualifies(self, agent: Agent, call_id: str, replay: Replay) -> bool:
        queue = replay.queue_of[call_id]
        low = self.engine.routing.entry_tiers(agent).get(queue)
        tier = self.engine.routing.tier_for(queue, replay.since[call_id], self.now)
        return low is not None and low <= tier

    # -- global invariants -----------------------------------------------------------------------

    @invariant()
    def offers_are_one_to_one(self) -> None:
        for call in self.store.iter_calls():
            if call.state in ("offered", "connected"):
                assert call.agent_id is not None
                agent = self.store.get_agent(call.agent_id)
                assert agent is not None
                held = agent.offered_call_id if call.state == "offered" else agent.current_call_id
                assert held == call.call_id
                assert agent.state == ("offered" if call.state == "offered" else "on_call")
        for agent in self.store.iter_agents():
            for call_id in (agent.offered_call_id, agent.current_call_id):
                if call_id is not None:
                    held_call = self.store.get_call(call_id)
                    assert held_call is not None
                    assert held_call.agent_id == agent.agent_id
            assert not (agent.offered_call_id and agent.current_call_id)
            if agent.status == "logged_out":
                assert agent.state == "idle"
                assert agent.wrapup_until is None

    @invariant()
    def no_caller_waits_past_a_due_step_or_beside_a_qualified_idle_agent(self) -> None:
        routing = self.engine.routing
        ready = [a for a in self.store.iter_agents() if a.ready]
        for call in self.store.iter_calls():
            if call.state != "waiting":
                continue
            assert call.tier == routing.tier_for(call.queue, call.since, self.handled_at), (
                "overflow step missed"
            )
            assert not routing.max_wait_reached(call, self.handled_at), "maximum wait passed"
            for agent in ready:
                low = routing.entry_tiers(agent).get(call.queue)
                assert low is None or low > call.tier, f"{call.call_id} waits beside {agent.agent_id}"

    @invariant()
    def indexes_agree_with_a_scan(self) -> None:
        calls = list(self.store.iter_calls())
        for queue in SKILL_OF:
            waiting = [c for c in calls if c.state == "waiting" and c.queue == queue]
            waiting.sort(key=lambda c: (-c.priority, c.entered_at, self.info[c.call_id][3]))
            assert list(self.store.waiting_calls(queue)) == waiting
            assert self.store.count_waiting(queue) == len(waiting)
            for tier in range(self.engine.routing.tier_count(queue)):
                in_tier = [c for c in waiting if c.tier == tier]
                assert self.store.head_calls([(queue, tier)]) == [in_tier[0] if in_tier else None]
        agents = list(self.store.iter_agents())
        for skill in SKILLS:
            for level in (1, 2, 3):
                ready = sorted(
                    (a for a in agents if a.ready and a.skills.get(skill, 0) >= level),
                    key=lambda a: (a.idle_since, a.agent_id),
                )
                assert list(self.store.ready_agents(skill, level)) == ready
                assert self.store.count_ready(skill, level) == len(ready)
        in_wrapup = sorted(a.agent_id for a in agents if a.state == "wrap_up")
        assert sorted(self.store.wrapups_due(float("inf"))) == in_wrapup


AcdMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAcdInvariants = AcdMachine.TestCase
