"""The whole centre (``hotline.app.Centre`` on the real Asterisk sandbox) runs the 110 hand-off sender by
itself when ``HOTLINE_LINKAGE110_URL`` and ``_SECRET`` are set: an order handed off over HTTP reaches the
simulator process, and the order shows 110's reference."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from agent_desktop.auth import Role
from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox
from tests.conftest import free_port
from tests.integration.conftest import WORKING_MORNING, sandbox_settings
from tests.integration.linkage110_rig import SECRET, Simulator
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


@pytest.fixture
async def linked(
    sandbox: AsteriskSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Centre, Simulator]]:
    """A running centre configured for a 110 platform, and that platform's simulator (not started)."""
    settings = sandbox_settings(sandbox, tmp_path)
    sim = Simulator(free_port(), centre=f"http://127.0.0.1:{settings.http_port}")
    monkeypatch.setenv("HOTLINE_LINKAGE110_URL", sim.url)
    monkeypatch.setenv("HOTLINE_LINKAGE110_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_LINKAGE110_BACKOFF_BASE_S", "0.2")
    monkeypatch.setenv("HOTLINE_LINKAGE110_POLL_S", "0.2")
    centre = Centre(
        settings=settings, ami_secret=settings.ami_secret.get_secret_value(), clock=lambda: WORKING_MORNING
    )
    ensure_admin(centre.sessions, settings)
    await centre.start()
    try:
        yield centre, sim
    finally:
        sim.stop()
        await centre.stop()


async def test_given_110_configured_when_an_order_is_handed_off_then_the_centre_delivers_it(
    linked: tuple[Centre, Simulator],
) -> None:
    centre, sim = linked
    caller = Caller(
        name="张三", number="13800138000", contact_preference=ContactPreference.ANY,
        special_group=SpecialGroup.NONE, confidential=False,
    )  # fmt: skip
    new = NewWorkOrder(
        caller=caller, channel=Channel.PHONE, category=Category.HELP, matter="邻里纠纷",
        content="楼下有人砸车", elements=FiveElements(), address="人民路 1 号",
    )  # fmt: skip
    number = centre.tickets.create(new, created_by="a1").number
    auth = {"Authorization": f"Bearer {centre.desktop.tokens.issue('sup1', Role.SUPERVISOR)}"}
    base = f"{centre.url}api/linkage/110/v1/orders/{number}"
    async with httpx.AsyncClient(timeout=20) as client:
        handed = await client.post(f"{base}/handoff", json={"reason": "涉及治安"}, headers=auth)
        assert handed.status_code == 201, handed.text
        await asyncio.sleep(0.5)
        assert (await client.get(f"{base}/handoffs", headers=auth)).json()[0]["status"] == "pending"
        sim.start()
        state: dict[str, object] = {}
        for _ in range(100):
            state = (await client.get(f"{base}/handoffs", headers=auth)).json()[0]
            if state["status"] == "delivered":
                break
            await asyncio.sleep(0.1)
    assert state["status"] == "delivered"
    received = await asyncio.to_thread(sim.call, "GET", "/v1/handoffs")
    assert [h["reference"] for h in received] == [state["reference"]]
