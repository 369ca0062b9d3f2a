"""The ACD core: applies one event, then matches waiting calls with ready agents. No I/O.

``handle(event, now)`` first checks the whole event against the transition tables (acd.machine) and
the configuration, and raises before touching anything, so a refused event leaves the state exactly
as it was. Then it applies the event, applies what is due at ``now`` (acd.timers), matches
(acd.matching) and reports the queues whose counters changed. The first event and every Tick
look at every queue: that picks up state left by an earlier run, and, with several engines on one
store, pairs that two engines' concurrent events both missed (so the service should deliver a
periodic Tick when nodes share a store). The engine is split by concern: acd.core (state and
the write path), acd.matching, acd.timers (what is due, ScheduleTick), acd.offer_outcomes (answered,
not answered, not bridged), acd.chats, acd.queue_live_engine (a new configuration),
acd.queue_figures (place, estimated wait, snapshot), and this module (the loop and the other events).

AgentReady starts from the store's last seen copy of the agent (``last_seen_agent``, no round
trip): its write is compare-and-set, so an outdated copy is refused before anything is written, and
the engine then reads the agent and decides again (as it does when the copy makes the event look
illegal). An agent that becomes ready with nothing else to apply or match is written and offered
its call in one store step (acd.matching).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from acd.chats import ChatHandling
from acd.commands import AcdCommand, AnnouncePosition, QueueChanged
from acd.core import Run
from acd.errors import IllegalTransition, StaleState, UnknownPauseReason, UnknownQueue
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    BridgeFailed,
    CallAbandoned,
    CallbackCancelled,
    CallbackRequested,
    CallFinished,
    CallQueued,
    ChatFinished,
    ChatJoined,
    OfferAnswered,
    OfferFailed,
    PositionQuery,
    SurgeMode,
    Tick,
)
from acd.machine import AgentTrigger, CallTrigger, next_agent, next_call
from acd.model import (
    CHAT_TAG,
    CONSULT_TAG,
    PRIORITY_LIMIT,
    AcdPolicy,
    Agent,
    AgentState,
    AgentStatus,
    Call,
    CallState,
    QueueConfig,
)
from acd.offer_outcomes import OUTAGE_FAILURE_PREFIX as OUTAGE_FAILURE_PREFIX  # for acd.service
from acd.offer_outcomes import OUTAGE_PAUSE_REASON as OUTAGE_PAUSE_REASON  # for acd.service
from acd.offer_outcomes import OfferOutcomes
from acd.queue_figures import QueueFigures
from acd.queue_live_engine import LiveQueues
from acd.store import AcdStore

LOGIN_PAUSE_REASON = "login"


class AcdEngine(ChatHandling, OfferOutcomes, QueueFigures, LiveQueues):
    """Decides which agent takes which waiting call; state lives in ``store``."""

    def __init__(
        self, *, queues: Sequence[QueueConfig], store: AcdStore, policy: AcdPolicy | None = None
    ) -> None:
        super().__init__(queues=queues, store=store, policy=policy)
        self._first = True
        self._seq = itertools.count(1)
        self._handlers: dict[type[Any], Callable[[Any, Run], None]] = {
            AgentLoggedIn: self._logged_in,
            AgentReady: self._ready,
            AgentPaused: self._paused,
            AgentLoggedOut: self._logged_out,
            CallQueued: self._queued,
            CallAbandoned: self._abandoned,
            OfferAnswered: self.offer_answered,
            OfferFailed: self.offer_failed,
            BridgeFailed: self.bridge_failed,
            CallFinished: self._finished,
            Tick: _nothing,
            CallbackRequested: self._callback,
            CallbackCancelled: self._callback_cancelled,
            SurgeMode: self._surge,
            PositionQuery: self._position_query,
            ChatJoined: self.chat_joined,
            ChatFinished: self.chat_finished,
        }

    def handle(self, event: AcdEvent, now: float) -> list[AcdCommand]:
        """Apply ``event`` at time ``now`` and return the commands to execute, in order."""
        run = Run(now)
        if self._first or isinstance(event, Tick):
            run.dirty.update(dict.fromkeys(self.queues))
        self._handlers[type(event)](event, run)
        self._first = False
        ticked = isinstance(event, Tick)
        self.apply_due(run, ticked=ticked)
        return self._conclude(run, ticked=ticked)

    def reconfigure(self, queues: Sequence[QueueConfig], now: float) -> list[AcdCommand]:
        """Decide with ``queues`` from now on, every caller keeping their place (acd.queue_live_engine);
        raises InvalidConfig, with nothing changed, for a configuration the routing refuses."""
        return self._conclude(self.swap_queues(queues, now), ticked=True)

    def _conclude(self, run: Run, *, ticked: bool) -> list[AcdCommand]:
        """Match, report the queues whose counters changed and ask for the next tick."""
        self.match(run)
        self._report_queues(run)
        self.schedule(run, ticked=ticked)
        return run.commands

    def _report_queues(self, run: Run) -> None:
        names = list(run.touched)
        unread = [n for n in names if n not in run.counts]
        if unread:
            run.counts.update(zip(unread, self.store.queue_counts(self.count_items(unread)), strict=True))
        for name in names:
            waiting, ready = run.counts[name]
            run.commands.append(QueueChanged(queue=name, waiting=waiting, available_agents=ready))

    # -- agent events ----------------------------------------------------------------------------

    def _logged_in(self, event: AgentLoggedIn, run: Run) -> None:
        agent = self.store.get_agent(event.agent_id)
        if agent is None:
            agent = Agent(agent_id=event.agent_id, contact=event.contact, skills={})
        status, state = next_agent(agent.status, agent.state, AgentTrigger.LOGIN, agent_id=agent.agent_id)
        agent.contact, agent.skills = event.contact, dict(event.skills)
        agent.idle_since, agent.wrapup_until, agent.talk_s = run.now, None, 0.0
        self.set_agent(agent, status, state, run, pause_reason=LOGIN_PAUSE_REASON)

    def _ready(self, event: AgentReady, run: Run) -> None:
        seen = self.store.last_seen_agent(event.agent_id)
        if seen is not None:
            try:
                self._make_ready(seen, run)
                return
            except (IllegalTransition, StaleState):
                pass  # the copy may be out of date: decide again on the stored agent
        self._make_ready(self.agent(event.agent_id), run)

    def _make_ready(self, agent: Agent, run: Run) -> None:
        """Apply READY to ``agent``; a refusal (IllegalTransition, StaleState) comes before any
        write and leaves ``run`` unchanged."""
        status, state = next_agent(agent.status, agent.state, AgentTrigger.READY, agent_id=agent.agent_id)
        becomes_ready = not agent.ready and status is AgentStatus.AVAILABLE and state is AgentState.IDLE
        if agent.state is AgentState.WRAP_UP:
            agent.idle_since, agent.wrapup_until = run.now, None
        if becomes_ready and agent.wrapup_until is None and not run.dirty and self.nothing_due(run):
            self.set_ready_and_offer(agent, run)  # this agent is all the run has to match
        else:
            self.set_agent(agent, status, state, run)

    def check_pause_reason(self, reason: str, *, agent_id: str = "") -> None:
        """UnknownPauseReason unless ``reason`` is one of the centre's pause reasons (any, when none)."""
        reasons = self.policy.pause_reasons
        if reasons and reason not in reasons:
            raise UnknownPauseReason(
                f"pause reason {reason!r} is not configured",
                agent_id=agent_id,
                reason=reason,
                known=list(reasons),
            )

    def _paused(self, event: AgentPaused, run: Run) -> None:
        self.check_pause_reason(event.reason, agent_id=event.agent_id)
        agent = self.agent(event.agent_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.PAUSE, agent_id=agent.agent_id)
        self.set_agent(agent, status, state, run, pause_reason=event.reason)

    def _logged_out(self, event: AgentLoggedOut, run: Run) -> None:
        agent = self.agent(event.agent_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.LOGOUT, agent_id=agent.agent_id)
        agent.wrapup_until = None
        self.set_agent(agent, status, state, run)

    def _surge(self, event: SurgeMode, run: Run) -> None:
        for name in self.routing.set_surge(event.on, event.queues, event.skills):
            run.dirty[name] = None

    # -- call events -----------------------------------------------------------------------------

    def _queued(self, event: CallQueued, run: Run) -> None:
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
        priority = event.priority
        if event.priority_class is not None:
            priority = max(priority, self.policy.priority_classes.get(event.priority_class, priority))
        call = Call(
            call_id=event.call_id,
            queue=event.queue,
            caller=event.caller,
            channel=event.channel,
            entered_at=run.now,
            priority=max(-PRIORITY_LIMIT + 1, min(PRIORITY_LIMIT - 1, priority)),
            state=CallState.ENDED,
            attrs=dict(event.attrs),
            seq=next(self._seq),
            priority_class=event.priority_class,
        )
        if not {CONSULT_TAG, CHAT_TAG}.intersection(call.tags):  # not demand on the callers' lines
            self.stats[call.queue].arrived(run.now)
        self.set_call(call, CallState.WAITING, "queued", run)
        if event.target_agent:
            self._offer_to(call, event.target_agent, run)

    def _abandoned(self, event: CallAbandoned, run: Run) -> None:
        call = self.call(event.call_id)
        if call.callback is not None:
            raise IllegalTransition(
                f"call {call.call_id} is a callback entry; cancel it instead",
                kind="call",
                call_id=call.call_id,
                state=str(call.state),
                trigger="abandon",
            )
        state = next_call(call.state, CallTrigger.ABANDON, call_id=call.call_id)
        if call.state is CallState.OFFERED and call.agent_id is not None:
            agent = self.agent(call.agent_id)
            trigger = AgentTrigger.CALLER_GONE
            status, agent_state = next_agent(agent.status, agent.state, trigger, agent_id=agent.agent_id)
            agent.offered_call_id = None
            self.set_agent(agent, status, agent_state, run)
        self.set_call(call, state, event.reason, run)

    def _finished(self, event: CallFinished, run: Run) -> None:
        call = self.call(event.call_id)
        call_state = next_call(call.state, CallTrigger.HANGUP, call_id=call.call_id)
        agent = self.agent(call.agent_id or "")
        status, state = next_agent(agent.status, agent.state, AgentTrigger.HANGUP, agent_id=agent.agent_id)
        wrapup = self.queues[call.queue].wrapup_seconds
        talk = run.now - (call.answered_at if call.answered_at is not None else run.now)
        agent.current_call_id, agent.wrapup_until = None, run.now + wrapup
        agent.calls_handled += 1
        agent.talk_s += talk
        self.set_agent(agent, status, state, run)
        self.set_call(call, call_state, "finished", run)
        if CONSULT_TAG not in call.tags:
            self.stats[call.queue].handled(talk + wrapup)

    def _callback(self, event: CallbackRequested, run: Run) -> None:
        call = self.call(event.call_id)
        state = next_call(call.state, CallTrigger.CALLBACK, call_id=call.call_id)
        if call.callback is not None:
            raise IllegalTransition(
                f"call {call.call_id} is already a callback entry",
                kind="call",
                call_id=call.call_id,
                state=str(call.state),
                trigger="callback",
            )
        call.callback = event.number or call.caller
        self.set_call(call, state, "callback", run)

    def _callback_cancelled(self, event: CallbackCancelled, run: Run) -> None:
        call = self.call(event.call_id)
        state = next_call(call.state, CallTrigger.CANCEL, call_id=call.call_id)
        if call.callback is None:
            raise IllegalTransition(
                f"call {call.call_id} is not a callback entry",
                kind="call",
                call_id=call.call_id,
                state=str(call.state),
                trigger="cancel",
            )
        self.set_call(call, state, "callback_cancelled", run)

    def _position_query(self, event: PositionQuery, run: Run) -> None:
        call = self.call(event.call_id)
        place, ewt = self.position(event.call_id)
        run.commands.append(AnnouncePosition(call.call_id, call.channel, call.queue, place, ewt))


def _nothing(event: Tick, run: Run) -> None:
    """A Tick only makes every event's time-driven work run (acd.timers)."""
