"""What becomes of an offer: the agent answered, did not answer, or answered and could not be bridged.

``OfferAnswered`` connects the call (answered means bridged to the caller). ``OfferFailed`` puts the
call back in line and pauses the agent "no answer", or "telephony outage" when the phone was never
rung because Asterisk was unreachable (the reason starts with ``OUTAGE_FAILURE_PREFIX``): not the
agent's fault, and the service makes them available again when AMI is back.

``BridgeFailed``: the agent answered but could not be bridged to the caller. The call goes back to
its place in line under the caller's current channel name (or ends, when the service gives up), its
``bridge_failures`` count grows by one, and the agent is free again but behind agents idle longer.
"""

from __future__ import annotations

from acd.core import EngineBase, Run
from acd.errors import IllegalTransition
from acd.events import BridgeFailed, OfferAnswered, OfferFailed
from acd.machine import AgentTrigger, CallTrigger, next_agent, next_call
from acd.model import Agent, AgentStatus, Call

BRIDGE_FAILURES_ATTR = "bridge_failures"
"""Call attribute: how many agents answered the call but could not be bridged to the caller."""
NO_ANSWER_PAUSE_REASON = "no answer"

OUTAGE_PAUSE_REASON = "telephony outage"
"""Pause of an agent whose phone could not be rung because Asterisk was unreachable: not the agent's
fault, so not "no answer"; the service makes them available again when AMI is back."""

OUTAGE_FAILURE_PREFIX = "originate_error:"
"""Prefix of an :class:`OfferFailed` reason for an offer whose phone was never rung (AMI outage)."""


def bridge_failures(call: Call) -> int:
    """How many answered agent legs could not be bridged to this caller so far."""
    value = call.attrs.get(BRIDGE_FAILURES_ATTR, "0")
    return int(value) if value.isdigit() else 0


class OfferOutcomes(EngineBase):
    """The engine's handlers of an offer's outcome."""

    def offer_answered(self, event: OfferAnswered, run: Run) -> None:
        """The agent is bridged to the caller: both are connected."""
        call, agent = self._offered_pair(event.call_id, event.agent_id, "answer")
        call_state = next_call(call.state, CallTrigger.ANSWER, call_id=call.call_id)
        status, state = next_agent(agent.status, agent.state, AgentTrigger.ANSWER, agent_id=agent.agent_id)
        agent.offered_call_id, agent.current_call_id = None, call.call_id
        self.set_agent(agent, status, state, run)
        call.answered_at = run.now
        self.set_call(call, call_state, "answered", run)

    def offer_failed(self, event: OfferFailed, run: Run) -> None:
        """The agent did not answer (or was never rung): the call goes back in line, the agent pauses."""
        call, agent = self._offered_pair(event.call_id, event.agent_id, "no_answer")
        call_state = next_call(call.state, CallTrigger.NO_ANSWER, call_id=call.call_id)
        trigger = AgentTrigger.NO_ANSWER
        status, state = next_agent(agent.status, agent.state, trigger, agent_id=agent.agent_id)
        agent.offered_call_id = None
        rung = not event.reason.startswith(OUTAGE_FAILURE_PREFIX)
        paused = NO_ANSWER_PAUSE_REASON if rung else OUTAGE_PAUSE_REASON
        reason = paused if agent.status is AgentStatus.AVAILABLE else ...
        self.set_agent(agent, status, state, run, pause_reason=reason)
        call.agent_id = None
        self.set_call(call, call_state, "requeued", run)

    def bridge_failed(self, event: BridgeFailed, run: Run) -> None:
        """The agent answered but was not bridged: the call goes back in line (or ends, giving up)."""
        call, agent = self._offered_pair(event.call_id, event.agent_id, "unbridged")
        trigger = CallTrigger.ABANDON if event.give_up else CallTrigger.NO_ANSWER
        call_state = next_call(call.state, trigger, call_id=call.call_id)
        status, state = next_agent(
            agent.status, agent.state, AgentTrigger.CALLER_GONE, agent_id=agent.agent_id
        )
        agent.offered_call_id, agent.idle_since = None, run.now  # others idle longer go first
        self.set_agent(agent, status, state, run)
        call.agent_id = None
        call.channel = event.channel or call.channel
        call.attrs[BRIDGE_FAILURES_ATTR] = str(bridge_failures(call) + 1)
        self.set_call(call, call_state, "unbridged", run)

    def _offered_pair(self, call_id: str, agent_id: str, trigger: str) -> tuple[Call, Agent]:
        call = self.call(call_id)
        agent = self.agent(agent_id)
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
