"""Confidential calls: agents' screen-pops carry the caller number masked, supervisors' carry it in full."""

from __future__ import annotations

import asyncio
import json

from agent_desktop.auth import Principal, Role
from agent_desktop.hub import Connection, DesktopHub, is_confidential, masked_call
from hotline.bus import EventBus
from privacy.masking import mask_number


class Socket:
    """Collects the frames written to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


def offer(tags: str | list[str]) -> dict[str, object]:
    return {
        "call_id": "c1",
        "agent_id": "1001",
        "caller": "13800138000",
        "queue": "general",
        "ivr": {"keys": "1", "tags": tags},
    }


def test_mask_number_keeps_prefix_and_last_four() -> None:
    assert mask_number("13800138000") == "138****8000"
    assert mask_number("02161234567") == "021****4567"
    assert mask_number("12345") == "****5"
    assert mask_number("") == ""


def test_given_tags_when_checked_then_only_confidential_calls_are_masked() -> None:
    assert is_confidential(offer("work_order,confidential"))
    assert is_confidential(offer(["confidential"]))
    assert not is_confidential(offer("work_order"))
    assert not is_confidential({"call_id": "c2", "caller": "13800138000"})
    plain = offer("")
    assert masked_call(plain) is plain
    masked = masked_call(offer("confidential"))
    assert masked["caller"] == "138****8000"
    assert masked["masked"] is True


async def test_given_confidential_call_when_offered_then_agent_tab_masked_supervisor_tab_full() -> None:
    hub = DesktopHub(EventBus())
    agent_socket, supervisor_socket = Socket(), Socket()
    conns = [
        Connection(Principal(user_id="1001", role=role, expires_at=1e12), socket.send_text)
        for role, socket in ((Role.AGENT, agent_socket), (Role.SUPERVISOR, supervisor_socket))
    ]
    writers = [asyncio.create_task(c.run_writer()) for c in conns]
    for c in conns:
        hub.add(c)
    try:
        assert await hub.deliver_offer("1001", offer("confidential")) == 2
        assert await hub.deliver_offer("1001", offer("")) == 2
    finally:
        for w in writers:
            w.cancel()
        await asyncio.gather(*writers, return_exceptions=True)
    agent_calls = [f["call"] for f in agent_socket.frames]
    supervisor_calls = [f["call"] for f in supervisor_socket.frames]
    assert [c["caller"] for c in agent_calls] == ["138****8000", "13800138000"]  # type: ignore[index]
    assert [c["caller"] for c in supervisor_calls] == ["13800138000", "13800138000"]  # type: ignore[index]
