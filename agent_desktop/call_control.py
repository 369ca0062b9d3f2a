"""Call control for an agent's current call: blind transfer (to a queue, a named agent or a number),
attended transfer, three-way call, leave.

Every operation is a few AMI actions on the live channels (Setvar, Redirect, Originate, Atxfer, Hangup).
The ACD is told first when the agent's part ends, so the call is never both with the agent and back in line.

Attended (consultative) transfer uses Asterisk's own attended transfer (AMI ``Atxfer``): the caller
hears music on hold while the agent talks to the target in [hotline-consult]; hanging up the agent's leg
completes the transfer (the caller is joined to the target), ``CancelAtxfer`` returns the agent to the
caller, and so does the target hanging up. A consult with an agent or a queue is a call through the ACD
(screen-pop, claims, no-answer handling) whose waiting party is the agent's consult leg.
"""

from __future__ import annotations

import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from acd.events import CallFinished
from acd.model import CONSULT_TAG, Agent, AgentStatus, CallState
from acd.service import AcdService
from agent_desktop.directory import DirectoryEntry
from agent_desktop.errors import DesktopError
from hotline.ami.client import AmiError, AmiEvent
from hotline.ami.link import AmiLink
from hotline.bus import EventBus
from hotline.dialing import dial_string
from hotline.holds import CONSULT_SOURCE, Holds


@dataclass(frozen=True, slots=True)
class LiveCall:
    """The channels of an agent's connected call."""

    call_id: str
    queue: str
    caller_channel: str
    agent_channel: str
    caller: str = ""
    tags: str = ""


CONSULT_START_S = 10.0
"""A consultation whose leg Asterisk has not reported within this time did not start."""

CONSULT_CONTEXT = "hotline-consult"
CONSULT_NUMBER_EXTEN = "0"
CONSULT_ACD_EXTEN = "1"


@dataclass(slots=True)
class Consult:
    """An attended transfer an agent started: for which call, to whom, when (monotonic), and the
    consult leg's channel once Asterisk reports it (``UserEvent: HotlineConsult``)."""

    call_id: str
    agent_channel: str
    target: str
    started: float
    channel: str = ""


class CallControl:
    """Transfers and three-way calls over AMI."""

    def __init__(
        self,
        *,
        acd: AcdService,
        ami: AmiLink,
        bus: EventBus,
        external_dial: str,
        transferred_priority: int,
        queues: AbstractSet[str],
    ) -> None:
        self._acd = acd
        self._ami = ami
        self._bus = bus
        self._external_dial = external_dial
        self._transferred_priority = transferred_priority
        self._queues = queues
        self._consults: dict[str, Consult] = {}
        self.holds = Holds(acd=acd, bus=bus)

    async def live_call(self, agent_id: str, *, consulting_ok: bool = False) -> LiveCall:
        """The agent's connected call, or a 409 error (also while a consultation runs, unless
        ``consulting_ok``: the caller is on hold then and only complete/cancel apply).

        The agent's channel is known locally when this node's ACD made the offer; otherwise (the
        desktop is on another app node) it is the caller's bridge peer, asked over AMI.
        """
        agent = self._acd.engine.store.get_agent(agent_id)
        call_id = agent.current_call_id if agent is not None else None
        call = self._acd.engine.store.get_call(call_id) if call_id else None
        if call is None or call.state is not CallState.CONNECTED:
            raise DesktopError("no_live_call", "you are not on a call", status_code=409)
        leg_id = self._acd.leg_of_call.get(call.call_id)
        leg = self._acd.legs.get(leg_id) if leg_id else None
        channel = leg.channel if leg is not None and leg.channel else await self._peer_of(call.channel)
        if not channel:
            raise DesktopError("no_live_call", "you are not on a call", status_code=409)
        live = LiveCall(
            call_id=call.call_id,
            queue=call.queue,
            caller_channel=call.channel,
            agent_channel=channel,
            caller=call.caller,
            tags=",".join(call.tags),
        )
        if not consulting_ok and await self._consult_of(agent_id, live) is not None:
            raise DesktopError(
                "consult_in_progress", "finish or cancel the current consultation first", status_code=409
            )
        return live

    async def _peer_of(self, channel: str) -> str:
        """The channel bridged with ``channel`` ("" when none, or when Asterisk does not know it)."""
        try:
            return await self._getvar(channel, "BRIDGEPEER")
        except AmiError:
            return ""

    async def _getvar(self, channel: str, variable: str) -> str:
        reply = await self._ami.send_action({"Action": "Getvar", "Channel": channel, "Variable": variable})
        return reply.get("Value", "")

    async def transfer_to_queue(self, agent_id: str, queue: str) -> LiveCall:
        """Blind transfer back into a queue, ahead of ordinary callers (transferred-back priority)."""
        if queue not in self._queues:
            raise DesktopError("unknown_queue", f"no queue {queue!r}", status_code=404)
        call = await self.live_call(agent_id)
        await self._requeue(call, queue)
        self._publish("queue", call, queue)
        return call

    def colleagues(self, agent_id: str) -> list[dict[str, object]]:
        """Every signed-in agent but ``agent_id``: who could take a transfer now, and who is busy."""
        agents = [
            a
            for a in self._acd.engine.store.iter_agents()
            if a.agent_id != agent_id and a.status is not AgentStatus.LOGGED_OUT
        ]
        agents.sort(key=lambda a: (not a.ready, a.agent_id))
        return [
            {
                "agent_id": a.agent_id,
                "status": str(a.status),
                "state": str(a.state),
                "pause_reason": a.pause_reason,
                "ready": a.ready,
                "skills": dict(a.skills),
            }
            for a in agents
        ]

    def ready_colleague(self, agent_id: str, target_id: str) -> Agent:
        """Another agent who could take a call right now, or a clear error."""
        if target_id == agent_id:
            raise DesktopError("transfer_to_self", "you cannot transfer a call to yourself", status_code=400)
        target = self._acd.engine.store.get_agent(target_id)
        if target is None:
            raise DesktopError("unknown_agent", f"agent {target_id!r} is not signed in", status_code=404)
        if not target.ready:
            raise DesktopError(
                "agent_not_available",
                f"agent {target_id!r} is not available ({target.status}, {target.state})",
                status_code=409,
                details={"status": str(target.status), "state": str(target.state)},
            )
        return target

    async def transfer_to_agent(self, agent_id: str, target_id: str) -> LiveCall:
        """Blind transfer to a named agent who is available now; if they do not answer, the caller
        waits at the head of the same queue (transferred-back priority) for anyone."""
        self.ready_colleague(agent_id, target_id)
        call = await self.live_call(agent_id)
        await self._requeue(call, call.queue, target_agent=target_id)
        self._publish("agent", call, target_id)
        return call

    async def consult(
        self,
        agent_id: str,
        *,
        entry: DirectoryEntry | None = None,
        queue: str | None = None,
        target_agent: str | None = None,
    ) -> tuple[LiveCall, str]:
        """Start an attended transfer: the caller is held, the agent is connected to the target.

        Exactly one of ``entry`` (a number), ``queue`` or ``target_agent`` names the target.
        """
        call = await self.live_call(agent_id)
        if entry is not None:
            target = f"number:{entry.number}"
            await self._setvar(
                call.agent_channel, "__HOTLINE_CONSULT_DIAL", dial_string(self._external_dial, entry.number)
            )
            exten = CONSULT_NUMBER_EXTEN
        else:
            if target_agent is not None:
                self.ready_colleague(agent_id, target_agent)
                target = f"agent:{target_agent}"
            elif queue in self._queues:
                target = f"queue:{queue}"
            else:
                raise DesktopError("unknown_queue", f"no queue {queue!r}", status_code=404)
            for name, value in (
                ("__HOTLINE_CONSULT_QUEUE", queue or call.queue),
                ("__HOTLINE_CONSULT_AGENT", target_agent or ""),
                ("__HOTLINE_CONSULT_CALLER", call.caller),
                ("__HOTLINE_CONSULT_PRIORITY", str(self._transferred_priority)),
                ("__HOTLINE_CONSULT_TAGS", ",".join([*call.tags.split(","), CONSULT_TAG]).strip(",")),
            ):
                await self._setvar(call.agent_channel, name, value)
            exten = CONSULT_ACD_EXTEN
        self._consults[agent_id] = Consult(call.call_id, call.agent_channel, target, time.monotonic())
        try:
            await self._ami.send_action(
                {
                    "Action": "Atxfer",
                    "Channel": call.agent_channel,
                    "Exten": exten,
                    "Context": CONSULT_CONTEXT,
                }
            )
        except AmiError:
            del self._consults[agent_id]
            raise
        self.holds.held(call.call_id, CONSULT_SOURCE)
        self._publish_consult(agent_id, "started", call, target)
        return call, target

    async def _consult_answered(self, call: LiveCall) -> bool:
        """True once the agent talks to the consulted party: the agent's bridge peer is the consult
        leg and that leg is answered (Asterisk bridges the agent with it while it still rings)."""
        peer = await self._getvar(call.agent_channel, "BRIDGEPEER")
        if f"@{CONSULT_CONTEXT}-" not in peer:
            return False
        return await self._getvar(peer, "CHANNEL(state)") == "Up"

    async def _consult_of(self, agent_id: str, call: LiveCall) -> Consult | None:
        """The agent's running consultation on ``call``; one that never started is forgotten."""
        consult = self._consults.get(agent_id)
        if consult is None or consult.call_id != call.call_id:
            return None
        if not consult.channel and time.monotonic() - consult.started > CONSULT_START_S:
            del self._consults[agent_id]
            self.holds.released(consult.call_id, CONSULT_SOURCE)
            return None
        return consult

    def install(self) -> None:
        """Follow consult legs over AMI: reported by the dialplan, gone when they hang up; and holds."""
        self._ami.on_event("UserEvent", self._on_consult_leg)
        self._ami.on_event("Hangup", self._on_hangup)
        self.holds.install(self._ami)

    def _on_consult_leg(self, event: AmiEvent) -> None:
        if event.get("UserEvent") != "HotlineConsult":
            return
        transferer = event.get("Transferer", "")
        for consult in self._consults.values():
            if consult.agent_channel == transferer and not consult.channel:
                consult.channel = event.get("Channel", "")

    def _on_hangup(self, event: AmiEvent) -> None:
        channel = event.get("Channel", "")
        for agent_id, consult in tuple(self._consults.items()):
            if channel in (consult.channel, consult.agent_channel):
                del self._consults[agent_id]
                self.holds.released(consult.call_id, CONSULT_SOURCE)

    async def _consulting(self, agent_id: str) -> tuple[LiveCall, str]:
        call = await self.live_call(agent_id, consulting_ok=True)
        consult = await self._consult_of(agent_id, call)
        if consult is None:
            raise DesktopError("no_consult", "no consultation is in progress", status_code=409)
        return call, consult.target

    async def complete_consult(self, agent_id: str) -> tuple[LiveCall, str]:
        """Join the caller to the consulted party and take the agent off the call (wrap-up follows)."""
        call, target = await self._consulting(agent_id)
        if not await self._consult_answered(call):
            raise DesktopError(
                "consult_not_answered",
                "the consulted party has not answered yet; wait, or cancel the consultation",
                status_code=409,
            )
        del self._consults[agent_id]
        self.holds.released(call.call_id, CONSULT_SOURCE)
        await self._ami.send_action({"Action": "Hangup", "Channel": call.agent_channel})
        self._publish_consult(agent_id, "completed", call, target)
        self._publish("attended", call, target)
        return call, target

    async def cancel_consult(self, agent_id: str) -> tuple[LiveCall, str]:
        """End the consultation; the agent is back with the caller."""
        call, target = await self._consulting(agent_id)
        del self._consults[agent_id]
        await self._ami.send_action({"Action": "CancelAtxfer", "Channel": call.agent_channel})
        self.holds.released(call.call_id, CONSULT_SOURCE)
        self._publish_consult(agent_id, "cancelled", call, target)
        return call, target

    async def transfer_to_number(self, agent_id: str, entry: DirectoryEntry) -> LiveCall:
        """Blind transfer to a department, a special line or an emergency service."""
        call = await self.live_call(agent_id)
        dial = dial_string(self._external_dial, entry.number)
        await self._setvar(call.caller_channel, "HOTLINE_DIAL", dial)
        self._acd.submit(CallFinished(call_id=call.call_id))
        await self._redirect(call.caller_channel, context="hotline-desk", exten="xfer")
        self._publish("number", call, entry.number)
        return call

    async def three_way(self, agent_id: str, entry: DirectoryEntry) -> str:
        """Move caller and agent into a conference and bring ``entry`` in (三方通话); returns its name."""
        call = await self.live_call(agent_id)
        conf = f"hl-{call.call_id}"
        for channel, role in ((call.caller_channel, "caller"), (call.agent_channel, "agent")):
            await self._setvar(channel, "HOTLINE_CONF", conf)
            await self._setvar(channel, "HOTLINE_CONF_ROLE", role)
        await self._ami.send_action(
            {
                "Action": "Redirect",
                "Channel": call.caller_channel,
                "ExtraChannel": call.agent_channel,
                "Context": "hotline-desk",
                "Exten": "conf",
                "Priority": "1",
                "ExtraContext": "hotline-desk",
                "ExtraExten": "conf",
                "ExtraPriority": "1",
            }
        )
        await self._ami.originate(
            channel=dial_string(self._external_dial, entry.number),
            application="ConfBridge",
            data=f"{conf},,hotline_marked",
            caller_id=f'"12345" <{entry.number}>',
            near=call.call_id,
        )
        self._publish("three_way", call, entry.number)
        return conf

    async def leave(self, agent_id: str) -> LiveCall:
        """The agent hangs up their leg; a three-way call goes on without them."""
        call = await self.live_call(agent_id)
        await self._ami.send_action({"Action": "Hangup", "Channel": call.agent_channel})
        return call

    async def _requeue(self, call: LiveCall, queue: str, *, target_agent: str = "") -> None:
        """Send the caller back to the hold loop of ``queue`` with transferred-back priority (offered to
        ``target_agent`` first, when given); the agent's part of the call ends first."""
        await self._setvar(call.caller_channel, "HOTLINE_QUEUE", queue)
        await self._setvar(call.caller_channel, "HOTLINE_PRIORITY", str(self._transferred_priority))
        if target_agent:
            await self._setvar(call.caller_channel, "HOTLINE_TARGET_AGENT", target_agent)
        self._acd.submit(CallFinished(call_id=call.call_id))
        await self._redirect(call.caller_channel, context="hotline-wait", exten="s")

    async def _setvar(self, channel: str, name: str, value: str) -> None:
        await self._ami.send_action(
            {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}
        )

    async def _redirect(self, channel: str, *, context: str, exten: str) -> None:
        await self._ami.send_action(
            {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten, "Priority": "1"}
        )

    def _publish_consult(self, agent_id: str, phase: str, call: LiveCall, target: str) -> None:
        self._bus.publish(
            "call.consult",
            {
                "call_id": call.call_id,
                "agent_id": agent_id,
                "phase": phase,
                "target": target,
                "queue": call.queue,
                "at": time.time(),
            },
        )

    def _publish(self, kind: str, call: LiveCall, target: str) -> None:
        self._bus.publish(
            "call.transferred",
            {
                "call_id": call.call_id,
                "kind": kind,
                "target": target,
                "from_queue": call.queue,
                "at": time.time(),
            },
        )
