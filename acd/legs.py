"""Agent legs: the phone calls the ACD service originates to offer a call, and how each one ends.

An offered call's agent leg ends one of these ways, each settled here: the agent answers (the leg
enters the caller's bridge; acd.ami_consume), rings out or fails (``fail_leg``: RONA), answers but
cannot be bridged to the caller (``bridge_failed``), or its outcome never arrives (a lost event):
then a watch, once the ring time is over, asks Asterisk how the leg stands (``settle_leg``). A node
forgets a leg when its call ends or the leg hangs up, also when another node applied that end.

Every leg is also noted in the leg directory (``acd.leg_directory``), and every node watches the legs
other nodes ring (their channels appear on its AMI links too): a leg whose call is still offered on it
``ADOPT_AFTER_S`` past the ringing node's own watch has lost that node, and this node adopts it
(``adopt_leg``) and settles it the same way.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis

from acd import actions
from acd.engine import AcdEngine
from acd.errors import AcdError
from acd.events import AcdEvent, BridgeFailed, CallFinished, OfferAnswered, OfferFailed
from acd.leg_directory import LegDirectory, LegRecord, leg_directory
from acd.model import CallState
from acd.offer_outcomes import bridge_failures
from acd.store_outage import STORE_UNAVAILABLE
from hotline.ami.client import AmiError
from hotline.ami.link import AmiLink
from hotline.bus import EventBus

log = logging.getLogger(__name__)

MAX_BRIDGE_FAILURES = 3
"""Answered agent legs that may fail to bridge to one caller before the call is given up (fallback queue)."""

CHANNEL_GONE = ("ami.action_failed", "ami.no_channel")
"""Error ids of a Getvar on a channel Asterisk no longer has (as opposed to AMI not answering)."""

LEG_VERDICT_GRACE_S = 5.0
"""How long after its ring timeout an agent leg may go without an outcome before the service asks
Asterisk itself how the leg stands (``LegKeeper.settle_leg``)."""

LEG_PREFIX = "hl-"
"""Agent legs' channel ids are it and 32 hex digits (``acd.service``; a Local channel's other half adds
``-2``): other nodes' legs are told apart by it."""
LEG_ID = re.compile(r"^hl-[0-9a-f]{32}$")

ADOPT_AFTER_S = 10.0
"""How long past the ringing node's own watch another node waits before it adopts a leg still offered:
long enough that a live node has settled it (a Getvar round trip), short enough that a caller of a
dead node is back in line or talking on the record within half a minute of the ringing."""


class LegPhase(StrEnum):
    """How far the service got with an agent leg's Originate."""

    PENDING = "pending"
    """Registered with the offer; no Originate sent yet (the screen-pop goes first)."""
    DIALLING = "dialling"
    """Originate sent, Asterisk's reply not yet back: the channel may or may not exist."""
    RINGING = "ringing"
    """Originate accepted: the agent's phone rings (or has answered)."""


@dataclass(slots=True)
class AgentLeg:
    """One agent phone leg for an offered call, registered when the engine decides to ring."""

    leg_id: str
    call_id: str
    agent_id: str
    caller_channel: str
    channel: str = ""
    phase: LegPhase = LegPhase.PENDING
    node: str = ""
    """The Asterisk node the leg rings on (its caller's; empty: any node, e.g. a callback)."""


def _record(leg: AgentLeg) -> LegRecord:
    return LegRecord(
        leg_id=leg.leg_id,
        call_id=leg.call_id,
        agent_id=leg.agent_id,
        caller_channel=leg.caller_channel,
        node=leg.node,
    )


class LegKeeper:
    """The legs of one ACD service (its base class), and the background tasks it spawns."""

    def __init__(
        self,
        *,
        engine: AcdEngine,
        ami: AmiLink,
        bus: EventBus,
        ring_timeout_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.engine = engine
        self._ami = ami
        self._bus = bus
        self._ring_timeout_s = ring_timeout_s
        self._clock = clock
        self.legs: dict[str, AgentLeg] = {}
        self.leg_of_call: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._leg_watches: dict[str, asyncio.TimerHandle] = {}
        self._doomed: dict[str, asyncio.TimerHandle] = {}
        self.directory: LegDirectory = leg_directory(engine.store)
        self._foreign: dict[str, asyncio.TimerHandle] = {}

    def submit(self, event: AcdEvent) -> None:
        """Apply ``event`` (the service executes the engine's commands)."""
        raise NotImplementedError

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
        if not self._ami.node_connected(leg.node):
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
        if leg is None:
            return
        if self.leg_of_call.get(leg.call_id) == leg_id:
            del self.leg_of_call[leg.call_id]
        try:
            self.directory.forget(_record(leg))
        except redis.RedisError as exc:
            log.info("agent leg %s not forgotten in the leg directory: %s", leg_id, exc)

    def note_leg(self, leg: AgentLeg) -> None:
        """Tell the other nodes that ``leg`` rings for its call's offer (``acd.leg_directory``); a
        directory out of reach is logged (only adoption after this node's death needs it)."""
        try:
            self.directory.note(_record(leg))
        except redis.RedisError as exc:
            log.warning("agent leg %s not noted in the leg directory: %s", leg.leg_id, exc)

    def watch_foreign_leg(self, leg_id: str) -> None:
        """An agent leg this node did not ring has appeared: look at it once its ringing node should
        have settled it (``adopt_leg``)."""
        if not LEG_ID.match(leg_id) or leg_id in self.legs or leg_id in self._foreign:
            return
        delay = self._ring_timeout_s + LEG_VERDICT_GRACE_S + ADOPT_AFTER_S

        def due() -> None:
            self._foreign.pop(leg_id, None)
            self._spawn(self._safe(self.adopt_leg(leg_id)))

        self._foreign[leg_id] = asyncio.get_running_loop().call_later(delay, due)

    def foreign_leg_gone(self, leg_id: str) -> bool:
        """Whether ``leg_id`` is an agent leg another node rang; if it was talking on a connected call,
        that talk ends here too (the ringing node may be gone; if not, its own end is the same)."""
        if not LEG_ID.match(leg_id):
            return False
        try:
            record = self.directory.get(leg_id)
        except redis.RedisError as exc:
            log.info("agent leg %s not looked up at its hangup: %s", leg_id, exc)
            return True
        if record is None:
            return True
        call = self.engine.store.get_call(record.call_id)
        if call is not None and call.state is CallState.CONNECTED and call.agent_id == record.agent_id:
            self.submit_quietly(CallFinished(call_id=record.call_id))
        return True

    async def adopt_leg(self, leg_id: str) -> None:
        """Settle another node's leg whose call is still offered on it: that node is gone. Nothing when
        this node has the leg, the directory no longer notes it (settled and forgotten), its call has
        moved on to a newer offer, or the call is no longer offered to the leg's agent."""
        if leg_id in self.legs:
            return
        try:
            record = self.directory.get(leg_id)
            current = self.directory.current(record.call_id) if record is not None else None
        except redis.RedisError as exc:
            log.warning("agent leg %s not looked up for adoption: %s", leg_id, exc)
            return
        if record is None or current != leg_id:
            return
        leg = AgentLeg(
            leg_id=leg_id,
            call_id=record.call_id,
            agent_id=record.agent_id,
            caller_channel=record.caller_channel,
            phase=LegPhase.RINGING,
            node=record.node,
        )
        if not self._still_offered(leg) or leg.call_id in self.leg_of_call:
            return
        log.warning(
            "adopting agent leg %s of call %s (agent %s): the node that rang it never settled it",
            leg_id,
            leg.call_id,
            leg.agent_id,
        )
        self.legs[leg_id] = leg
        self.leg_of_call[leg.call_id] = leg_id
        await self.settle_leg(leg_id)

    def _still_offered(self, leg: AgentLeg) -> bool:
        call = self.engine.store.get_call(leg.call_id)
        return call is not None and call.state is CallState.OFFERED and call.agent_id == leg.agent_id

    def _hangup_quietly(self, leg_id: str) -> None:
        if self._ami.connected:
            self._spawn(self._safe(actions.hangup_channel(self._ami, channel=leg_id)))

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
        except AmiError as exc:
            if exc.error_id in CHANNEL_GONE:
                return  # the caller is gone: their Hangup ends the call as abandoned
            channel, give_up = "", False  # no answer from Asterisk: back in line under the old name
        if give_up:
            try:
                await actions.redirect(self._ami, channel=call_id, context="hotline-unbridged", exten="s")
            except AmiError as exc:
                log.warning("call %s not sent to the fallback queue (%s); it stays in line", call_id, exc)
                give_up = False
        self.submit_quietly(BridgeFailed(call_id, agent_id, channel=channel, give_up=give_up))

    def forget_call_legs(self, call_id: str) -> None:
        """Drop the agent leg of ``call_id`` this node keeps (its call ended, or its node died)."""
        leg_id = self.leg_of_call.get(call_id)
        if leg_id is not None:
            self.forget_leg(leg_id)

    def hangup_leg_of(self, call_id: str) -> None:
        """Stop ringing/talking on the agent leg of ``call_id`` (caller gone): one Hangup for a leg that
        rings; nothing for a leg not yet dialled (it is never rung) or still being dialled (the offer
        hangs it up once Asterisk has accepted the Originate, see ``cancel_leg``)."""
        leg_id = self.leg_of_call.get(call_id)
        leg = self.legs.get(leg_id) if leg_id else None
        if leg is not None and leg.phase is LegPhase.RINGING:
            self._spawn(self._safe(actions.hangup_channel(self._ami, channel=leg.leg_id)))

    def offer_open(self, leg: AgentLeg) -> bool:
        """Whether the offer may still ring: its leg is registered and its call still offered to the agent."""
        return self.legs.get(leg.leg_id) is leg and self._still_offered(leg)

    def cancel_leg(self, leg_id: str) -> None:
        """A leg whose call ended while its Originate was on the way: hang it up now, and again when its
        channel appears (Asterisk may create it after the Originate's reply)."""
        self._hangup_quietly(leg_id)
        loop = asyncio.get_running_loop()
        self._doomed[leg_id] = loop.call_later(
            self._ring_timeout_s + LEG_VERDICT_GRACE_S, self._doomed.pop, leg_id, None
        )

    def doomed_leg_appeared(self, leg_id: str) -> bool:
        """Hang up ``leg_id`` if it is a cancelled leg whose channel has just appeared."""
        handle = self._doomed.pop(leg_id, None)
        if handle is None:
            return False
        handle.cancel()
        self._hangup_quietly(leg_id)
        return True

    def submit_quietly(self, event: AcdEvent) -> bool:
        """Apply an event coming from Asterisk; an event that no longer applies is logged, not raised."""
        try:
            self.submit(event)
        except AcdError as exc:
            log.debug("ignored %s: %s", type(event).__name__, exc)
            return False
        return True

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _safe(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except AmiError as exc:
            log.info("AMI action failed: %s", exc)
        except STORE_UNAVAILABLE as exc:
            log.warning("ACD store unreachable during a background step: %s", exc)
