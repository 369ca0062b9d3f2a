"""A supervised call for tests: a citizen, an agent and a supervisor whose phones each play a tone."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.tones import write_tone_files

CALLER_HZ = 500
AGENT_HZ = 900
SUPERVISOR_HZ = 1400
TONES = {"caller": CALLER_HZ, "agent": AGENT_HZ, "supervisor": SUPERVISOR_HZ}


def tone_phone(freq: int) -> str:
    """A simulated phone that answers and plays a steady ``freq`` Hz tone."""
    return f"Local/{freq}@hotline-sim-tone/n"


@dataclass
class Supervised:
    """The parties of a connected call and a signed-in supervisor."""

    agent: DesktopClient
    supervisor: DesktopClient
    call_id: str
    citizen_channel: str
    agent_leg: str

    async def close(self) -> None:
        """Close both desktops."""
        await self.agent.close()
        await self.supervisor.close()

    async def post(self, path: str, body: object) -> httpx.Response:
        """POST as the supervisor."""
        return await self.supervisor.http.post(path, json=body, headers=self.supervisor.auth)


async def add_user(centre: Centre, user_id: str, *, role: str, contact: str, skills: dict[str, int]) -> None:
    """Create a user through the admin API."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        user_id, name=user_id, contact=contact, skills=skills, role=role, password=f"pw-{user_id}"
    )
    await admin.close()


async def set_queues(centre: Centre, supervisor_id: str, queues: list[str]) -> None:
    """Set a supervisor's queues through the admin API."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    resp = await admin.http.put(
        f"/api/supervisor/supervisors/{supervisor_id}/queues", json={"queues": queues}, headers=admin.auth
    )
    resp.raise_for_status()
    await admin.close()


async def signed_in(centre: Centre, user_id: str, *, connect: bool = False) -> DesktopClient:
    """A desktop client signed in as ``user_id`` (password ``pw-<id>``)."""
    desk = DesktopClient(centre.url)
    await desk.sign_in(user_id, f"pw-{user_id}")
    if connect:
        await desk.connect()
    return desk


async def supervised_call(
    centre: Centre,
    driver: CallDriver,
    sandbox: AsteriskSandbox,
    *,
    queues: list[str],
    agent_skills: dict[str, int] | None = None,
) -> Supervised:
    """Agent ``ag1`` (tone phone; skill general unless ``agent_skills``) answers a citizen (tone) in queue
    general; supervisor ``sup1`` (tone phone) supervises ``queues``."""
    write_tone_files(sandbox, TONES.values())
    skills = agent_skills or {"general": 1}
    await add_user(centre, "ag1", role="agent", contact=tone_phone(AGENT_HZ), skills=skills)
    await add_user(centre, "sup1", role="supervisor", contact=tone_phone(SUPERVISOR_HZ), skills={})
    await set_queues(centre, "sup1", queues)
    agent = await signed_in(centre, "ag1", connect=True)
    await agent.status("available")
    call = await driver.call("13800138000", keys="0")
    await agent.wait_frame(frame_of("agent_changed", state="on_call"), timeout=30)
    await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
    await driver.ami.send_action(
        {
            "Action": "Redirect",
            "Channel": call.local_id,
            "Context": "hotline-sim-tone",
            "Exten": str(CALLER_HZ),
            "Priority": "1",
        }
    )
    leg_id = centre.acd.leg_of_call[call.call_id]
    return Supervised(
        agent=agent,
        supervisor=await signed_in(centre, "sup1"),
        call_id=call.call_id,
        citizen_channel=call.local_id,
        agent_leg=leg_id,
    )
