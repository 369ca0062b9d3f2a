"""Waits used by the transfer tests: an agent's ACD state over REST, and who shares the caller's bridge."""

from __future__ import annotations

import asyncio
import time

from tests.integration.calls import CallDriver
from tests.integration.desktop import DesktopClient


async def wait_state(desk: DesktopClient, state: str, timeout: float = 15.0) -> None:
    """Wait until the desk's agent is in ACD ``state`` (read over the REST API)."""
    deadline = time.monotonic() + timeout
    now = ""
    while time.monotonic() < deadline:
        now = (await desk.http.get("/api/me", headers=desk.auth)).json()["agent"]["state"]
        if now == state:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"agent stayed {now}, never {state}")


async def wait_bridged(driver: CallDriver, call_id: str, prefix: str, timeout: float = 10.0) -> None:
    """Wait until the caller's channel shares a bridge with a channel whose name starts with ``prefix``."""
    deadline = time.monotonic() + timeout
    seen: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        channels = await driver.ami.send_action_list(
            {"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete"
        )
        seen = [(c.get("Channel", ""), c.get("BridgeId", "")) for c in channels]
        mine = next((c.get("BridgeId", "") for c in channels if c.get("Uniqueid") == call_id), "")
        if mine and any(b == mine and name.startswith(prefix.rstrip("*")) for name, b in seen):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"call {call_id} never shared a bridge with {prefix}: {seen}")
