"""Time in the engine: wrap-ups that end, calls reaching an overflow step or their maximum wait.

Every ``handle`` applies what is due at its ``now`` (so the outcome never depends on when ticks
arrive; ``apply_due`` says how that stays cheap) and, when a timer may have moved, asks the store
for the earliest pending one and returns ScheduleTick for it unless an earlier tick is pending.
A Tick forgets the pending tick (it may have come early), so the next one is always asked again.

With several engines on one store each applies what it finds due; a write that loses to another
engine's (StaleState) is skipped, since the other engine already applied or superseded it.
"""

from __future__ import annotations

import math

from acd.commands import ExitCall, ScheduleTick
from acd.core import Run
from acd.errors import StaleState
from acd.machine import AgentTrigger, CallTrigger, next_agent, next_call
from acd.matching import Matcher
from acd.model import AgentState, Call, CallState, MaxWait


class Timers(Matcher):
    """The time-driven half of the engine."""

    _tick_at: float | None = None
    _known_due: float | None = None

    def apply_due(self, run: Run, *, ticked: bool) -> None:
        """End due wrap-ups and advance due calls (tiers, maximum wait).

        Between ticks the store is only asked when ``now`` reached the earliest timer this engine
        knows of (every timer it writes is known); a Tick always asks, which also catches timers
        written by other engines sharing the store.
        """
        if not ticked and self.nothing_due(run):
            return
        run.timers = True
        wrapups, calls = self.store.due_now(run.now)
        for agent_id in wrapups:
            try:
                self._end_wrapup(agent_id, run)
            except StaleState:
                continue
        for call_id in calls:
            try:
                self._advance(call_id, run)
            except StaleState:
                continue

    def nothing_due(self, run: Run) -> bool:
        """True when no timer this engine knows of is due at ``run.now`` (then an untimed
        ``apply_due`` does nothing)."""
        known = self._known_due
        return known is not None and run.now < min(known, run.earliest)

    def schedule(self, run: Run, *, ticked: bool) -> None:
        """Append ScheduleTick for the earliest pending timer unless one at or before it is pending."""
        if ticked:
            self._tick_at = None
        if not (run.timers or ticked):
            return
        at = self.store.next_due()
        self._known_due = math.inf if at is None else at
        if at is None:
            return
        pending = self._tick_at
        if pending is None or pending <= run.now or at < pending:
            run.commands.append(ScheduleTick(at=at))
            self._tick_at = at

    def _end_wrapup(self, agent_id: str, run: Run) -> None:
        agent = self.store.get_agent(agent_id)
        if agent is None or agent.state is not AgentState.WRAP_UP:
            return  # another engine sharing the store ended it after the due list was read
        if agent.wrapup_until is None or agent.wrapup_until > run.now:
            return  # ...and the agent has since started another wrap-up
        status, state = next_agent(agent.status, agent.state, AgentTrigger.WRAPUP_END, agent_id=agent_id)
        agent.idle_since, agent.wrapup_until = run.now, None
        self.set_agent(agent, status, state, run)

    def _advance(self, call_id: str, run: Run) -> None:
        call = self.store.get_call(call_id)
        if call is None or call.state is not CallState.WAITING:
            return
        max_wait = self.routing.max_wait_of(call)
        if max_wait is not None and self.routing.max_wait_reached(call, run.now):
            self._exit(call, max_wait, run)
            return
        tier = self.routing.tier_of(call, run.now)
        changed = tier != call.tier
        call.tier = tier
        self.set_call(call, CallState.WAITING, "overflowed", run, tier_changed=changed)

    def _exit(self, call: Call, max_wait: MaxWait, run: Run) -> None:
        left = call.queue
        waited = run.now - call.entered_at
        if max_wait.kind == "voicemail":
            state = next_call(call.state, CallTrigger.EXIT, call_id=call.call_id)
            self.set_call(call, state, "exited", run)
        elif max_wait.kind == "callback":
            state = next_call(call.state, CallTrigger.CALLBACK, call_id=call.call_id)
            call.callback = call.caller
            self.set_call(call, state, "callback", run)
        else:
            state = next_call(call.state, CallTrigger.MOVE, call_id=call.call_id)
            call.queue, call.queue_since, call.tier = max_wait.target, run.now, 0
            self.set_call(call, state, "moved", run, tier_changed=True)
            run.touched[left] = None
            run.touched[call.queue] = None
        run.commands.append(
            ExitCall(
                call_id=call.call_id,
                queue=left,
                target_kind=max_wait.kind,
                target=max_wait.target,
                channel=call.channel,
                caller=call.caller,
                waited_s=waited,
            )
        )
