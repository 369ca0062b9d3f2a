"""Disabling a user on the running centre with the real Asterisk: their desktop's websocket closes, their
token stops working, and their browser phone's registration is gone at once: the contact registered
in Asterisk is removed and the SIP password rotated, so that the phone cannot register again.

The phone is the raw SIP client of tests/integration/sip_register.py, registering the extension with
the password ``GET /api/me/phone`` hands to the signed-in agent (as the agent page does with JsSIP).
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from hotline.ami.messages import AmiError
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.sip_secrets import CONTACT_FAMILY
from tests.integration.desktop import DesktopClient
from tests.integration.sip_register import register
from tests.integration.test_admin_agents import signed_in_admin

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]

OK = 200
EXTENSION = "1003"
"""One of the sandbox's browser-phone extensions (tests/conftest.py)."""


async def contacts_of(centre: Centre, extension: str) -> list[str]:
    """The contacts Asterisk holds for ``extension``'s AOR (its registrar's AstDB family)."""
    try:
        events = await centre.ami.send_action_list(
            {"Action": "DBGetTree", "Family": CONTACT_FAMILY}, complete_event="DBGetTreeComplete"
        )
    except AmiError as exc:
        if "not found" in f"{exc} {exc.details}".lower():
            return []
        raise
    keys = [str(e.get("Key", "")).rsplit("/", 1)[-1] for e in events if e.get("Event") == "DBGetTreeResponse"]
    return [k for k in keys if k.split(";@", 1)[0] == extension]


async def listed_by_pjsip(centre: Centre, extension: str) -> list[str]:
    """The contact URIs res_pjsip itself lists for ``extension`` (AMI PJSIPShowContacts)."""
    try:
        events = await centre.ami.send_action_list(
            {"Action": "PJSIPShowContacts"}, complete_event="ContactListComplete"
        )
    except AmiError as exc:
        if "no contacts" in f"{exc} {exc.details}".lower():
            return []
        raise
    return [
        str(e.get("Uri", ""))
        for e in events
        if e.get("Event") == "ContactList" and str(e.get("ObjectName", "")).split(";@")[0] == extension
    ]


async def read_until_closed(ws: websockets.ClientConnection) -> None:
    """Read frames until the server closes the socket (ConnectionClosed), 10 s at most per frame."""
    while True:
        await asyncio.wait_for(ws.recv(), 10)


async def test_given_a_signed_in_agent_with_a_registered_phone_when_disabled_then_all_of_it_ends(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    boss = await signed_in_admin(centre)
    agent = DesktopClient(centre.url)
    try:
        new = {
            "agent_id": "2201",
            "name": "赵敏",
            "extension": EXTENSION,
            "role": "agent",
            "skills": {"general": 2},
            "password": "Pw-2201-abcd",
        }
        assert (await boss.http.post("/api/admin/agents", json=new, headers=boss.auth)).status_code == 201
        await agent.sign_in("2201", "Pw-2201-abcd")
        phone = await agent.http.get("/api/me/phone", headers=agent.auth)
        assert phone.status_code == 200, phone.text
        password = phone.json()["password"]
        port = sandbox.config.sip_port
        assert await asyncio.to_thread(register, "127.0.0.1", port, EXTENSION, password) == OK
        assert len(await contacts_of(centre, EXTENSION)) == 1
        assert len(await listed_by_pjsip(centre, EXTENSION)) == 1

        async with websockets.connect(centre.url.replace("http", "ws", 1) + "ws/v1") as ws:
            await ws.send(json.dumps({"v": 1, "type": "auth", "token": agent.token}))
            await asyncio.wait_for(ws.recv(), 10)  # the desktop's first frame: signed in
            done = await boss.http.post("/api/admin/agents/2201/disable", headers=boss.auth)
            assert done.status_code == 200, done.text
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await read_until_closed(ws)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "user_changed")
        body = done.json()
        assert (body["sessions_ended"], body["sip_contacts_removed"], body["sip_password_rotated"]) == (
            1,
            1,
            True,
        )
        assert body["user"]["disabled"] is True
        assert await contacts_of(centre, EXTENSION) == []
        assert await listed_by_pjsip(centre, EXTENSION) == []
        assert await asyncio.to_thread(register, "127.0.0.1", port, EXTENSION, password) != OK
        assert (await agent.http.get("/api/me", headers=agent.auth)).status_code == 401
        again = await agent.http.post("/api/sessions", json={"user_id": "2201", "password": "Pw-2201-abcd"})
        assert again.status_code == 401
        reset = await boss.http.post(
            "/api/admin/agents/2201/password", json={"password": "Pw-2201-efgh"}, headers=boss.auth
        )
        assert (reset.status_code, reset.json()["error_id"]) == (409, "user_disabled")
        enabled = await boss.http.post(
            "/api/admin/agents/2201/password",
            json={"password": "Pw-2201-efgh", "enable": True},
            headers=boss.auth,
        )
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["disabled"] is False
        await agent.sign_in("2201", "Pw-2201-efgh")
        self_off = await boss.http.post("/api/admin/agents/admin/disable", headers=boss.auth)
        assert (self_off.status_code, self_off.json()["error_id"]) == (409, "cannot_disable_self")
        actions = [
            c["action"]
            for c in (await boss.http.get("/api/admin/changes?object_id=2201", headers=boss.auth)).json()
        ]
        assert actions == ["enable", "disable", "create"]
    finally:
        await agent.close()
        await boss.close()
