"""A browser phone registered at Kamailio over WebSocket: reached from a node, forgotten when its socket
closes (usrloc handle_lost_tcp)."""

from __future__ import annotations

import asyncio
import time

import pytest
import websockets

from hotline.kamailio.errors import KamailioError
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from tests.cluster.conftest import AGENT_PAGE_ORIGIN
from tests.cluster.ws_phone import SIP_SUBPROTOCOL, first_line, give_password, register

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk]


def contact_of(kamailio: KamailioSandbox, extension: str) -> str:
    """The location entry of ``extension``, or "" when it has none."""
    try:
        return kamailio.rpc("ul.lookup", "location", f"s:{extension}")
    except KamailioError:
        return ""


def contact_gone(kamailio: KamailioSandbox, extension: str, timeout_s: float = 10.0) -> bool:
    """Wait until ``extension`` has no location entry; whether that happened in time."""
    deadline = time.monotonic() + timeout_s
    while contact_of(kamailio, extension):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


async def test_websocket_phone_is_reached_from_a_node_and_dropped_when_its_socket_closes(
    kamailio: KamailioSandbox, cluster: SandboxCluster
) -> None:
    kam = kamailio.config
    url = f"ws://{kam.bind_address}:{kam.ws_port}"
    password = give_password(kamailio, "3001")
    async with websockets.connect(url, subprotocols=[SIP_SUBPROTOCOL]) as phone:  # type: ignore[list-item]
        assert (await register(phone, "3001", kam.bind_address, password))[-1] == "SIP/2.0 200 OK"
        assert "transport=ws" in contact_of(kamailio, "3001")
        dial = f"PJSIP/kamailio-webrtc/sip:3001@{kam.bind_address}:{kam.sip_port}"
        originate = asyncio.create_task(
            asyncio.to_thread(cluster.nodes[1].cli, f"channel originate {dial} application Wait 1")
        )
        invite = str(await asyncio.wait_for(phone.recv(), 10))
    assert first_line(invite).startswith("INVITE sip:3001@")
    assert "transport=ws" in invite.split("\r\n\r\n")[0]
    assert "UDP/TLS/RTP/SAVPF" in invite
    assert await asyncio.to_thread(contact_gone, kamailio, "3001")
    await asyncio.wait_for(originate, 30)


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:8081"])
async def test_browser_from_another_origin_gets_no_websocket(kamailio: KamailioSandbox, origin: str) -> None:
    url = f"ws://{kamailio.config.bind_address}:{kamailio.config.ws_port}"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(url, subprotocols=[SIP_SUBPROTOCOL], origin=origin)  # type: ignore[list-item,arg-type]
    assert refused.value.response.status_code == 403


async def test_agent_page_origin_gets_a_websocket(kamailio: KamailioSandbox) -> None:
    url = f"ws://{kamailio.config.bind_address}:{kamailio.config.ws_port}"
    origin = AGENT_PAGE_ORIGIN
    password = give_password(kamailio, "3002")
    async with websockets.connect(url, subprotocols=[SIP_SUBPROTOCOL], origin=origin) as phone:  # type: ignore[list-item,arg-type]
        replies = await register(phone, "3002", kamailio.config.bind_address, password, expires=0)
        assert replies[-1] == "SIP/2.0 200 OK"
