"""Test-side view of Asterisk: places citizen calls and records every AMI event with its arrival time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from hotline.ami.client import AmiClient, AmiError, AmiEvent
from hotline.citizens import CitizenCall, CitizenDialer
from hotline.sandbox.instance import SandboxConfig
from tests.integration.arrivals import first_match


@dataclass(frozen=True)
class SeenEvent:
    """An AMI event and the monotonic time it arrived."""

    at: float
    event: AmiEvent


class CallDriver:
    """A second AMI connection, independent of the centre's, for placing calls and observing."""

    def __init__(self, config: SandboxConfig) -> None:
        self.ami = AmiClient(
            host="127.0.0.1", port=config.ami_port, username=config.ami_username, secret=config.ami_secret
        )
        self.dialer = CitizenDialer(self.ami)
        self.events: list[SeenEvent] = []
        self._changed = asyncio.Event()
        self.ami.on_event("*", self._record)

    async def start(self) -> None:
        """Connect to AMI."""
        await self.ami.start()

    async def close(self) -> None:
        """Disconnect."""
        await self.ami.close()

    def _record(self, event: AmiEvent) -> None:
        self.events.append(SeenEvent(time.monotonic(), event))
        self._changed.set()

    async def call(self, caller: str, keys: str = "", patience_s: float = 120.0) -> CitizenCall:
        """Place one citizen call."""
        return await self.dialer.dial(caller=caller, keys=keys, patience_s=patience_s)

    async def hang_up(self, channel: str) -> None:
        """Hang up a channel (by name or uniqueid) if it is still there, so no caller outlives its test."""
        with contextlib.suppress(AmiError):
            await self.ami.send_action({"Action": "Hangup", "Channel": channel})

    async def wait_event(self, match: Callable[[AmiEvent], bool], timeout: float = 20.0) -> SeenEvent:
        """The first recorded event matching ``match`` (waiting for it if needed)."""
        found = await first_match(self.events, self._changed, lambda seen: match(seen.event), timeout)
        if found is None:
            raise TimeoutError("no matching AMI event")
        return found


def user_event(name: str, call_id: str) -> Callable[[AmiEvent], bool]:
    """Matcher for ``UserEvent: name`` on the channel with ``call_id``."""
    return lambda e: e.name == "UserEvent" and e.get("UserEvent") == name and e.get("Uniqueid") == call_id


def channel_starting(prefix: str, event_name: str = "Newchannel") -> Callable[[AmiEvent], bool]:
    """Matcher for an event about a channel whose name starts with ``prefix``."""
    return lambda e: e.name == event_name and e.get("Channel", "").startswith(prefix)


async def eventually(check: Callable[[], object], timeout: float = 10.0, interval: float = 0.1) -> object:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)
