"""A simulated Asterisk behind a real AMI socket, for property tests of the ACD's event handling.

It keeps the channels a real Asterisk would have (callers in the hold loop, agent legs the ACD
originates) and answers the actions the ACD sends (Originate, Hangup, Getvar, CoreShowChannels) from
that state, emitting the events Asterisk would. While ``down`` its AMI port is closed: what happens then
changes the channels but its events are lost, as in an AMI outage. Every push is one TCP write (one
"batch"); the test decides which events share a batch.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tests.unit.acd_core import ami_frame
from tests.unit.ami_fake_server import FakeAmi, Frame, frame_get, frame_get_all


@dataclass
class SimChannel:
    """One live channel."""

    uniqueid: str
    name: str
    kind: str  # "caller" or "leg"
    call_id: str
    contact: str = ""
    up: bool = False


@dataclass
class Originated:
    """An Originate the ACD sent: in which batch it arrived, for which call, to which phone."""

    batch: int
    call_id: str
    contact: str
    leg_id: str


class SimAsterisk(FakeAmi):
    """Channels, and the events and replies that follow from them."""

    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, SimChannel] = {}
        self.originated: list[Originated] = []
        self.hangup_delivered: dict[str, int] = {}
        self.queued_delivered: set[str] = set()
        self.batch = 0
        self.down = False
        self.after_list = ""
        self.frozen_list: str | None = None

    # --- what callers and agents do ---------------------------------------------------------------

    def arrive(self, call_id: str) -> str:
        """A caller enters the hold loop."""
        name = f"PJSIP/trunk-{call_id}"
        self.channels[call_id] = SimChannel(call_id, name, "caller", call_id, up=True)
        return ami_frame(
            Event="Newchannel", Channel=name, Uniqueid=call_id, CallerIDNum="13800138000"
        ) + ami_frame(
            Event="UserEvent", UserEvent="HotlineQueued", Channel=name, Uniqueid=call_id, Queue="general"
        )

    def caller_hangs_up(self, call_id: str) -> str:
        """A caller hangs up; an agent leg talking to them leaves the bridge and hangs up too."""
        caller = self.channels.pop(call_id, None)
        if caller is None:
            return ""
        out = self._hangup_event(caller)
        for leg in [c for c in self.channels.values() if c.kind == "leg" and c.call_id == call_id and c.up]:
            out += self._end(leg)
        return out

    def leg_answers(self, index: int) -> str:
        """The ``index``-th ringing agent leg answers: bridged to its caller, or the bridge fails."""
        leg = self._pick(index, up=False)
        if leg is None:
            return ""
        leg.up = True
        out = ami_frame(
            Event="OriginateResponse", ActionID=leg.uniqueid, Response="Success", Uniqueid=leg.uniqueid
        )
        if leg.call_id in self.channels:
            return out + ami_frame(Event="BridgeEnter", Channel=leg.name, Uniqueid=leg.uniqueid)
        out += ami_frame(
            Event="UserEvent", UserEvent="HotlineBridgeFailed", Uniqueid=leg.uniqueid, Result="FAILURE"
        )
        return out + self._end(leg)

    def leg_fails(self, index: int, *, response_first: bool) -> str:
        """The ``index``-th ringing agent leg rings out or is rejected."""
        leg = self._pick(index, up=False)
        if leg is None:
            return ""
        self.channels.pop(leg.uniqueid)
        response = ami_frame(Event="OriginateResponse", ActionID=leg.uniqueid, Response="Failure", Reason="3")
        hangup = self._hangup_event(leg)
        return response + hangup if response_first else hangup + response

    def agent_hangs_up(self, index: int) -> str:
        """The ``index``-th talking agent hangs up; the caller then hears the survey and leaves."""
        leg = self._pick(index, up=True)
        if leg is None:
            return ""
        return self._end(leg) + self.caller_hangs_up(leg.call_id)

    # --- delivery ---------------------------------------------------------------------------------

    async def deliver(self, events: str) -> None:
        """One TCP write of ``events`` (lost while down); records what the ACD was told."""
        self.batch += 1
        if self.down or not events:
            return
        self._note_delivered(events)
        await self.push(events)

    def _note_delivered(self, events: str) -> None:
        for frame in events.split("\r\n\r\n"):
            headers = dict(line.split(": ", 1) for line in frame.split("\r\n") if ": " in line)
            if headers.get("UserEvent") == "HotlineQueued":
                self.queued_delivered.add(headers["Uniqueid"])
            elif headers.get("Event") == "Hangup" and headers["Uniqueid"] in self.queued_delivered:
                self.hangup_delivered.setdefault(headers["Uniqueid"], self.batch)

    # --- answering actions ------------------------------------------------------------------------

    async def _answer(self, writer: asyncio.StreamWriter, text: str) -> None:
        frame: Frame = [
            (k, v) for k, v in (line.split(": ", 1) for line in text.strip().split("\r\n") if ": " in line)
        ]
        action = frame_get(frame, "Action").lower()
        if action in ("login", "ping"):
            await super()._answer(writer, text)
            return
        self.received.append(frame)
        reply = self._reply(action, frame)
        writer.write(reply.format(action_id=frame_get(frame, "ActionID")).encode("utf-8"))
        await writer.drain()

    def _reply(self, action: str, frame: Frame) -> str:
        ok = "Response: Success\r\nActionID: {action_id}\r\n\r\n"
        if action == "originate":
            return ok + self._originated(frame)
        if action == "hangup":
            channel = self._find(frame_get(frame, "Channel"))
            if channel is None:
                return "Response: Error\r\nActionID: {action_id}\r\nMessage: No such channel\r\n\r\n"
            return ok + self._escape(self._end(channel))
        if action == "getvar":
            return self._getvar(frame)
        if action == "coreshowchannels":
            return self._list()
        return ok

    def _originated(self, frame: Frame) -> str:
        variables = dict(v.split("=", 1) for v in frame_get_all(frame, "Variable"))
        leg_id = frame_get(frame, "ChannelId")
        contact = frame_get(frame, "Channel")
        call_id = variables.get("HOTLINE_CALL_ID", "")
        self.originated.append(Originated(self.batch, call_id, contact, leg_id))
        name = f"{contact}-{len(self.originated):08x}"
        self.channels[leg_id] = SimChannel(leg_id, name, "leg", call_id, contact=contact)
        return self._escape(ami_frame(Event="Newchannel", Channel=name, Uniqueid=leg_id))

    def _getvar(self, frame: Frame) -> str:
        channel = self._find(frame_get(frame, "Channel"))
        if channel is None:
            return "Response: Error\r\nActionID: {action_id}\r\nMessage: No such channel\r\n\r\n"
        variable = frame_get(frame, "Variable")
        value = {"CHANNEL(state)": "Up" if channel.up else "Ringing", "CHANNEL(name)": channel.name}.get(
            variable, ""
        )
        if variable == "BRIDGEPEER" and channel.up and channel.call_id in self.channels:
            value = self.channels[channel.call_id].name
        return (
            f"Response: Success\r\nActionID: {{action_id}}\r\nVariable: {variable}\r\nValue: {value}\r\n\r\n"
        )

    def freeze_list(self) -> None:
        """The next CoreShowChannels lists the channels alive now (what happens later follows the list)."""
        self.frozen_list = self._items()

    def _items(self) -> str:
        return "".join(
            ami_frame(Event="CoreShowChannel", ActionID="{action_id}", Channel=c.name, Uniqueid=c.uniqueid)
            for c in self.channels.values()
        )

    def _list(self) -> str:
        items, self.frozen_list = self.frozen_list if self.frozen_list is not None else self._items(), None
        complete = ami_frame(Event="CoreShowChannelsComplete", ActionID="{action_id}", EventList="Complete")
        after, self.after_list = self.after_list, ""
        if after:
            self._note_delivered(after)
        start = "Response: Success\r\nActionID: {action_id}\r\nEventList: start\r\n\r\n"
        return start + items + complete + self._escape(after)

    # --- helpers ----------------------------------------------------------------------------------

    def _pick(self, index: int, *, up: bool) -> SimChannel | None:
        legs = [c for c in self.channels.values() if c.kind == "leg" and c.up is up]
        return legs[index % len(legs)] if legs else None

    def _find(self, name_or_id: str) -> SimChannel | None:
        return self.channels.get(name_or_id) or next(
            (c for c in self.channels.values() if c.name == name_or_id), None
        )

    def _end(self, channel: SimChannel) -> str:
        """A channel hangs up (hung up by the ACD, or by the dialplan after its bridge ended)."""
        if self.channels.pop(channel.uniqueid, None) is None:
            return ""
        out = self._hangup_event(channel)
        if channel.kind == "leg" and not channel.up:
            out += ami_frame(
                Event="OriginateResponse", ActionID=channel.uniqueid, Response="Failure", Reason="1"
            )
        return out

    @staticmethod
    def _hangup_event(channel: SimChannel) -> str:
        return ami_frame(Event="Hangup", Channel=channel.name, Uniqueid=channel.uniqueid, Cause="16")

    @staticmethod
    def _escape(raw: str) -> str:
        return raw.replace("{", "{{").replace("}", "}}")
