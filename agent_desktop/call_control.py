"""Call control for an agent's current call: blind transfer to a queue or a number, three-way call, leave.

Every operation is a few AMI actions on the live channels (Setvar, Redirect, Originate, Hangup). The
ACD is told first when the agent's part ends, so the call is never both with the agent and back in line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from acd.events import CallFinished
from acd.model import CallState
from acd.service import AcdService
from agent_desktop.directory import DirectoryEntry
from agent_desktop.errors import DesktopError
from hotline.ami.client import AmiClient
from hotline.bus import EventBus
from hotline.dialing import dial_string


@dataclass(frozen=True, slots=True)
class LiveCall:
    """The channels of an agent's connected call."""

    call_id: str
    queue: str
    caller_channel: str
    agent_channel: str


class CallControl:
    """Transfers and three-way calls over AMI."""

    def __init__(
        self,
        *,
        acd: AcdService,
        ami: AmiClient,
        bus: EventBus,
        external_dial: str,
        transferred_priority: int,
        queues: set[str],
    ) -> None:
        self._acd = acd
        self._ami = ami
        self._bus = bus
        self._external_dial = external_dial
        self._transferred_priority = transferred_priority
        self._queues = queues

    def live_call(self, agent_id: str) -> LiveCall:
        """The agent's connected call, or a 409 error."""
        agent = self._acd.engine.store.get_agent(agent_id)
        call_id = agent.current_call_id if agent is not None else None
        call = self._acd.engine.store.get_call(call_id) if call_id else None
        leg_id = self._acd.leg_of_call.get(call_id or "")
        leg = self._acd.legs.get(leg_id) if leg_id else None
        if call is None or call.state is not CallState.CONNECTED or leg is None or not leg.channel:
            raise DesktopError("no_live_call", "you are not on a call", status_code=409)
        return LiveCall(
            call_id=call.call_id, queue=call.queue, caller_channel=call.channel, agent_channel=leg.channel
        )

    async def transfer_to_queue(self, agent_id: str, queue: str) -> LiveCall:
        """Blind transfer back into a queue, ahead of ordinary callers (transferred-back priority)."""
        if queue not in self._queues:
            raise DesktopError("unknown_queue", f"no queue {queue!r}", status_code=404)
        call = self.live_call(agent_id)
        await self._setvar(call.caller_channel, "HOTLINE_QUEUE", queue)
        await self._setvar(call.caller_channel, "HOTLINE_PRIORITY", str(self._transferred_priority))
        self._acd.submit(CallFinished(call_id=call.call_id))
        await self._redirect(call.caller_channel, context="hotline-wait", exten="s")
        self._publish("queue", call, queue)
        return call

    async def transfer_to_number(self, agent_id: str, entry: DirectoryEntry) -> LiveCall:
        """Blind transfer to a department, a special line or an emergency service."""
        call = self.live_call(agent_id)
        dial = dial_string(self._external_dial, entry.number)
        await self._setvar(call.caller_channel, "HOTLINE_DIAL", dial)
        self._acd.submit(CallFinished(call_id=call.call_id))
        await self._redirect(call.caller_channel, context="hotline-desk", exten="xfer")
        self._publish("number", call, entry.number)
        return call

    async def three_way(self, agent_id: str, entry: DirectoryEntry) -> str:
        """Move caller and agent into a conference and bring ``entry`` in (三方通话); returns its name."""
        call = self.live_call(agent_id)
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
        )
        self._publish("three_way", call, entry.number)
        return conf

    async def leave(self, agent_id: str) -> LiveCall:
        """The agent hangs up their leg; a three-way call goes on without them."""
        call = self.live_call(agent_id)
        await self._ami.send_action({"Action": "Hangup", "Channel": call.agent_channel})
        return call

    async def _setvar(self, channel: str, name: str, value: str) -> None:
        await self._ami.send_action(
            {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}
        )

    async def _redirect(self, channel: str, *, context: str, exten: str) -> None:
        await self._ami.send_action(
            {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten, "Priority": "1"}
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
