"""Async glue around the pure ACD engine: feeds it events, executes its commands over AMI.

All engine calls happen on the event loop thread, one at a time, so the engine needs no locks.
Commands are executed in order; an offer first reaches the agent's desktop (bounded wait), then the
agent's phone is rung, so the screen-pop is never later than the ring. A chat (acd.chats) is offered
through ``chats`` (the chat layer) and never touches AMI; its changes go out as ``call.chat``, not
``call.changed``, so the voice call records and KPIs never count it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from acd import actions
from acd.commands import (
    AcdCommand,
    AgentChanged,
    AnnouncePosition,
    CallChanged,
    ExitCall,
    OfferCall,
    OfferCallback,
    QueueChanged,
    ScheduleTick,
)
from acd.engine import OUTAGE_FAILURE_PREFIX, OUTAGE_PAUSE_REASON, AcdEngine
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReady,
    CallQueued,
    OfferFailed,
)
from acd.legs import LEG_PREFIX, AgentLeg, LegPhase
from acd.model import CHAT_TAG, NODE_ATTR, AgentStatus, QueueConfig
from acd.service_clock import ServiceClock
from hotline.ami.client import AmiError
from hotline.ami.link import AmiLink
from hotline.bus import EventBus
from hotline.dialing import DialError

log = logging.getLogger(__name__)


class OfferNotifier(Protocol):
    """Delivers a screen-pop to an agent's desktops before the phone rings."""

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        """Send ``payload`` to every open desktop of ``agent_id``; return how many got it."""
        ...


class ChatOffers(Protocol):
    """The chat layer: takes the ACD's chat offers and chats that reached their queue's maximum wait."""

    async def offer_chat(self, offer: OfferCall) -> None:
        """Show the offered chat on the agent's desktops; the accept comes back as OfferAnswered."""
        ...

    def chat_exited(self, command: ExitCall) -> None:
        """The chat left its queue at the maximum wait (voicemail: ended; callback: waits as one)."""
        ...


def is_chat_command(tags: object) -> bool:
    """Whether a command's tags (a tuple, or an ``attrs["tags"]`` text) mark a chat."""
    items = tags.split(",") if isinstance(tags, str) else tags
    return isinstance(items, (list, tuple)) and CHAT_TAG in items


CLOSE_WAIT_S = 5.0
"""How long ``AcdService.close`` waits for its cancelled background steps."""


class AcdService(ServiceClock):
    """Runs the ACD: one engine, one AMI connection, the bus and the desktops (legs: acd.legs; timers:
    acd.service_clock)."""

    def __init__(
        self,
        *,
        engine: AcdEngine,
        ami: AmiLink,
        bus: EventBus,
        notifier: OfferNotifier,
        ring_timeout_s: float,
        clock: Callable[[], float] = time.time,
        screen_pop_wait_s: float = 0.3,
        external_dial: str = "",
    ) -> None:
        super().__init__(engine=engine, ami=ami, bus=bus, ring_timeout_s=ring_timeout_s, clock=clock)
        self._notifier = notifier
        self._screen_pop_wait_s = screen_pop_wait_s
        self._external_dial = external_dial
        self._paused_by_outage: set[str] = set()
        self.entry_open: Callable[[str], bool] = lambda _queue: True
        """Whether a queue takes callers now (opening hours; the composition root sets it)."""
        self.chats: ChatOffers | None = None

    def queue_or_default(self, name: str) -> str:
        """``name`` when the ACD has that queue and it is open (``entry_open``, ivr.hours_queues), else
        ``general`` (or the first configured queue): a caller routed to a queue that is not, or no
        longer, configured, or closed at this hour, still reaches a person."""
        queues = self.engine.queues
        if name in queues and self.entry_open(name):
            return name
        fallback = "general" if "general" in queues else next(iter(queues))
        if name in queues:
            log.info("queue %r is closed at this hour; the caller waits in %r", name, fallback)
        else:
            log.error("no queue %r in the ACD configuration; the caller waits in %r", name, fallback)
        return fallback

    def submit(self, event: AcdEvent) -> None:
        """Apply ``event``; raises the engine's typed errors for illegal events (state unchanged)."""
        if isinstance(event, CallQueued):
            self.memory.note_event(event)  # before: a queueing the store refuses for lost data comes back
        commands = self.engine.handle(event, self._clock())
        if not isinstance(event, CallQueued):
            self.memory.note_event(event)
        for command in commands:
            self._execute(command)
        if isinstance(event, AgentLoggedIn):
            self._spawn(
                self._safe(
                    actions.put_agent_contact(self._ami, agent_id=event.agent_id, contact=event.contact)
                )
            )
        elif isinstance(event, AgentLoggedOut):
            self._spawn(self._safe(actions.delete_agent_contact(self._ami, agent_id=event.agent_id)))

    def reconfigure(self, queues: Sequence[QueueConfig]) -> None:
        """Decide with ``queues`` from now on, callers keeping their place (AcdEngine.reconfigure);
        raises InvalidConfig, with nothing changed, for a configuration the routing refuses."""
        for command in self.engine.reconfigure(queues, self._clock()):
            self._execute(command)

    def _execute(self, command: AcdCommand) -> None:
        if isinstance(command, OfferCall) and is_chat_command(command.attrs.get("tags", "")):
            self._spawn(self._offer_chat(command))
        elif isinstance(command, (OfferCall, OfferCallback)):
            self._spawn(self._offer(command, self._register_leg(command)))
        elif isinstance(command, ScheduleTick):
            self._schedule_tick(command.at)
        elif isinstance(command, ExitCall):
            self._spawn(self._safe(self._exit(command)))
        else:
            self._publish(command)

    def _publish(self, command: AcdCommand) -> None:
        self.memory.note_command(command)
        now = self._clock()
        if isinstance(command, AgentChanged):
            call_id = self.engine_call_of_agent(command.agent_id)
            self._bus.publish(
                "agent.changed",
                {
                    "agent_id": command.agent_id,
                    "status": str(command.status),
                    "state": str(command.state),
                    "pause_reason": command.pause_reason,
                    "at": now,
                    "call_id": call_id,
                },
            )
        elif isinstance(command, CallChanged) and is_chat_command(command.tags):
            self._bus.publish(
                "call.chat",
                {
                    "channel": CHAT_TAG,
                    "call_id": command.call_id,
                    "state": str(command.state),
                    "queue": command.queue,
                    "agent_id": command.agent_id,
                    "reason": command.reason,
                    "waited_s": command.waited_s,
                    "at": now,
                },
            )
        elif isinstance(command, CallChanged):
            self._bus.publish(
                "call.changed",
                {
                    "call_id": command.call_id,
                    "state": str(command.state),
                    "queue": command.queue,
                    "agent_id": command.agent_id,
                    "reason": command.reason,
                    "waited_s": command.waited_s,
                    "tags": list(command.tags),
                    "at": now,
                },
            )
            if str(command.state) == "ended":
                self.forget_call_legs(command.call_id)
        elif isinstance(command, QueueChanged):
            self._bus.publish(
                "queue.changed",
                {
                    "queue": command.queue,
                    "waiting": command.waiting,
                    "available_agents": command.available_agents,
                    "at": now,
                },
            )
        elif isinstance(command, AnnouncePosition):
            self._bus.publish(
                "call.position",
                {
                    "call_id": command.call_id,
                    "queue": command.queue,
                    "position": command.position,
                    "ewt_s": command.ewt_s,
                    "at": now,
                },
            )

    async def _offer_chat(self, offer: OfferCall) -> None:
        if self.chats is None:
            log.error("chat %s offered but no chat layer runs; requeued", offer.call_id)
            self.submit_quietly(OfferFailed(offer.call_id, offer.agent_id, reason="chat_unavailable"))
            return
        await self.chats.offer_chat(offer)

    async def _exit(self, command: ExitCall) -> None:
        """Maximum wait reached: record a message (becomes a work order) or confirm the callback."""
        if command.target_kind == "queue":
            return
        if command.channel.startswith(f"{CHAT_TAG}/"):
            if self.chats is not None:
                self.chats.chat_exited(command)
            return
        exten = "voicemail" if command.target_kind == "voicemail" else "callback-ack"
        await actions.redirect(self._ami, channel=command.channel, context="hotline-desk", exten=exten)

    def engine_call_of_agent(self, agent_id: str) -> str | None:
        """The call an agent is offered or talking on, if any."""
        agent = self.engine.store.get_agent(agent_id)
        if agent is None:
            return None
        return agent.offered_call_id or agent.current_call_id

    def _register_leg(self, offer: OfferCall | OfferCallback) -> AgentLeg:
        """Register the agent leg in the same step as the engine's decision to ring: a caller's hang-up
        handled before the offer task runs finds the leg and forgets it, so nothing is rung."""
        leg = AgentLeg(
            leg_id=f"{LEG_PREFIX}{uuid.uuid4().hex}",
            call_id=offer.call_id,
            agent_id=offer.agent_id,
            caller_channel="" if isinstance(offer, OfferCallback) else offer.channel,
            node="" if isinstance(offer, OfferCallback) else offer.attrs.get(NODE_ATTR, ""),
        )
        self.legs[leg.leg_id] = leg
        self.leg_of_call[offer.call_id] = leg.leg_id
        self.note_leg(leg)
        return leg

    async def _offer(self, offer: OfferCall | OfferCallback, leg: AgentLeg) -> None:
        """Screen-pop first, then ring the agent: into the caller's bridge, or (callback) the agent first.

        The phone is rung only if, right before the Originate goes out, the leg is still registered and
        the call is still offered to this agent; a leg forgotten during the Originate round trip (its
        caller hung up meanwhile) is hung up as soon as Asterisk has it."""
        callback = isinstance(offer, OfferCallback)
        caller = offer.number if isinstance(offer, OfferCallback) else offer.caller
        payload: dict[str, object] = {
            "call_id": offer.call_id,
            "agent_id": offer.agent_id,
            "caller": caller,
            "queue": offer.queue,
            "waited_s": round(offer.waited_s, 3),
            "ivr": dict(offer.attrs),
            "callback": callback,
            "offered_at": self._clock(),
        }
        await self._notify(offer.agent_id, offer.call_id, payload)
        if not self.offer_open(leg):
            self.forget_leg(leg.leg_id)
            return
        if not self._ami.node_connected(leg.node):
            self._outage(leg.leg_id, offer.agent_id, "ami_not_connected")
            return
        leg.phase = LegPhase.DIALLING
        try:
            await self._ring(offer, leg)
        except AmiError as exc:
            log.warning("originate for %s to %s failed: %s", offer.call_id, offer.agent_id, exc)
            self._outage(leg.leg_id, offer.agent_id, exc.error_id)
            return
        except DialError as exc:
            log.error("callback %s cannot be dialled: %s", offer.call_id, exc)
            self.fail_leg(leg.leg_id, reason="undialable")
            return
        leg.phase = LegPhase.RINGING
        if self.legs.get(leg.leg_id) is not leg:
            self.cancel_leg(leg.leg_id)
            return
        self._watch_leg(leg.leg_id)

    async def _ring(self, offer: OfferCall | OfferCallback, leg: AgentLeg) -> None:
        if isinstance(offer, OfferCallback):
            await actions.originate_callback_leg(
                self._ami,
                contact=offer.contact,
                number=offer.number,
                external_dial=self._external_dial,
                call_id=offer.call_id,
                agent_id=offer.agent_id,
                leg_id=leg.leg_id,
                ring_timeout_s=self._ring_timeout_s,
                attrs=offer.attrs,
            )
            return
        await actions.originate_agent_leg(
            self._ami,
            contact=offer.contact,
            caller_channel=offer.channel,
            caller_number=offer.caller,
            call_id=offer.call_id,
            agent_id=offer.agent_id,
            leg_id=leg.leg_id,
            ring_timeout_s=self._ring_timeout_s,
            attrs=offer.attrs,
        )

    def _outage(self, leg_id: str, agent_id: str, reason: str) -> None:
        """The phone could not be rung for a reason that is not the agent's: requeue the call; the agent
        waits paused "telephony outage" (not "no answer") and is given back once Asterisk is reachable."""
        self._hangup_quietly(leg_id)
        self.fail_leg(leg_id, reason=f"{OUTAGE_FAILURE_PREFIX}{reason}")
        self._paused_by_outage.add(agent_id)

    def restore_after_outage(self) -> None:
        """Make agents paused by an AMI outage available again (called after every reconnection)."""
        agents, self._paused_by_outage = self._paused_by_outage, set()
        for agent_id in agents:
            agent = self.engine.store.get_agent(agent_id)
            if agent is not None and agent.pause_reason == OUTAGE_PAUSE_REASON:
                self.submit_quietly(AgentReady(agent_id=agent_id))

    async def put_contacts(self, node: str) -> None:
        """Tell a (re)connected node every logged-in agent's phone, for its static fallback queue (an
        Asterisk that restarted, or was away while agents logged in, would ring nobody)."""
        link = self._ami.for_node(node)
        for agent in list(self.engine.store.iter_agents()):
            if agent.status is not AgentStatus.LOGGED_OUT and agent.contact:
                await self._safe(
                    actions.put_agent_contact(link, agent_id=agent.agent_id, contact=agent.contact)
                )

    async def _notify(self, agent_id: str, call_id: str, payload: dict[str, object]) -> None:
        """Publish the offer and wait (bounded) until the agent's desktops have it."""
        self._bus.publish("agent.offer", payload)
        try:
            await asyncio.wait_for(self._notifier.deliver_offer(agent_id, payload), self._screen_pop_wait_s)
        except TimeoutError:
            log.warning("screen-pop for %s slower than %.0f ms", call_id, self._screen_pop_wait_s * 1e3)

    def confirm_callback(self, channel: str) -> None:
        """Tell the caller their callback is booked and let them go (their place in line is kept)."""
        self._spawn(
            self._safe(
                actions.redirect(self._ami, channel=channel, context="hotline-desk", exten="callback-ack")
            )
        )

    async def close(self) -> None:
        """Cancel timers and background actions."""
        watches = (self._ticks, self._leg_watches, self._doomed, self._foreign)
        for handles in watches:
            for handle in handles.values():
                handle.cancel()
            handles.clear()
        tasks = tuple(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=CLOSE_WAIT_S)
            for task in stuck:  # a stop must end: say which step would not, and go on
                log.error("ACD step %s did not stop in %.0f s; left", task.get_coro(), CLOSE_WAIT_S)
        await self.outage.close()
