"""A sign-language guest's one-time credential in the cluster layout: held by every Asterisk node, usable
through Kamailio from any address for the sign entry only, limited per address, refused once expired,
and a node that was down while it was revoked catches up when it is back.

SIP here is spoken over Kamailio's websocket from 127.0.0.9 and 127.0.0.10 (outside the trusted network,
as a citizen's browser is) and from 127.0.0.1 (inside it); the browser's own call is
test_guest_video_through_kamailio.py.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from hotline.ami.client import AmiClient
from hotline.app import Centre
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from hotline.sip_secrets import AUTH_FAMILY
from tests.cluster.guest_layout import (
    GUEST_INVITES_PER_WINDOW,
    WsSip,
    guest_centre,
    guest_cluster,
    guest_kamailio,
    page_port,
    ws_url,
)
from tests.integration.calls import eventually

__all__ = ["guest_centre", "guest_cluster", "guest_kamailio", "page_port"]

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(180)]

OUTSIDE, ELSEWHERE, LIMITED, INSIDE = "127.0.0.9", "127.0.0.11", "127.0.0.10", "127.0.0.1"
"""Outside the trusted network, one address per test (the guest limit counts per address)."""
ANSWERED, CHALLENGED, FORBIDDEN, LIMITED_503 = 200, 401, 403, 503


async def credential(centre: Centre) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        response = await client.post("/api/guest/credential")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored_password(cluster: SandboxCluster, node: int, user: str) -> str:
    """The guest's password in one node's AstDB ("" when it has none)."""
    c = cluster.nodes[node].config
    link = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await link.start()
    try:
        events = await link.send_action_list(
            {"Action": "DBGet", "Family": AUTH_FAMILY, "Key": user}, complete_event="DBGetComplete"
        )
    finally:
        await link.close()
    values = [str(e.get("Val", "")) for e in events if e.get("Event") == "DBGetResponse"]
    return values[0] if values else ""


async def test_given_a_guest_credential_then_every_node_has_it_and_kamailio_lets_it_reach_only_the_sign_entry(
    guest_centre: Centre, guest_kamailio: KamailioSandbox, guest_cluster: tuple[SandboxCluster, int]
) -> None:
    nodes, _ = guest_cluster
    guest = await credential(guest_centre)
    user, password = guest["user"], guest["password"]
    assert guest["ws_url"] == ws_url(guest_kamailio)
    for node in (0, 1):
        assert f'"{password}"' in await stored_password(nodes, node, user), node

    async with WsSip(ws_url(guest_kamailio), OUTSIDE) as outside:
        assert await outside.status("REGISTER", "1001") == [FORBIDDEN]
        assert await outside.status("REGISTER", user) == [FORBIDDEN]
        assert await outside.status("INVITE", "1001", "sign") == [FORBIDDEN]
        for target in ("1001", "12345", "0", "gaveup"):
            assert await outside.status("INVITE", user, target, password) == [FORBIDDEN], target
        assert await outside.status("OPTIONS", user, "sign") == [FORBIDDEN]
        assert await outside.status("INVITE", user, "sign", password + "x") == [CHALLENGED, CHALLENGED]
        assert await outside.status("INVITE", user, "sign", password) == [CHALLENGED, ANSWERED]
        landed = await eventually(lambda: guest_channels(nodes, user), timeout=10)
        assert await matched(guest_centre, guest["token"]), (
            "the centre did not match the call to its credential"
        )
        assert await outside.hang_up() == ANSWERED
        assert await outside.status("INVITE", user, "sign", password) == [CHALLENGED, CHALLENGED]  # spent
    assert len(landed) == 1, landed  # type: ignore[arg-type]
    async with WsSip(ws_url(guest_kamailio), INSIDE) as inside:
        assert await inside.status("REGISTER", user) == [FORBIDDEN]
        assert await inside.status("INVITE", user, "1001", password) == [FORBIDDEN]


async def matched(centre: Centre, token: str, timeout_s: float = 10.0) -> bool:
    """Whether the grant of ``token`` gets its call (the node's HotlineGuestCall) within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        grant = await centre.guests.grant(token)
        if grant is not None and grant.call_id:
            return True
        await asyncio.sleep(0.1)
    return False


def guest_channels(cluster: SandboxCluster, user: str) -> list[str]:
    """``node:channel`` of every channel of guest endpoint ``user`` up on the nodes."""
    return [
        f"{box.config.instance}:{line.split('!')[0]}"
        for box in cluster.nodes
        for line in box.cli("core show channels concise").splitlines()
        if line.startswith(f"PJSIP/{user}-")
    ]


async def test_given_a_guest_credential_when_it_expires_then_no_node_takes_it(
    guest_centre: Centre, guest_kamailio: KamailioSandbox, guest_cluster: tuple[SandboxCluster, int]
) -> None:
    nodes, _ = guest_cluster
    guest_centre.guests.ttl_s = 2.0
    guest = await credential(guest_centre)
    user, password = guest["user"], guest["password"]
    await asyncio.sleep(2.6)  # the slot expiry is stored rounded to the second
    await guest_centre.guests.sweep()  # (or the centre's own sweep did it already)
    for node in (0, 1):
        stored = await stored_password(nodes, node, user)
        assert stored, node
        assert f'"{password}"' not in stored, node
    async with WsSip(ws_url(guest_kamailio), ELSEWHERE) as outside:
        for _ in range(2):  # Call-IDs spread over both nodes
            assert await outside.status("INVITE", user, "sign", password) == [CHALLENGED, CHALLENGED]


async def test_given_many_guest_invites_from_one_address_then_kamailio_refuses_beyond_the_limit(
    guest_kamailio: KamailioSandbox,
) -> None:
    if time.time() % 60 > 55:  # the limit counts per minute: do not straddle two
        await asyncio.sleep(60 - time.time() % 60 + 0.2)
    async with WsSip(ws_url(guest_kamailio), LIMITED) as limited:
        statuses = [
            (await limited.status("INVITE", "sg20", "sign"))[0] for _ in range(GUEST_INVITES_PER_WINDOW + 2)
        ]
    assert statuses == [CHALLENGED] * GUEST_INVITES_PER_WINDOW + [LIMITED_503] * 2
    async with WsSip(ws_url(guest_kamailio), INSIDE) as other:
        assert await other.status("INVITE", "sg20", "sign") == [CHALLENGED]


async def test_given_a_node_down_while_a_credential_is_revoked_then_it_catches_up_when_back(
    guest_centre: Centre, guest_cluster: tuple[SandboxCluster, int]
) -> None:
    nodes, _ = guest_cluster
    guest = await credential(guest_centre)
    user, password = guest["user"], guest["password"]
    assert f'"{password}"' in await stored_password(nodes, 1, user)
    second = nodes.nodes[1]
    await asyncio.to_thread(second.down)
    assert await eventually(lambda: not guest_centre.ami.node_connected(second.config.instance), timeout=15)
    await guest_centre.guests.pool.revoke(user)
    assert f'"{password}"' not in await stored_password(nodes, 0, user)
    await asyncio.to_thread(second.up)
    assert await eventually(lambda: guest_centre.ami.node_connected(second.config.instance), timeout=30)

    async def locked_out() -> bool:
        stored = await stored_password(nodes, 1, user)
        return bool(stored) and f'"{password}"' not in stored

    deadline = time.monotonic() + 15
    while not await locked_out():
        assert time.monotonic() < deadline, "the node kept the revoked guest password"
        await asyncio.sleep(0.2)
