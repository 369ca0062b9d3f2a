"""Async glue around the pure ACD engine: feeds it events, executes its commands over AMI.

All engine calls happen on the event loop thread, one at a time, so the engine needs no locks.
Commands are executed in order; an offer first reaches the agent's desktop (bounded wait), then the
agent's phone is rung, so the screen-pop is never later than the ring.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

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
from acd.engine import NO_ANSWER_PAUSE_REASON, AcdEngine, bridge_failures
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReady,
    BridgeFailed,
    OfferAnswered,
    OfferFailed,
    Tick,
)
from acd.model import CallState
from hotline.ami.client import AmiClient, AmiError
from hotline.bus import EventBus
from hotline.dialing import DialError

log = logging.getLogger(__name__)

MAX_BRIDGE_FAILURES = 3
"""Answered agent legs that may fail to bridge to one caller before the call is given up (fallback queue)."""

LEG_VERDICT_GRACE_S = 5.0
"""How long after its ring timeout an agent leg may go without an OriginateResponse before the
service asks Asterisk itself how the leg stands (acd.service.AcdService.settle_leg)."""


class OfferNotifier(Protocol):
    """Delivers a screen-pop to an agent's desktops before the phone rings."""

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        """Send ``payload`` to every open desktop of ``agent_id``; return how many got it."""
        ...


@dataclass(slots=True)
class AgentLeg:
    """One originated agent phone leg for an offered call."""

    leg_id: str
    call_id: str
    agent_id: str
    caller_channel: str
    channel: str = ""


class AcdService:
    """Runs the ACD: one engine, one AMI connection, the bus and the desktops."""

    def __init__(
        self,
        *,
        engine: AcdEngine,
        ami: AmiClient,
        bus: EventBus,
        notifier: OfferNotifier,
        ring_timeout_s: float,
        clock: Callable[[], float] = time.time,
        screen_pop_wait_s: float = 0.3,
        external_dial: str = "",
    ) -> None:
        self.engine = engine
        self._ami = ami
        self._bus = bus
        self._notifier = notifier
        self._ring_timeout_s = ring_timeout_s
        self._clock = clock
        self._screen_pop_wait_s = screen_pop_wait_s
        self._external_dial = external_dial
        self._paused_by_outage: set[str] = set()
        self.legs: dict[str, AgentLeg] = {}
        self.leg_of_call: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticks: dict[float, asyncio.TimerHandle] = {}
        self._leg_watches: dict[str, asyncio.TimerHandle] = {}

    def queue_or_default(self, name: str) -> str:
        """``name`` when the ACD has that queue, else ``general`` (or the first configured queue): a
        caller routed to a queue that is not, or no longer, configured still reaches a person."""
        queues = self.engine.queues
        if name in queues:
            return name
        fallback = "general" if "general" in queues else next(iter(queues))
        log.error("no queue %r in the ACD configuration; the caller waits in %r", name, fallback)
        return fallback

    def submit(self, event: AcdEvent) -> None:
        """Apply ``event``; raises the engine's typed errors for illegal events (state unchanged)."""
        commands = self.engine.handle(event, self._clock())
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

    def _execute(self, command: AcdCommand) -> None:
        if isinstance(command, (OfferCall, OfferCallback)):
            self._spawn(self._offer(command))
        elif isinstance(command, ScheduleTick):
            self._schedule_tick(command.at)
        elif isinstance(command, ExitCall):
            self._spawn(self._safe(self._exit(command)))
        else:
            self._publish(command)

    def _publish(self, command: AcdCommand) -> None:
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
                self._forget_call(command.call_id)
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

    async def _exit(self, command: ExitCall) -> None:
        """Maximum wait reached: record a message (becomes a work order) or confirm the callback."""
        if command.target_kind == "queue":
            return
        exten = "voicemail" if command.target_kind == "voicemail" else "callback-ack"
        await actions.redirect(self._ami, channel=command.channel, context="hotline-desk", exten=exten)

    def engine_call_of_agent(self, agent_id: str) -> str | None:
        """The call an agent is offered or talking on, if any."""
        agent = self.engine.store.get_agent(agent_id)
        if agent is None:
            return None
        return agent.offered_call_id or agent.current_call_id

    async def _offer(self, offer: OfferCall | OfferCallback) -> None:
        """Screen-pop first, then ring the agent: into the caller's bridge, or (callback) the agent first."""
        callback = isinstance(offer, OfferCallback)
        caller = offer.number if isinstance(offer, OfferCallback) else offer.caller
        leg = AgentLeg(
            leg_id=f"hl-{uuid.uuid4().hex}",
            call_id=offer.call_id,
            agent_id=offer.agent_id,
            caller_channel="" if isinstance(offer, OfferCallback) else offer.channel,
        )
        self.legs[leg.leg_id] = leg
        self.leg_of_call[offer.call_id] = leg.leg_id
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
        if self.legs.get(leg.leg_id) is not leg:
            return
        if not self._ami.connected:
            self._outage(leg.leg_id, offer.agent_id, "ami_not_connected")
            return
        try:
            await self._ring(offer, leg)
            self._watch_leg(leg.leg_id)
        except AmiError as exc:
            log.warning("originate for %s to %s failed: %s", offer.call_id, offer.agent_id, exc)
            self._outage(leg.leg_id, offer.agent_id, exc.error_id)
        except DialError as exc:
            log.error("callback %s cannot be dialled: %s", offer.call_id, exc)
            self.fail_leg(leg.leg_id, reason="undialable")

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
        )

    def _watch_leg(self, leg_id: str, delay_s: float | None = None) -> None:
        """Settle the leg from Asterisk's own view if no OriginateResponse settled it by the time the
        phone has stopped ringing (an event lost on the way must not leave the offer open for ever)."""
        delay = self._ring_timeout_s + LEG_VERDICT_GRACE_S if delay_s is None else delay_s
        self._leg_watches[leg_id] = asyncio.get_running_loop().call_later(
            delay, lambda: self._spawn(self._safe(self.settle_leg(leg_id)))
        )

    async def settle_leg(self, leg_id: str, *, ring_over: bool = True) -> None:
        """Bring an offer whose outcome was never reported in line with the agent leg in Asterisk.

        ``ring_over`` (the watch firing): the leg's ring time is over. Nothing to do once the call is
        no longer offered on this leg (answered, failed, caller gone). Otherwise a leg that is up was
        answered (OfferAnswered); once the ring time is over, a leg still ringing is hung up, and that or
        a leg that is gone fails the offer (the call goes back to the head of its queue). With AMI down
        nothing is decided and the watch looks again later; the resync after a reconnection calls this
        with ``ring_over=False`` (only an answered leg is settled then).
        """
        if ring_over:
            self._leg_watches.pop(leg_id, None)
        leg = self.legs.get(leg_id)
        if leg is None or not self._still_offered(leg):
            self._unwatch_leg(leg_id)
            return
        if not self._ami.connected:
            if ring_over:
                self._watch_leg(leg_id, LEG_VERDICT_GRACE_S)
            return
        try:
            state = await actions.channel_state(self._ami, channel=leg_id)
        except AmiError:
            state = ""
        if self.legs.get(leg_id) is not leg or not self._still_offered(leg):
            return
        if state == "Up" and await self._leg_connected(leg):
            self._unwatch_leg(leg_id)
            log.warning("agent leg %s is connected but its answer was never reported", leg_id)
            self.submit_quietly(OfferAnswered(call_id=leg.call_id, agent_id=leg.agent_id))
            return
        if not ring_over:
            return
        seen = state or "gone"
        log.warning("agent leg %s has no outcome after its ring time (%s); requeueing", leg_id, seen)
        if state:
            self._hangup_quietly(leg_id)
        self.fail_leg(leg_id, reason=f"no_verdict:{seen}")

    async def _leg_connected(self, leg: AgentLeg) -> bool:
        """Whether an answered leg reached its caller: a callback leg by answering (it dials the
        citizen itself), a leg for a waiting caller by sharing a bridge with them."""
        if not leg.caller_channel:
            return True
        try:
            peer = await actions.bridge_peer(self._ami, channel=leg.leg_id)
        except AmiError:
            return False
        return bool(peer)

    def _unwatch_leg(self, leg_id: str) -> None:
        handle = self._leg_watches.pop(leg_id, None)
        if handle is not None:
            handle.cancel()

    def forget_leg(self, leg_id: str) -> None:
        """Drop what this node keeps about an agent leg that has hung up (another node may have
        applied the end of its call, so this node never saw the call end)."""
        leg = self.legs.pop(leg_id, None)
        self._unwatch_leg(leg_id)
        if leg is not None and self.leg_of_call.get(leg.call_id) == leg_id:
            del self.leg_of_call[leg.call_id]

    def _still_offered(self, leg: AgentLeg) -> bool:
        call = self.engine.store.get_call(leg.call_id)
        return call is not None and call.state is CallState.OFFERED and call.agent_id == leg.agent_id

    def _outage(self, leg_id: str, agent_id: str, reason: str) -> None:
        """The phone could not be rung for a reason that is not the agent's: requeue the call, and give
        the agent back (no 'no answer' pause) as soon as Asterisk is reachable again."""
        self._hangup_quietly(leg_id)
        self.fail_leg(leg_id, reason=f"originate_error:{reason}")
        self._paused_by_outage.add(agent_id)

    def restore_after_outage(self) -> None:
        """Make agents paused by an AMI outage available again (called after every reconnection)."""
        agents, self._paused_by_outage = self._paused_by_outage, set()
        for agent_id in agents:
            agent = self.engine.store.get_agent(agent_id)
            if agent is not None and agent.pause_reason == NO_ANSWER_PAUSE_REASON:
                self.submit_quietly(AgentReady(agent_id=agent_id))

    def _hangup_quietly(self, leg_id: str) -> None:
        if self._ami.connected:
            self._spawn(self._safe(actions.hangup_channel(self._ami, channel=leg_id)))

    async def _notify(self, agent_id: str, call_id: str, payload: dict[str, object]) -> None:
        """Publish the offer and wait (bounded) until the agent's desktops have it."""
        self._bus.publish("agent.offer", payload)
        try:
            await asyncio.wait_for(self._notifier.deliver_offer(agent_id, payload), self._screen_pop_wait_s)
        except TimeoutError:
            log.warning("screen-pop for %s slower than %.0f ms", call_id, self._screen_pop_wait_s * 1e3)

    def fail_leg(self, leg_id: str, *, reason: str) -> None:
        """The agent leg failed or was not answered: the engine requeues the call (RONA)."""
        leg = self.legs.get(leg_id)
        if leg is None:
            return
        self.forget_leg(leg_id)
        self.submit_quietly(OfferFailed(call_id=leg.call_id, agent_id=leg.agent_id, reason=reason))

    def bridge_failed(self, leg_id: str, *, result: str) -> None:
        """The agent answered but their leg could not be bridged to the caller (Bridge() ``result``).

        The call was never connected (an answer is the bridge, see acd.ami_consume), so nothing is
        recorded as answered. The service asks Asterisk for the caller's channel name now (a renamed
        channel is the usual cause) and the call waits at its old place in line under that name, the
        agent free again (BridgeFailed). A caller who is gone is left to their Hangup (abandoned); at
        the third failure the call is given up and the caller goes to the static fallback queue
        (``[hotline-unbridged]``), so one unbridgeable caller cannot cycle through every agent.
        """
        leg = self.legs.get(leg_id)
        if leg is None:
            return
        self.forget_leg(leg_id)
        call = self.engine.store.get_call(leg.call_id)
        if call is None or call.agent_id != leg.agent_id or call.state is not CallState.OFFERED:
            return
        log.warning("agent %s not bridged to %s (%s)", leg.agent_id, call.call_id, result)
        self._bus.publish(
            "call.bridge_failed",
            {"call_id": call.call_id, "agent_id": leg.agent_id, "result": result, "at": self._clock()},
        )
        give_up = bridge_failures(call) + 1 >= MAX_BRIDGE_FAILURES
        self._spawn(self._safe(self._unbridged(call.call_id, leg.agent_id, give_up=give_up)))

    async def _unbridged(self, call_id: str, agent_id: str, *, give_up: bool) -> None:
        try:
            channel = await actions.channel_name(self._ami, channel=call_id)
        except AmiError:
            return  # the caller is gone: their Hangup ends the call as abandoned
        if not self.submit_quietly(BridgeFailed(call_id, agent_id, channel=channel, give_up=give_up)):
            return
        if give_up:
            await actions.redirect(self._ami, channel=call_id, context="hotline-unbridged", exten="s")

    def submit_quietly(self, event: AcdEvent) -> bool:
        """Apply an event coming from Asterisk; an event that no longer applies is logged, not raised."""
        from acd.errors import AcdError

        try:
            self.submit(event)
        except AcdError as exc:
            log.debug("ignored %s: %s", type(event).__name__, exc)
            return False
        return True

    def _forget_call(self, call_id: str) -> None:
        leg_id = self.leg_of_call.get(call_id)
        if leg_id is not None:
            self.forget_leg(leg_id)

    def confirm_callback(self, channel: str) -> None:
        """Tell the caller their callback is booked and let them go (their place in line is kept)."""
        self._spawn(
            self._safe(
                actions.redirect(self._ami, channel=channel, context="hotline-desk", exten="callback-ack")
            )
        )

    def hangup_leg_of(self, call_id: str) -> None:
        """Stop ringing/talking on the agent leg of ``call_id`` (caller gone)."""
        leg_id = self.leg_of_call.get(call_id)
        leg = self.legs.get(leg_id) if leg_id else None
        if leg is not None:
            self._spawn(self._safe(actions.hangup_channel(self._ami, channel=leg.channel or leg.leg_id)))

    def _schedule_tick(self, at: float) -> None:
        if at in self._ticks:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, at - self._clock())
        self._ticks[at] = loop.call_later(delay, self._on_tick, at)

    def _on_tick(self, at: float) -> None:
        self._ticks.pop(at, None)
        self.submit_quietly(Tick())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _safe(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except AmiError as exc:
            log.info("AMI action failed: %s", exc)

    async def heartbeat_forever(self, interval_s: float = 2.0) -> None:
        """Keep the dialplan's hold loop convinced the service is alive."""
        while True:
            try:
                await actions.put_heartbeat(self._ami, epoch=int(self._clock()))
            except AmiError as exc:
                log.warning("heartbeat not delivered: %s", exc)
            await asyncio.sleep(interval_s)

    async def tick_forever(self, interval_s: float = 2.0) -> None:
        """A regular Tick: timers set by other nodes and pairs missed in a race are caught within it."""
        while True:
            await asyncio.sleep(interval_s)
            self.submit_quietly(Tick())

    async def close(self) -> None:
        """Cancel timers and background actions."""
        for handle in (*self._ticks.values(), *self._leg_watches.values()):
            handle.cancel()
        self._ticks.clear()
        self._leg_watches.clear()
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
