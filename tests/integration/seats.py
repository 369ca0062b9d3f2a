"""Simulated agent seats for call-control tests: sign in over the API, phone answers and talks."""

from __future__ import annotations

from hotline.app import Centre
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of


async def seat(centre: Centre, agent_id: str, skills: dict[str, int], talk_s: int = 60) -> DesktopClient:
    """An available agent whose simulated phone answers after 0.2 s and talks ``talk_s`` seconds."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        agent_id,
        name=agent_id,
        contact=f"Local/{agent_id}*{talk_s}*0.2@hotline-sim-agent",
        skills=skills,
        password=f"pw-{agent_id}",
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    await desk.sign_in(agent_id, f"pw-{agent_id}")
    await desk.connect()
    await desk.status("available")
    return desk


async def connected_call(driver: CallDriver, desk: DesktopClient, caller: str) -> str:
    """A citizen call (key 0) answered by ``desk``'s agent and bridged; returns its call id."""
    call = await driver.call(caller, keys="0")
    await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=20)
    await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
    return call.call_id
