"""The ACD core: applies one event, then matches waiting calls with ready agents. No I/O.

``handle(event, now)`` first checks the whole event against the transition tables (acd.machine) and
raises before touching anything, so a refused event leaves the state exactly as it was. Then it
applies the event, ends wrap-ups that are due, and matches.

Matching keeps one invariant: when ``handle`` returns, no WAITING call shares a queue skill with an
AVAILABLE + IDLE agent. Because it held before the event, only queues the event touched (a call
became WAITING, or an agent with the queue's skill became ready) need looking at. For such a queue,
while it has a head call and its strategy picks a ready agent, that agent takes the call that waited
longest (then highest priority) among the heads of all queues it has skills for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from types import EllipsisType
from typing import Any

from acd.commands import AcdCommand, AgentChanged, CallChanged, OfferCall, QueueChanged, ScheduleTick
from acd.errors import IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue
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
from acd.machine import AgentTrigger, CallTrigger, next_agent, next_call
from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from acd.store import AcdStore
from acd.strategies import Strategy, make_strategy

LOGIN_PAUSE_REASON = "login"
NO_ANSWER_PAUSE_REASON = "no answer"


class _Run:
    """What one ``handle`` call has produced so far."""

    __slots__ = ("commands", "dirty", "now", "touched")

    def __init__(self, now: float) -> None:
        self.now = now
        self.commands: list[AcdCommand] = []
        self.dirty: dict[str, None] = {}
        self.touched: dict[str, None] = {}


class AcdEngine:
    """Decides which agent takes which waiting call; state lives in ``store``."""

    def __init__(self, *, queues: Sequence[QueueConfig], store: AcdStore) -> None:
        self.store = store
        self.queues: dict[str, QueueConfig] = {q.name: q for q in queues}
        self._strategies: dict[str, Strategy] = {q.name: make_strategy(q.strategy) for q in queues}
        self._by_skill: dict[str, list[QueueConfig]] = {}
        for queue in queues:
            self._by_skill.setdefault(queue.skill, []).append(queue)
        self._first = True
        self._handlers: dict[type[Any], Callable[[Any, _Run], None]] = {
            AgentLoggedIn: self._logged_in,
            AgentReady: self._ready,
            AgentPaused: self._paused,
            AgentLoggedOut: self._logged_out,
            CallQueued: self._queued,
            CallAbandoned: self._abandoned,
            OfferAnswered: self._answered,
            OfferFailed: self._failed,
            CallFinished: self._finished,
            Tick: self._tick,
        }

    def handle(self, event: AcdEvent, now: float) -> list[AcdCommand]:
        """Apply ``event`` at time ``now`` and return the commands to execute, in order."""
        run = _Run(now)
        if self._first:
            run.dirty.update(dict.fromkeys(self.queues))
        self._handlers[type(event)](event, run)
        self._first = False
        self._end_wrapups(run)
        self._match(run)
        for name in run.touched:
            queue = self.queues[name]
            run.commands.append(
                QueueChanged(
                    queue=name,
                    waiting=self.store.count_waiting(name),
                    available_agents=self.store.count_ready(queue.skill),
                )
            )
        return run.commands

    def snapshot(self) -> dict[str, object]:
        """Agents, live calls and queue counters, JSON-able, for desktops and wallboards to resync."""
        return {
            "agents": [_agent_view(a) for a in sorted(self.store.iter_agents(), key=lambda a: a.agent_id)],
            "calls": [_call_view(c) for c in sorted(self.store.iter_calls(), key=lambda c: c.call_id)],
            "queues": [
                {
                    "queue": q.name,
                    "skill": q.skill,
                    "strategy": q.strategy,
                    "wrapup_seconds": q.wrapup_seconds,
                    "waiting": self.store.count_waiting(q.name),
                    "available_agents": self.store.count_ready(q.skill),
                }
                for q in self.queues.values()
            ],
        }

    # -- lookups ---------------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> Agent:
        agent = self.store.get_agent(agent_id)
        if agent is None:
            raise UnknownAgent(f"no agent {agent_id}", agent_id=agent_id)
        return agent

    def _call(self, call_id: str) -> Call:
        call = self.store.get_call(call_id)
        if call is None:
            raise UnknownCall(f"no live call {call_id}", call_id=call_id)
        return call

    def _offered_pair(self, call_id: str, agent_id: str, trigger: str) -> tuple[Call, Agent]:
        call = self._call(call_id)
        agent = self._agent(agent_id)
        if call.agent_id != agent_id or agent.offered_call_id != call_id:
            raise IllegalTransition(
                f"call {call_id} is not offered to agent {agent_id}",
                kind="offer",
                call_id=call_id,
                agent_id=agent_id,
                call_state=str(call.state),
                offered_to=call.agent_id,
                trigger=trigger,
            )
        return call, agent

    # -- writes ----------------------------------------------------------------------------------

    def _set_agent(
        self,
        agent: Agent,
        status: AgentStatus,
        state: AgentState,
        run: _Run,
        *,
        pause_reason: str | EllipsisType | None = ...,
    ) -> None:
        """Write ``agent`` with its new status, state and pause reason (``...`` keeps it) and report it.

        Fields that are not reported (call ids, times) are set by the caller beforehand.
        """
        was = (agent.status, agent.state, agent.pause_reason, agent.ready)
        agent.status, agent.state = status, state
        if status is not AgentStatus.PAUSED:
            agent.pause_reason = None
        elif not isinstance(pause_reason, EllipsisType):
            agent.pause_reason = pause_reason
        self.store.put_agent(agent)
        if (agent.status, agent.state, agent.pause_reason) != was[:3]:
            run.commands.append(AgentChanged(agent.agent_id, agent.status, agent.state, agent.pause_reason))
        if agent.ready != was[3]:
            for queue in self._queues_of(agent.skills):
                run.touched[queue.name] = None
                if agent.ready:
                    run.dirty[queue.name] = None

    def _set_call(self, call: Call, state: CallState, reason: str, run: _Run) -> None:
        """Write ``call`` in its new state (deleted once ENDED) and report it."""
        was_waiting = call.state is CallState.WAITING
        call.state = state
        if state is CallState.ENDED:
            self.store.delete_call(call.call_id)
        else:
            self.store.put_call(call)
        end = call.answered_at if call.answered_at is not None else run.now
        run.commands.append(
            CallChanged(call.call_id, state, call.queue, call.agent_id, reason, end - call.entered_at)
        )
        if was_waiting != (state is CallState.WAITING):
            run.touched[call.queue] = None
            if state is CallState.WAITING:
                run.dirty[call.queue] = None

    def _queues_of(self, skills: Iterable[str]) -> Iterable[QueueConfig]:
        for skill in skills:
            yield from self._by_skill.get(skill, ())

    # -- agent events ----------------------------------------------------------------------------

    def _logged_in(self, event: AgentLoggedIn, run: _Run) -> None:
        agent = self.store.get_agent(event.agent_id)
        if agent is None:
            agent = Agent(agent_id=event.agent_id, contact=event.contact, skills={})
        status, state = next_agent(agent.status, agent.state, AgentTrigger.LOGIN, agent_id=agent.agent_id)
        agent.contact, agent.skills = event.contact, dict(event.skills)
        agent.idle_since, agent.wrapup_until = run.now, None
        self._set_agent(agent, status, state, run, pause_reason=LOGIN_PAUSE_REASON)

    def _ready(self, event: AgentReady, run: _Run) -> None:
        agent = self._agent(event.agent_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.READY, agent_id=agent.agent_id)
        if agent.state is AgentState.WRAP_UP:
            agent.idle_since, agent.wrapup_until = run.now, None
        self._set_agent(agent, status, state, run)

    def _paused(self, event: AgentPaused, run: _Run) -> None:
        agent = self._agent(event.agent_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.PAUSE, agent_id=agent.agent_id)
        self._set_agent(agent, status, state, run, pause_reason=event.reason)

    def _logged_out(self, event: AgentLoggedOut, run: _Run) -> None:
        agent = self._agent(event.agent_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.LOGOUT, agent_id=agent.agent_id)
        agent.wrapup_until = None
        self._set_agent(agent, status, state, run)

    def _end_wrapups(self, run: _Run) -> None:
        for agent_id in self.store.wrapups_due(run.now):
            agent = self._agent(agent_id)
            status, state = next_agent(agent.status, agent.state, AgentTrigger.WRAPUP_END, agent_id=agent_id)
            agent.idle_since, agent.wrapup_until = run.now, None
            self._set_agent(agent, status, state, run)

    def _tick(self, event: Tick, run: _Run) -> None:
        """Nothing beyond what every event does: due wrap-ups end right after the handler."""

    # -- call events -----------------------------------------------------------------------------

    def _queued(self, event: CallQueued, run: _Run) -> None:
        if event.queue not in self.queues:
            raise UnknownQueue(f"no queue {event.queue}", queue=event.queue, call_id=event.call_id)
        existing = self.store.get_call(event.call_id)
        if existing is not None:
            raise IllegalTransition(
                f"call {event.call_id} is already {existing.state}",
                kind="call",
                call_id=event.call_id,
                state=str(existing.state),
                trigger="queue",
            )
        call = Call(
            call_id=event.call_id,
            queue=event.queue,
            caller=event.caller,
            channel=event.channel,
            entered_at=run.now,
            priority=event.priority,
            state=CallState.ENDED,
            attrs=dict(event.attrs),
        )
        self._set_call(call, CallState.WAITING, "queued", run)

    def _abandoned(self, event: CallAbandoned, run: _Run) -> None:
        call = self._call(event.call_id)
        state = next_call(call.state, CallTrigger.ABANDON, call_id=call.call_id)
        if call.state is CallState.OFFERED and call.agent_id is not None:
            agent = self._agent(call.agent_id)
            trigger = AgentTrigger.CALLER_GONE
            status, agent_state = next_agent(agent.status, agent.state, trigger, agent_id=agent.agent_id)
            agent.offered_call_id = None
            self._set_agent(agent, status, agent_state, run)
        self._set_call(call, state, "abandoned", run)

    def _answered(self, event: OfferAnswered, run: _Run) -> None:
        call, agent = self._offered_pair(event.call_id, event.agent_id, "answer")
        call_state = next_call(call.state, CallTrigger.ANSWER, call_id=call.call_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.ANSWER, agent_id=agent.agent_id)
        agent.offered_call_id, agent.current_call_id = None, call.call_id
        self._set_agent(agent, status, state, run)
        call.answered_at = run.now
        self._set_call(call, call_state, "answered", run)

    def _failed(self, event: OfferFailed, run: _Run) -> None:
        call, agent = self._offered_pair(event.call_id, event.agent_id, "no_answer")
        call_state = next_call(call.state, CallTrigger.NO_ANSWER, call_id=call.call_id)
        trigger = AgentTrigger.NO_ANSWER
        status, state = next_agent(agent.status, agent.state, trigger, agent_id=agent.agent_id)
        agent.offered_call_id = None
        reason = NO_ANSWER_PAUSE_REASON if agent.status is AgentStatus.AVAILABLE else ...
        self._set_agent(agent, status, state, run, pause_reason=reason)
        call.agent_id = None
        self._set_call(call, call_state, "requeued", run)

    def _finished(self, event: CallFinished, run: _Run) -> None:
        call = self._call(event.call_id)
        call_state = next_call(call.state, CallTrigger.HANGUP, call_id=call.call_id)
        agent = self._agent(call.agent_id or "")
        status, state = next_agent(agent.status, agent.state, AgentTrigger.HANGUP, agent_id=agent.agent_id)
        until = run.now + self.queues[call.queue].wrapup_seconds
        agent.current_call_id, agent.wrapup_until = None, until
        agent.calls_handled += 1
        self._set_agent(agent, status, state, run)
        self._set_call(call, call_state, "finished", run)
        if until > run.now:
            run.commands.append(ScheduleTick(at=until))

    # -- matching --------------------------------------------------------------------------------

    def _match(self, run: _Run) -> None:
        pending = list(run.dirty)
        i = 0
        while i < len(pending):
            queue = self.queues[pending[i]]
            head = self.store.head_call(queue.name)
            agent = None
            if head is not None:
                agent = self._strategies[queue.name].pick(self.store.ready_agents(queue.skill), queue)
            if head is None or agent is None:
                i += 1
                continue
            self._offer(self._longest_waiting_for(agent, head), agent, run)

    def _longest_waiting_for(self, agent: Agent, head: Call) -> Call:
        best = head
        for queue in self._queues_of(agent.skills):
            call = self.store.head_call(queue.name)
            if call is not None and (call.entered_at, -call.priority) < (best.entered_at, -best.priority):
                best = call
        return best

    def _offer(self, call: Call, agent: Agent, run: _Run) -> None:
        call_state = next_call(call.state, CallTrigger.OFFER, call_id=call.call_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.OFFER, agent_id=agent.agent_id)
        run.commands.append(
            OfferCall(
                call_id=call.call_id,
                agent_id=agent.agent_id,
                contact=agent.contact,
                queue=call.queue,
                caller=call.caller,
                channel=call.channel,
                waited_s=run.now - call.entered_at,
                attrs=dict(call.attrs),
            )
        )
        agent.offered_call_id = call.call_id
        self._set_agent(agent, status, state, run)
        call.agent_id = agent.agent_id
        self._set_call(call, call_state, "offered", run)


def _agent_view(agent: Agent) -> dict[str, object]:
    return {
        "agent_id": agent.agent_id,
        "contact": agent.contact,
        "skills": dict(agent.skills),
        "status": str(agent.status),
        "state": str(agent.state),
        "pause_reason": agent.pause_reason,
        "idle_since": agent.idle_since,
        "offered_call_id": agent.offered_call_id,
        "current_call_id": agent.current_call_id,
        "wrapup_until": agent.wrapup_until,
        "calls_handled": agent.calls_handled,
    }


def _call_view(call: Call) -> dict[str, object]:
    return {
        "call_id": call.call_id,
        "queue": call.queue,
        "caller": call.caller,
        "channel": call.channel,
        "entered_at": call.entered_at,
        "priority": call.priority,
        "state": str(call.state),
        "agent_id": call.agent_id,
        "attrs": dict(call.attrs),
        "answered_at": call.answered_at,
    }
