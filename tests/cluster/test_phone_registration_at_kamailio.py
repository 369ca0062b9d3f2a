"""Agents' phones register at Kamailio only as themselves and with their extension's SIP password (digest
against the htable the centre fills over JSON-RPC); when an agent is disabled, their phone's registration
at Kamailio is gone within seconds and a call through Kamailio no longer reaches it; a restarted Kamailio
gets the passwords again from the centre.

The phone is a raw SIP client over Kamailio's websocket (tests/cluster/ws_phone.py), registering with the
password ``GET /api/me/phone`` hands to the signed-in agent, as the agent page does with JsSIP.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from pydantic import SecretStr

from hotline.app import Centre
from hotline.kamailio.errors import KamailioError
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from hotline.settings import Settings
from tests.cluster.conftest import cluster_settings
from tests.cluster.test_kamailio_websocket import contact_gone, contact_of
from tests.cluster.ws_phone import SIP_SUBPROTOCOL, first_line, give_password, register
from tests.integration.desktop import DesktopClient
from tests.integration.test_admin_agents import signed_in_admin

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(120)]

EXTENSION = "1002"
AGENT = {
    "agent_id": "2301",
    "name": "周芷若",
    "extension": EXTENSION,
    "role": "agent",
    "skills": {"general": 1},
    "password": "Pw-2301-abcd",
}


def codes(replies: list[str]) -> list[int]:
    """The status codes of SIP status lines."""
    return [int(line.split(" ")[1]) for line in replies]


def ws_url(kamailio: KamailioSandbox) -> str:
    return f"ws://{kamailio.config.bind_address}:{kamailio.config.ws_port}"


async def ws_phone(kamailio: KamailioSandbox) -> websockets.ClientConnection:
    """A websocket to Kamailio as a browser phone opens it (the caller closes it)."""
    return await websockets.connect(ws_url(kamailio), subprotocols=[SIP_SUBPROTOCOL])  # type: ignore[list-item]


def password_at(kamailio: KamailioSandbox, extension: str) -> str:
    """The password Kamailio holds for ``extension`` ("" when none)."""
    try:
        return kamailio.rpc("htable.get", "phones", f"s:{extension}").split("value:", 1)[1].split()[0]
    except KamailioError:
        return ""


async def test_register_needs_the_extensions_own_password_and_its_own_name(kamailio: KamailioSandbox) -> None:
    host = kamailio.config.bind_address
    mine, other = give_password(kamailio, "3101"), give_password(kamailio, "3102")
    phone = await ws_phone(kamailio)
    try:
        assert codes(await register(phone, "3101", host, None)) == [401]
        assert codes(await register(phone, "3101", host, mine + "x")) == [401, 403]
        assert codes(await register(phone, "3101", host, other, auth_user="3102")) == [401, 403]
        assert codes(await register(phone, "3101", host, mine, from_user="3102")) == [401, 403]
        assert codes(await register(phone, "3103", host, "no password was given to 3103")) == [401, 403]
        assert contact_of(kamailio, "3101") == ""
        assert codes(await register(phone, "3101", host, mine)) == [401, 200]
        assert "transport=ws" in contact_of(kamailio, "3101")
    finally:
        await phone.close()


async def rpc_status(kamailio: KamailioSandbox, source: str, token: str | None = None) -> str:
    """The status line of a JSON-RPC POST (htable.sets) to Kamailio's RPC port from ``source``, bearing
    ``token`` (by default the front's own)."""
    token = kamailio.config.rpc_token if token is None else token
    body = json.dumps({"jsonrpc": "2.0", "method": "htable.sets", "params": ["phones", "3199", "x"], "id": 1})
    reader, writer = await asyncio.open_connection(
        kamailio.config.rpc_address, kamailio.config.rpc_port, local_addr=(source, 0)
    )
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = f"POST /RPC HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    writer.write((head + body).encode())
    reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return reply.decode(errors="replace").split("\r\n", 1)[0]


async def test_rpc_port_answers_the_allowed_addresses_bearing_the_token(kamailio: KamailioSandbox) -> None:
    assert kamailio.config.rpc_allowed_net == "127.0.0.1/32"
    assert (await rpc_status(kamailio, "127.0.0.2")).startswith("HTTP/1.1 403")
    assert (await rpc_status(kamailio, "127.0.0.1", token="")).startswith("HTTP/1.1 401")
    assert (await rpc_status(kamailio, "127.0.0.1", token="x" * 32)).startswith("HTTP/1.1 401")
    assert (await rpc_status(kamailio, "127.0.0.1", token=kamailio.config.rpc_token + "x")).startswith(
        "HTTP/1.1 401"
    )
    assert password_at(kamailio, "3199") == ""
    assert (await rpc_status(kamailio, "127.0.0.1")).startswith("HTTP/1.1 200")
    assert password_at(kamailio, "3199") == "x"
    kamailio.rpc("htable.delete", "phones", "s:3199")


@pytest.fixture
def centre_settings(cluster: SandboxCluster, kamailio: KamailioSandbox, tmp_path: Path) -> Settings:
    """A centre keeping Kamailio's phone passwords; its agents' phones register there."""
    return cluster_settings(
        cluster,
        tmp_path,
        kamailio_rpc_urls=kamailio.config.rpc_url,
        kamailio_rpc_token=SecretStr(kamailio.config.rpc_token),
        sip_ws_url=ws_url(kamailio),
        agent_extensions="1001-1003",
    )


@pytest.fixture
async def agent_phone(centre: Centre) -> AsyncIterator[tuple[DesktopClient, str]]:
    """The signed-in admin and the SIP password handed to agent 2301 (extension 1002) at sign-in."""
    boss = await signed_in_admin(centre)
    agent = DesktopClient(centre.url)
    try:
        assert (await boss.http.post("/api/admin/agents", json=AGENT, headers=boss.auth)).status_code == 201
        await agent.sign_in(str(AGENT["agent_id"]), str(AGENT["password"]))
        phone = await agent.http.get("/api/me/phone", headers=agent.auth)
        assert phone.status_code == 200, phone.text
        assert phone.json()["ws_url"] == centre.settings.sip_ws_url
        yield boss, str(phone.json()["password"])
    finally:
        await agent.close()
        await boss.close()


def busy(invite: str) -> str:
    """A 486 answering ``invite`` (its Via, From, To with a tag, Call-ID and CSeq)."""
    head = invite.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    keep = [h for h in head if h.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq")]
    to = next(h for h in head if h.split(":", 1)[0].strip().lower() == "to")
    return "\r\n".join(["SIP/2.0 486 Busy Here", *keep, f"{to};tag=busy", "Content-Length: 0", "", ""])


async def invite_reaching(phone: websockets.ClientConnection, within_s: float) -> str:
    """The INVITE arriving on ``phone`` within ``within_s`` (answered busy), or ""."""
    try:
        async with asyncio.timeout(within_s):
            while True:
                message = str(await phone.recv())
                if first_line(message).startswith("INVITE "):
                    await phone.send(busy(message))
                    return message
    except TimeoutError:
        return ""


def call_through_kamailio(cluster: SandboxCluster, kamailio: KamailioSandbox, extension: str) -> None:
    """A node calls ``extension`` through Kamailio (as it dials an agent whose phone registered there)."""
    target = f"sip:{extension}@127.0.0.1:{kamailio.config.sip_port}"
    cluster.nodes[0].cli(f"channel originate PJSIP/kamailio/{target} application Wait 1")


async def test_given_an_agents_phone_registered_at_kamailio_when_disabled_then_calls_no_longer_reach_it(
    centre: Centre,
    kamailio: KamailioSandbox,
    cluster: SandboxCluster,
    agent_phone: tuple[DesktopClient, str],
) -> None:
    boss, password = agent_phone
    host = kamailio.config.bind_address
    assert password_at(kamailio, EXTENSION) == password  # pushed when it was handed out
    phone = await ws_phone(kamailio)
    try:
        assert codes(await register(phone, EXTENSION, host, password)) == [401, 200]
        assert "transport=ws" in contact_of(kamailio, EXTENSION)
        await asyncio.to_thread(call_through_kamailio, cluster, kamailio, EXTENSION)
        assert (await invite_reaching(phone, 10)).startswith(f"INVITE sip:{EXTENSION}@")

        done = await boss.http.post(f"/api/admin/agents/{AGENT['agent_id']}/disable", headers=boss.auth)
        assert done.status_code == 200, done.text
        started = time.monotonic()
        assert await asyncio.to_thread(contact_gone, kamailio, EXTENSION, 5.0)
        print(f"registration gone at Kamailio {time.monotonic() - started:.2f} s after the disable answered")
        assert password_at(kamailio, EXTENSION) == ""
        await asyncio.to_thread(call_through_kamailio, cluster, kamailio, EXTENSION)
        assert await invite_reaching(phone, 4) == ""
        assert codes(await register(phone, EXTENSION, host, password)) == [401, 403]
    finally:
        await phone.close()


async def test_given_a_restarted_kamailio_then_the_centre_gives_it_the_passwords_again(
    centre: Centre, kamailio: KamailioSandbox, agent_phone: tuple[DesktopClient, str]
) -> None:
    _, password = agent_phone
    assert password_at(kamailio, EXTENSION) == password
    await asyncio.to_thread(kamailio.down)
    await asyncio.to_thread(kamailio.up)
    assert password_at(kamailio, EXTENSION) == ""
    started = time.monotonic()
    while password_at(kamailio, EXTENSION) != password:
        assert time.monotonic() - started < 10, "the restarted Kamailio did not get the passwords again"
        await asyncio.sleep(0.2)
    print(f"passwords back {time.monotonic() - started:.2f} s after the restart")
    phone = await ws_phone(kamailio)
    try:
        assert codes(await register(phone, EXTENSION, kamailio.config.bind_address, password)) == [401, 200]
    finally:
        await phone.close()
