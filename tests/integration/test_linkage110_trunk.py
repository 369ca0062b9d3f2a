"""A call 110 transfers to the centre's 110 line, on the real Asterisk sandbox: it goes straight to the
general queue, and the ACD's call carries the line label 110转接 that the agent's screen-pop shows."""

from __future__ import annotations

import secrets

import pytest

from hotline.app import Centre
from tests.integration.calls import CallDriver, eventually, user_event

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]


async def test_given_a_call_on_the_110_line_then_queued_without_menus_and_tagged_110_transfer(
    centre: Centre, driver: CallDriver
) -> None:
    local_id = f"l110-{secrets.token_hex(6)}"
    call_id = f"{local_id}-in"
    await driver.ami.originate(
        channel="Local/12345110@hotline-inbound/n",
        context="hotline-sim-citizen",
        exten="s",
        priority=1,
        caller_id='"110转接" <13800138000>',
        variables={"HOTLINE_PATIENCE": "30"},
        channel_id=local_id,
        other_channel_id=call_id,
        timeout_ms=30000,
    )
    try:
        queued = (await driver.wait_event(user_event("HotlineQueued", call_id), timeout=40)).event
        assert (queued.get("Queue"), queued.get("Line"), queued.get("Dialled")) == (
            "general",
            "110转接",
            "12345110",
        )
        assert queued.get("Keys", "") == ""

        def acd_line() -> object:
            call = centre.acd.engine.store.get_call(call_id)
            return None if call is None else call.attrs.get("line")

        assert await eventually(acd_line, timeout=10) == "110转接"
    finally:
        await driver.hang_up(local_id)
