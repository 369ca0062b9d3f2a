"""Invariants of the ACD over random event sequences, legal and illegal (hypothesis state machine).

After every event, replaying the returned commands over the state before it must give the state
after it (so every agent and call change is reported), every offer must go to an agent that was
AVAILABLE + IDLE at that moment and must take the head of its queue, and the global invariants
below must hold. A refused event must raise a typed error and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from acd.commands import AcdCommand, AgentChanged, CallChanged, OfferCall, QueueChanged
from acd.engine import AcdEngine
from acd.errors import AcdError, IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue
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
from acd.model import QueueConfig
from acd.store import MemoryStore

AGENTS = ["a1", "a2", "a3", "a4", "a5"]
SKILLS = ["tax", "social", "traffic"]
QUEUES = [
    QueueConfig("tax", "tax", wrapup_seconds=5.0),
    QueueConfig("tax_vip", "tax", wrapup_seconds=2.0),
    QueueConfig("social", "social", wrapup_seconds=0.0, strategy="fewest_calls"),
    QueueConfig("traffic", "traffic", wrapup_seconds=3.0),
]
SKILL_OF = {q.name: q.skill for q in QUEUES}
TYPED_ERRORS = (IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue)

Snapshot = dict[str, Any]


@dataclass
class Replay:
    """Agent and call states rebuilt from the state before an event plus the commands it returned."""

    agents: dict[str, tuple[str, str, str | None]]
    calls: dict[str, str]
    offers: list[OfferCall] = field(default_factory=list)
    queue_counts: dict[str, tuple[int, int]] = field(default_factory=dict)


def _replay_start(before: Snapshot) -> Replay:
    return Replay(
        agents={a["agent_id"]: (a["status"], a["state"], a["pause_reason"]) for a in before["agents"]},
        calls={c["call_id"]: c["state"] for c in before["calls"]},
    )


class AcdMachine(RuleBasedStateMachine):
    """Drives one engine with random events and checks it after each."""

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        self.engine = AcdEngine(queues=QUEUES, store=self.store)
        self.now = 0.0
        self.next_call = 0
        self.info: dict[str, tuple[str, int, float, int]] = {}
        self.abandoned: set[str] = set()
        self.skills: dict[str, set[str]] = {}

    # -- driving ---------------------------------------------------------------------------------

    def apply(self, acd_event: AcdEvent) -> list[AcdCommand] | None:
        before: Snapshot = self.engine.snapshot()
        refusal: AcdError | None = None
        try:
            commands = self.engine.handle(acd_event, self.now)
        except AcdError as exc:
            refusal = exc
        if refusal is not None:
            assert isinstance(refusal, TYPED_ERRORS), refusal
            assert refusal.error_id
            assert self.engine.snapshot() == before, f"{type(refusal).__name__} changed state"
            event(f"{type(acd_event).__name__}: {refusal.error_id}")
            return None
        event(f"{type(acd_event).__name__}: ok")
        if any(isinstance(c, OfferCall) for c in commands):
            event("offer made")
        self.check_commands(before, commands)
        return commands

    def ids(self, state: str | None = None) -> list[str]:
        return sorted(c.call_id for c in self.store.iter_calls() if state is None or c.state == state)

    @initialize(
        team=st.lists(st.tuples(st.sets(st.sampled_from(SKILLS), min_size=1), st.booleans()), max_size=5),
        calls=st.lists(st.tuples(st.sampled_from(list(SKILL_OF)), st.integers(0, 2)), max_size=6),
    )
    def open_centre(self, team: list[tuple[set[str], bool]], calls: list[tuple[str, int]]) -> None:
        for agent, (skills, ready) in zip(AGENTS, team, strict=False):
            self.login(agent, skills, ready)
        for queue, priority in calls:
            self.queue_call(queue, priority, dup=False)

    @rule(dt=st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5, 6.0]))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(
        agent=st.sampled_from(AGENTS),
        skills=st.sets(st.sampled_from(SKILLS), max_size=3),
        and_ready=st.booleans(),
    )
    def login(self, agent: str, skills: set[str], and_ready: bool) -> None:
        if self.apply(AgentLoggedIn(agent, f"PJSIP/{agent}", dict.fromkeys(skills, 1))) is not None:
            self.skills[agent] = skills
            if and_ready:
                self.apply(AgentReady(agent))

    @rule(agent=st.sampled_from([*AGENTS, "ghost"]))
    def ready(self, agent: str) -> None:
        self.apply(AgentReady(agent))

    @rule(agent=st.sampled_from(AGENTS), reason=st.sampled_from(["小休", "就餐", "培训", "会议"]))
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

    # -- per-event checks ------------------------------------------------------------------------

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
                if command.reason == "abandoned":
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
        assert offer.call_id not in self.abandoned, "abandoned call offered again"
        assert replay.calls[offer.call_id] == "waiting", "offer of a call that is not waiting"
        queue, priority, entered_at, _ = self.info[offer.call_id]
        assert SKILL_OF[queue] in self.skills[offer.agent_id]
        heads: dict[str, tuple[int, float, int]] = {}
        for call_id, state in replay.calls.items():
            info = self.info[call_id]
            key = (-info[1], info[2], info[3])
            if state == "waiting" and (info[0] not in heads or key < heads[info[0]]):
                heads[info[0]] = key
        mine = heads[queue]
        assert mine == (-priority, entered_at, self.info[offer.call_id][3]), "not the head of its queue"
        for other, key in heads.items():
            if SKILL_OF[other] in self.skills[offer.agent_id]:
                assert (mine[1], mine[0]) <= (key[1], key[0]), "a longer-waiting call was skipped"
        replay.offers.append(offer)

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
    def no_waiting_call_beside_a_ready_agent(self) -> None:
        ready_skills = {s for a in self.store.iter_agents() if a.ready for s in a.skills}
        for call in self.store.iter_calls():
            if call.state == "waiting":
                assert SKILL_OF[call.queue] not in ready_skills, f"{call.call_id} waits beside a ready agent"

    @invariant()
    def indexes_agree_with_a_scan(self) -> None:
        calls = list(self.store.iter_calls())
        for queue in SKILL_OF:
            waiting = [c for c in calls if c.state == "waiting" and c.queue == queue]
            waiting.sort(key=lambda c: (-c.priority, c.entered_at, self.info[c.call_id][3]))
            assert list(self.store.waiting_calls(queue)) == waiting
            assert self.store.count_waiting(queue) == len(waiting)
        agents = list(self.store.iter_agents())
        for skill in SKILLS:
            ready = sorted(
                (a for a in agents if a.ready and skill in a.skills), key=lambda a: (a.idle_since, a.agent_id)
            )
            assert list(self.store.ready_agents(skill)) == ready
            assert self.store.count_ready(skill) == len(ready)
        in_wrapup = sorted(a.agent_id for a in agents if a.state == "wrap_up")
        assert sorted(self.store.wrapups_due(float("inf"))) == in_wrapup


AcdMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAcdInvariants = AcdMachine.TestCase
