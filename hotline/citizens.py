"""Simulated citizens: calls originated into the inbound context as a carrier trunk would deliver them.

Each call is a Local channel pair: the ``;2`` half runs the inbound dialplan (it is the call the centre
sees, with the uniqueid we chose), the ``;1`` half is the citizen, waiting in ``hotline-sim-citizen``.
Menu keys are played on the citizen half with AMI ``PlayDTMF`` once the IVR starts its first prompt.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from hotline.ami.client import AmiClient, AmiEvent


@dataclass
class CitizenCall:
    """One simulated citizen call."""

    caller: str
    keys: str
    local_id: str
    call_id: str
    local_channel: str = ""
    dtmf_sent: bool = False
    originated: bool = False


class CitizenDialer:
    """Places citizen calls and presses their menu keys."""

    def __init__(self, ami: AmiClient, *, dtmf_delay_s: float = 0.3) -> None:
        self._ami = ami
        self._dtmf_delay_s = dtmf_delay_s
        self.calls: dict[str, CitizenCall] = {}
        self._by_call_id: dict[str, CitizenCall] = {}
        ami.on_event("Newchannel", self._on_new_channel)
        ami.on_event("AGIExecStart", self._on_agi_exec)

    async def dial(
        self, *, caller: str, keys: str = "", patience_s: float = 300.0, caller_name: str = "市民"
    ) -> CitizenCall:
        """Originate one call to 12345 from ``caller`` who will press ``keys``."""
        local_id = f"cit-{secrets.token_hex(8)}"
        call = CitizenCall(caller=caller, keys=keys, local_id=local_id, call_id=f"{local_id}-in")
        self.calls[local_id] = call
        self._by_call_id[call.call_id] = call
        await self._ami.originate(
            channel="Local/12345@hotline-inbound/n",
            context="hotline-sim-citizen",
            exten="s",
            priority=1,
            caller_id=f'"{caller_name}" <{caller}>',
            variables={"HOTLINE_PATIENCE": f"{patience_s:g}"},
            channel_id=call.local_id,
            other_channel_id=call.call_id,
            timeout_ms=30000,
        )
        call.originated = True
        return call

    async def hang_up(self, call: CitizenCall) -> None:
        """The citizen hangs up."""
        if call.local_channel:
            await self._ami.send_action({"Action": "Hangup", "Channel": call.local_channel})

    def _on_new_channel(self, event: AmiEvent) -> None:
        call = self.calls.get(event.get("Uniqueid", ""))
        if call is not None:
            call.local_channel = event.get("Channel", "")

    async def _on_agi_exec(self, event: AmiEvent) -> None:
        call = self._by_call_id.get(event.get("Uniqueid", ""))
        if call is None or call.dtmf_sent or not call.keys or not call.local_channel:
            return
        if not event.get("Command", "").upper().startswith("STREAM FILE"):
            return
        call.dtmf_sent = True
        await asyncio.sleep(self._dtmf_delay_s)
        for digit in call.keys:
            # Received on the IVR's own channel: Asterisk queues the DTMF frame there at once. Played on
            # the citizen half instead, Asterisk sleeps the tone's length inside this AMI session, so one
            # link carried fewer than ten key presses a second and busy runs timed out.
            await self._ami.send_action(
                {
                    "Action": "PlayDTMF",
                    "Channel": event.get("Channel", ""),
                    "Digit": digit,
                    "Duration": "120",
                    "Receive": "true",
                }
            )
