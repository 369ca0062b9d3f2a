"""Holds of citizen calls, published once per hold as ``call.hold`` and ``call.unhold`` (the recorder
writes them as call events, and quality inspection flags holds that last too long).

Two sources report holds:

- the agent desktop's consultation (attended transfer): Asterisk holds the caller from the start of
  the consultation until it is completed or cancelled, or the consulted party hangs up;
- Asterisk itself: AMI ``Hold`` / ``Unhold`` when a phone puts the other side on hold (the browser
  phone's re-INVITE), on the caller's channel or on the agent's leg of the call (an attended transfer
  is reported on the agent's leg too).

Both may report the same hold. A call is held from the first report until every source has released
it, so one hold is published once. A hold still open when the caller hangs up ends at the hang-up, and
a channel that hangs up releases the holds it reported.

Only the node whose ACD runs the agent's leg of a call follows Asterisk's holds of it (every node
hears the same AMI events), so a hold is recorded once however many app nodes run. (A consultation
started from a desktop on another node is also reported by that node: the inspection pairs the first
``hold`` with the first ``unhold``, so the overlap is not counted twice.) Consultation
stand-ins (tagged ``consult``) are no citizen calls and are not followed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from acd.model import CONSULT_TAG
from acd.service import AcdService
from hotline.ami.client import AmiEvent
from hotline.ami.link import AmiLink
from hotline.bus import EventBus

CONSULT_SOURCE = "consult"
"""The source name of a hold by the desktop's consultation."""

AMI_SOURCE_PREFIX = "ami:"
"""Asterisk's holds are reported per channel: ``ami:<channel name>``."""


@dataclass(slots=True)
class _Held:
    since: float
    sources: set[str] = field(default_factory=set)


class HoldBook:
    """Which calls are held and by which sources; says when a hold begins and ends. No I/O."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}

    def hold(self, call_id: str, source: str, at: float) -> bool:
        """``source`` holds the call; True when this begins a hold (it was not held)."""
        held = self._held.get(call_id)
        if held is None:
            self._held[call_id] = _Held(at, {source})
            return True
        held.sources.add(source)
        return False

    def release(self, call_id: str, source: str) -> bool:
        """``source`` releases the call; True when this ends the hold (no source holds it any more)."""
        held = self._held.get(call_id)
        if held is None or source not in held.sources:
            return False
        held.sources.discard(source)
        if held.sources:
            return False
        del self._held[call_id]
        return True

    def end(self, call_id: str) -> bool:
        """The call is over; True when it was held (the hold ends now)."""
        return self._held.pop(call_id, None) is not None

    def held_by(self, source: str) -> list[str]:
        """The calls ``source`` holds."""
        return [call_id for call_id, held in self._held.items() if source in held.sources]

    def is_held(self, call_id: str) -> bool:
        """Whether the call is on hold."""
        return call_id in self._held


class Holds:
    """Follows holds from the desktop and from Asterisk and publishes their beginnings and ends."""

    def __init__(self, *, acd: AcdService, bus: EventBus) -> None:
        self._acd = acd
        self._bus = bus
        self.book = HoldBook()

    def install(self, ami: AmiLink) -> None:
        """Follow AMI ``Hold``, ``Unhold`` and ``Hangup`` (the names join the centre's event filter)."""
        ami.on_event("Hold", self._on_hold)
        ami.on_event("Unhold", self._on_unhold)
        ami.on_event("Hangup", self._on_hangup)

    def held(self, call_id: str, source: str) -> None:
        """``source`` put the call's caller on hold."""
        if self.book.hold(call_id, source, time.time()):
            self._publish("call.hold", call_id, source)

    def released(self, call_id: str, source: str) -> None:
        """``source`` took the call's caller off hold."""
        if self.book.release(call_id, source):
            self._publish("call.unhold", call_id, source)

    def _publish(self, topic: str, call_id: str, source: str) -> None:
        self._bus.publish(topic, {"call_id": call_id, "source": source, "at": time.time()})

    def _call_of(self, event: AmiEvent) -> str | None:
        """The citizen call whose caller channel or agent leg the event is about, when this node's ACD
        runs its agent leg (the leg's channel has the leg id as its uniqueid; its name is known too)."""
        uniqueid, channel = event.get("Uniqueid", ""), event.get("Channel", "")
        call_id: str | None = uniqueid if uniqueid in self._acd.leg_of_call else None
        if call_id is None:
            for candidate, leg_id in tuple(self._acd.leg_of_call.items()):
                leg = self._acd.legs.get(leg_id)
                if leg_id == uniqueid or (leg is not None and channel and leg.channel == channel):
                    call_id = candidate
                    break
        if call_id is None:
            return None
        call = self._acd.engine.store.get_call(call_id)
        if call is None or CONSULT_TAG in call.tags:
            return None
        return call_id

    def _on_hold(self, event: AmiEvent) -> None:
        call_id = self._call_of(event)
        if call_id is not None:
            self.held(call_id, AMI_SOURCE_PREFIX + event.get("Channel", ""))

    def _on_unhold(self, event: AmiEvent) -> None:
        source = AMI_SOURCE_PREFIX + event.get("Channel", "")
        for call_id in self.book.held_by(source):
            self.released(call_id, source)

    def _on_hangup(self, event: AmiEvent) -> None:
        uniqueid = event.get("Uniqueid", "")
        if self.book.end(uniqueid):
            self._publish("call.unhold", uniqueid, "hangup")
        source = AMI_SOURCE_PREFIX + event.get("Channel", "")
        for call_id in self.book.held_by(source):
            self.released(call_id, source)
