"""AMI events in, ACD events out: the only place that knows how Asterisk reports a call.

- ``UserEvent: HotlineQueued`` from the hold loop: the caller is waiting, music playing.
- ``OriginateResponse`` for one of our agent legs: failed/not answered; for a callback leg also the
  answer (the leg then dials the citizen).
- ``BridgeEnter`` of an agent leg for a waiting caller: the answer. Answered is what the caller hears:
  an agent whose phone picked up but could not be bridged to the caller did not answer the call.
- ``UserEvent: HotlineBridgeFailed`` from an agent leg: answered, but Bridge() onto the caller failed.
- ``Newchannel``: learn the agent leg's channel name (to hang it up if the caller leaves).
- ``Hangup`` of a caller or an agent leg: abandoned while waiting/offered, or the end of a talk.
- ``UserEvent: HotlineFallback``: the dialplan sent a caller to the static fallback queue.
- after every (re)connection: calls that Asterisk no longer has are closed (Asterisk restarted), and an
  agent leg that was answered while the connection was down is connected (its OriginateResponse was lost).
"""

from __future__ import annotations

import logging
import time

from acd.events import CallAbandoned, CallbackRequested, CallFinished, CallQueued, OfferAnswered
from acd.model import NODE_ATTR, CallState
from acd.service import AcdService
from hotline.ami.client import AmiEvent
from hotline.ami.link import AmiLink
from hotline.bus import EventBus
from hotline.dialing import NUMBER
from privacy.masking import for_log

log = logging.getLogger(__name__)


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


class AmiConsumer:
    """Translates AMI events into ACD events for one :class:`AcdService`."""

    def __init__(self, *, ami: AmiLink, service: AcdService, bus: EventBus) -> None:
        self._ami = ami
        self._service = service
        self._bus = bus
        self._fallback_calls: set[str] = set()

    def install(self) -> None:
        """Register the handlers on the AMI client."""
        guard = self._service.outage.guard
        self._ami.on_event("UserEvent", guard(self.on_user_event))
        self._ami.on_event("OriginateResponse", guard(self.on_originate_response))
        self._ami.on_event("Newchannel", guard(self.on_new_channel))
        self._ami.on_event("BridgeEnter", guard(self.on_bridge_enter))
        self._ami.on_event("Hangup", guard(self.on_hangup))
        self._ami.on_event("AgentConnect", guard(self.on_fallback_connect))
        self._ami.on_node_connected(self.resync)

    def on_user_event(self, event: AmiEvent) -> None:
        """Queued callers and fallback notices from the dialplan."""
        kind = event.get("UserEvent", "")
        if kind == "HotlineQueued":
            self._service.submit_quietly(
                CallQueued(
                    call_id=event.get("Uniqueid", ""),
                    queue=self._service.queue_or_default(event.get("Queue", "") or "general"),
                    caller=event.get("CallerIDNum", ""),
                    channel=event.get("Channel", ""),
                    priority=_int(event.get("CallPriority")),
                    target_agent=event.get("TargetAgent") or None,
                    attrs={
                        "keys": event.get("Keys", ""),
                        "flow_version": event.get("FlowVersion", ""),
                        "tags": event.get("Tags", ""),
                        "line": event.get("Line", ""),
                        "dialled": event.get("Dialled", ""),
                        NODE_ATTR: event.node,
                    },
                )
            )
        elif kind == "HotlineBridgeFailed":
            self._service.bridge_failed(event.get("Uniqueid", ""), result=event.get("Result", ""))
        elif kind == "HotlineCallbackRequested":
            self._callback_requested(event)
        elif kind == "HotlineFallback":
            self._left_for_fallback(event.get("Uniqueid", ""))
            self._bus.publish(
                "call.fallback",
                {
                    "call_id": event.get("Uniqueid", ""),
                    "caller": event.get("CallerIDNum", ""),
                    "channel": event.get("Channel", ""),
                    "reason": event.get("Reason", ""),
                    "dialled": event.get("Dialled", ""),
                    "at": time.time(),
                },
            )

    def _callback_requested(self, event: AmiEvent) -> None:
        """Key 1 in the hold loop: accepted only for a dialable number; then the caller is told and leaves."""
        call_id, number = event.get("Uniqueid", ""), event.get("CallerIDNum", "")
        if not NUMBER.fullmatch(number):
            log.info("callback refused for %s: number %r cannot be dialled back", call_id, for_log(number))
            return
        if self._service.submit_quietly(CallbackRequested(call_id=call_id, number=number)):
            self._service.confirm_callback(event.get("Channel", ""))

    def _left_for_fallback(self, call_id: str) -> None:
        """The dialplan moved a caller to the static fallback queue: the ACD must not offer it any more."""
        self._fallback_calls.add(call_id)
        call = self._service.engine.store.get_call(call_id)
        if call is not None and call.state in (CallState.WAITING, CallState.OFFERED):
            self._service.hangup_leg_of(call_id)
            self._service.submit_quietly(CallAbandoned(call_id=call_id))

    def on_fallback_connect(self, event: AmiEvent) -> None:
        """A caller in the static fallback queue reached a person."""
        if event.get("Queue") != "hotline-fallback":
            return
        self._bus.publish(
            "call.fallback_answered",
            {
                "call_id": event.get("Uniqueid", ""),
                "member": event.get("Interface", ""),
                "waited_s": float(event.get("HoldTime", "0") or 0),
                "at": time.time(),
            },
        )

    def on_originate_response(self, event: AmiEvent) -> None:
        """The agent leg answered (Bridge runs next) or failed to."""
        leg_id = event.get("ActionID", "")
        leg = self._service.legs.get(leg_id)
        if leg is None:
            return
        if event.get("Response") == "Success":
            if not leg.caller_channel:  # a callback: the agent answering is the answer
                self._service.submit_quietly(OfferAnswered(call_id=leg.call_id, agent_id=leg.agent_id))
        else:
            self._service.fail_leg(leg_id, reason=f"no_answer:{event.get('Reason', '')}")

    def on_bridge_enter(self, event: AmiEvent) -> None:
        """An agent leg for a waiting caller entered the caller's bridge: that is the answer."""
        leg = self._service.legs.get(event.get("Uniqueid", ""))
        if leg is None or not leg.caller_channel:
            return
        call = self._service.engine.store.get_call(leg.call_id)
        if call is not None and call.state is CallState.OFFERED and call.agent_id == leg.agent_id:
            self._service.submit_quietly(OfferAnswered(call_id=leg.call_id, agent_id=leg.agent_id))

    def on_new_channel(self, event: AmiEvent) -> None:
        """Remember the channel name of our agent legs; hang up a cancelled leg that appears late."""
        uniqueid = event.get("Uniqueid", "")
        leg = self._service.legs.get(uniqueid)
        if leg is not None:
            leg.channel, leg.node = event.get("Channel", ""), event.node
        elif not self._service.doomed_leg_appeared(uniqueid):
            self._service.watch_foreign_leg(uniqueid)

    def on_hangup(self, event: AmiEvent) -> None:
        """A caller or an agent leg hung up."""
        uniqueid = event.get("Uniqueid", "")
        self._service.memory.forget_call(uniqueid)
        leg = self._service.legs.get(uniqueid)
        if leg is not None:
            self._leg_gone(uniqueid, leg.call_id, leg.agent_id)
            return
        if uniqueid in self._fallback_calls:
            self._fallback_calls.discard(uniqueid)
            self._bus.publish("call.fallback_ended", {"call_id": uniqueid, "at": time.time()})
            return
        if self._service.foreign_leg_gone(uniqueid):
            return
        self._caller_gone(uniqueid)

    def _caller_gone(self, call_id: str) -> None:
        """The caller's channel is gone: their agent leg is hung up (once), the call abandoned or ended.
        A callback entry's caller left on purpose (its agent leg dials them back): nothing to do."""
        call = self._service.engine.store.get_call(call_id)
        if call is not None and call.callback is not None:
            return
        self._service.hangup_leg_of(call_id)
        if call is None:
            return
        if call.state in (CallState.WAITING, CallState.OFFERED):
            self._service.submit_quietly(CallAbandoned(call_id=call_id))
        elif call.state is CallState.CONNECTED:
            self._service.submit_quietly(CallFinished(call_id=call_id))

    def _leg_gone(self, leg_id: str, call_id: str, agent_id: str) -> None:
        """An agent leg hung up: still ringing for its offer (its OriginateResponse not yet applied, or
        lost) fails the offer; after an answer it ends the talk. Either way this node forgets the leg,
        also when another node applied the end of the call."""
        call = self._service.engine.store.get_call(call_id)
        if call is not None and call.state is CallState.OFFERED and call.agent_id == agent_id:
            self._service.fail_leg(leg_id, reason="leg_hung_up")
            return
        self._end_talk(call_id)
        self._service.forget_leg(leg_id)

    def _end_talk(self, call_id: str) -> None:
        call = self._service.engine.store.get_call(call_id)
        if call is not None and call.state is CallState.CONNECTED:
            self._service.submit_quietly(CallFinished(call_id=call_id))

    async def resync(self, node: str = "") -> None:
        """After ``node``'s (re)connection, settle what its channel list says about the ACD's view.

        Only that node's calls and legs are judged, and only what existed when the list was asked for:
        calls the ACD knew then, and agent legs whose channel it had seen. A caller queued or a leg
        created while the list was on its way (events read right behind its end, or handled during the
        awaits below) is never closed for being absent from it; if it is really gone, its own Hangup
        says so on this connection.
        """
        store = self._service.engine.store
        known_calls = [c.call_id for c in store.iter_calls() if c.attrs.get(NODE_ATTR, "") == node]
        known_legs = [i for i, leg in self._service.legs.items() if leg.channel and leg.node == node]
        events = await self._ami.for_node(node).send_action_list(
            {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
        )
        alive = {e.get("Uniqueid", "") for e in events}
        for leg_id in known_legs:
            leg = self._service.legs.get(leg_id)
            if leg is None:
                continue
            if leg_id in alive:
                await self._service.settle_leg(leg_id, ring_over=False)
            elif self._service.offer_open(leg):
                self._service.fail_leg(leg_id, reason="leg_vanished")
        for call_id in known_calls:
            if call_id not in alive and store.get_call(call_id) is not None:
                log.info("call %s vanished from Asterisk %s; closing it", call_id, node or "")
                self._caller_gone(call_id)
        self._service.restore_after_outage()
        await self._service.put_contacts(node)
